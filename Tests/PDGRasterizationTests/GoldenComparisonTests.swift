import CVizSQLite
import Foundation
import PDGRasterization
import PDGTiling
import Testing

/// Comparisons with the outputs of the Python tools shipped in `shared/data/viz-raster-examples`.
@Suite("Golden comparison with pdgraster", .serialized)
struct GoldenComparisonTests {
    /// Runs `rasterize` on the complete-workflow example once per test process.
    actor CompleteRun {
        static let shared = CompleteRun()
        private var cached: (config: WorkflowConfiguration, report: RasterizationRunner.Report)?

        func get() async throws -> (config: WorkflowConfiguration, report: RasterizationRunner.Report) {
            if let cached { return cached }
            let output = try RasterTestSupport.temporaryDirectory("complete")
            let config = try RasterTestSupport.completeWorkflowConfig(output: output)
            let report = try await RasterizationRunner(workflow: config).rasterize()
            cached = (config, report)
            return (config, report)
        }
    }

    static func index(_ value: Double, _ low: Double, _ high: Double) -> Int {
        let clamped = min(max(value, low), high)
        return min(255, Int((clamped - low) * (255 / (high - low))))
    }

    @Test("Complete example: z13 counts bit-identical, coverage within 1e-9, parents within 1e-6")
    func geotiffs() async throws {
        let (config, report) = try await CompleteRun.shared.get()
        #expect(report.failures.isEmpty)
        let golden = try RasterTestSupport.golden("complete-workflow") + "/geotiffs"
        let files = RasterTestSupport.files(under: golden, ext: ".tif")
        #expect(files.count == 11)
        #expect(report.summaries.count == 11)
        let layout = try RasterPipeline.geotiffLayout(config)
        for file in files {
            let parsed = try layout.tile(fromPath: file)
            let expected = try GeoTIFFFile.read(path: golden + "/" + file, tile: parsed.tile)
            let actual = try GeoTIFFFile.read(path: layout.path(for: parsed.tile), tile: parsed.tile)
            #expect(actual.descriptions == expected.descriptions)
            #expect(actual.dataType == expected.dataType)
            #expect(actual.grid.geoTransform == expected.grid.geoTransform, "\(file)")
            let tolerance = parsed.tile.z == 13 ? 1e-9 : 1e-6
            for band in 0..<2 {
                let difference = zip(actual.bands[band], expected.bands[band]).map { abs($0 - $1) }.max() ?? 0
                if parsed.tile.z == 13 && band == 0 {
                    #expect(actual.bands[band] == expected.bands[band], "\(file) counts")
                } else {
                    #expect(difference <= tolerance, "\(file) band \(band + 1): max difference \(difference)")
                }
            }
        }
        // Counts are preserved at every level: 14 281 polygons.
        for zoom in 6...13 {
            let total = report.summaries.filter { $0.tile.z == zoom }.reduce(0.0) { $0 + $1.bands[0].sum }
            #expect(total == 14_281, "z\(zoom)")
        }
    }

    @Test("Palette + renderer on pdgraster's own GeoTIFFs reproduce the 22 shipped PNGs (all pixels but index-boundary ones)")
    func pngsFromGoldenGeoTIFFs() throws {
        let root = try RasterTestSupport.golden("complete-workflow")
        let output = try RasterTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: output) }
        var config = try RasterTestSupport.completeWorkflowConfig(output: output)
        config.dirGeotiff = root + "/geotiffs"
        var options = RasterPipelineOptions()
        options.rangeMode = .perTileLegacy
        let layout = try RasterPipeline.geotiffLayout(config)
        var compared = 0
        var identicalFiles = 0
        var boundaryPixels = 0
        for file in RasterTestSupport.files(under: root + "/geotiffs", ext: ".tif") {
            let tile = try layout.tile(fromPath: file).tile
            let summary = try RasterPipeline.renderWebTile(config: config, tile: tile, ranges: nil, options: options)
            let raster = try GeoTIFFFile.read(path: root + "/geotiffs/" + file, tile: tile)
            for (band, (statistic, path)) in zip(config.statistics, summary.webTilePaths).enumerated() {
                let expected = try RasterTestSupport.readPNG(root + "/web-tiles/\(statistic.name)/\(layout.relativeStem(for: tile)).png")
                let actual = try RasterTestSupport.readPNG(path)
                compared += 1
                if actual.rgba == expected.rgba {
                    identicalFiles += 1
                    continue
                }
                // Only pixels whose scaled value sits within 1e-9 of a colour-index boundary may differ (the shipped
                // PNGs are not reproduced bit for bit by pdgraster itself there, spec §15).
                let high = statistic.valueRange?[1] ?? raster.bands[band].max()!
                for pixel in 0..<(actual.rgba.count / 4) where actual.rgba[(pixel * 4)..<(pixel * 4 + 4)] != expected.rgba[(pixel * 4)..<(pixel * 4 + 4)] {
                    let scaled = min(raster.bands[band][pixel], high) * (255 / high)
                    #expect(abs(scaled - scaled.rounded()) < 1e-9, "\(statistic.name) \(tile) pixel \(pixel): scaled value \(scaled)")
                    boundaryPixels += 1
                }
            }
        }
        #expect(compared == 22)
        #expect(identicalFiles >= 21 && boundaryPixels <= 2, "\(identicalFiles) of 22 identical, \(boundaryPixels) boundary pixels")
    }

    @Test("Full pipeline PNGs: ≥ 95 % identical, fixed-range statistic within 1 per channel, other differences only on 1e-9 index boundaries")
    func pngsFromOurGeoTIFFs() async throws {
        let (config, _) = try await CompleteRun.shared.get()
        let root = try RasterTestSupport.golden("complete-workflow")
        var options = RasterPipelineOptions()
        options.rangeMode = .perTileLegacy  // what the shipped PNGs were made with
        let layout = try RasterPipeline.geotiffLayout(config)
        var identical = 0
        var total = 0
        var boundary = 0
        for file in RasterTestSupport.files(under: root + "/geotiffs", ext: ".tif") {
            let tile = try layout.tile(fromPath: file).tile
            let summary = try RasterPipeline.renderWebTile(config: config, tile: tile, ranges: nil, options: options)
            let goldenRaster = try GeoTIFFFile.read(path: root + "/geotiffs/" + file, tile: tile)
            let ourRaster = try GeoTIFFFile.read(path: layout.path(for: tile), tile: tile)
            for (band, statistic) in config.statistics.enumerated() {
                let expected = try RasterTestSupport.readPNG(root + "/web-tiles/\(statistic.name)/\(layout.relativeStem(for: tile)).png")
                let actual = try RasterTestSupport.readPNG(summary.webTilePaths[band])
                let fixed = statistic.valueRange?.allSatisfy { $0 != nil } ?? false
                let goldenMax = goldenRaster.bands[band].max()!
                let ourMax = ourRaster.bands[band].max()!
                for pixel in 0..<(actual.rgba.count / 4) {
                    total += 1
                    let a = actual.rgba[(pixel * 4)..<(pixel * 4 + 4)]
                    let e = expected.rgba[(pixel * 4)..<(pixel * 4 + 4)]
                    if a == e {
                        identical += 1
                        continue
                    }
                    let worst = zip(a, e).map { abs(Int($0) - Int($1)) }.max()!
                    if fixed {
                        #expect(worst <= 1, "\(statistic.name) \(tile) pixel \(pixel)")
                    } else {
                        // The shipped value sits within 1e-6 of ours but on the other side of a colour index.
                        let goldenIndex = Self.index(goldenRaster.bands[band][pixel], 0, goldenMax)
                        let ourIndex = Self.index(ourRaster.bands[band][pixel], 0, ourMax)
                        #expect(goldenIndex != ourIndex && abs(goldenRaster.bands[band][pixel] - ourRaster.bands[band][pixel]) < 1e-6)
                        boundary += 1
                    }
                }
            }
        }
        #expect(Double(identical) / Double(total) >= 0.95, "identical \(identical) of \(total), boundary \(boundary)")
    }

    @Test("Minimal example: 4 staged tiles to z0 match the shipped GeoTIFFs and rasters summary")
    func minimalExample() async throws {
        let root = try RasterTestSupport.golden("minimal-example")
        let output = try RasterTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: output) }
        var config = try WorkflowConfiguration(contentsOf: root + "/config__updated.json").resolvingPaths(against: output)
        config.dirStaged = root + "/staged"
        let report = try await RasterizationRunner(workflow: config).rasterize()
        #expect(report.failures.isEmpty)
        let files = RasterTestSupport.files(under: root + "/geotiff", ext: ".tif")
        #expect(files.count == 17)
        let layout = try RasterPipeline.geotiffLayout(config)
        for file in files {
            let tile = try layout.tile(fromPath: file).tile
            let expected = try GeoTIFFFile.read(path: root + "/geotiff/" + file, tile: tile)
            let actual = try GeoTIFFFile.read(path: layout.path(for: tile), tile: tile)
            for band in 0..<2 {
                let difference = zip(actual.bands[band], expected.bands[band]).map { abs($0 - $1) }.max() ?? 0
                #expect(difference <= (tile.z == 13 ? 1e-9 : 1e-6), "\(file) band \(band + 1): \(difference)")
            }
        }
        let csv = try String(contentsOfFile: config.filenameRastersSummary, encoding: .utf8)
        #expect(csv.hasPrefix(RastersSummaryCSV.header))
        #expect(
            csv.contains("polygon_count,\"[-146.51367187500014, -146.49169921875014, 69.98291015625009, 70.00488281250009]\",0.0,1.0,0.0236663818359375,0.0,"))
        let events = try String(contentsOfFile: config.filenameRasterizationEvents, encoding: .utf8)
        #expect(events.split(separator: "\n").count == 1 + 17)
    }

    @Test("Dedup at raster drops staging_duplicated rows; a corrupt staged tile is reported and skipped")
    func dedupAndFailures() async throws {
        let root = try RasterTestSupport.golden("complete-workflow")
        let output = try RasterTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: output) }
        var config = try RasterTestSupport.completeWorkflowConfig(output: output)
        config.dirStaged = output + "/staged"
        config.zRange = [12, 13]
        config.deduplicateMethod = .neighbor
        config.deduplicateAt = [.raster]
        let source = root + "/staged-vectors/WorldCRS84Quad/13/1418/908.gpkg"
        let copy = output + "/staged/WorldCRS84Quad/13/1418/908.gpkg"
        try FileManager.default.createDirectory(atPath: (copy as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        var database: OpaquePointer?
        #expect(sqlite3_open(copy, &database) == SQLITE_OK)
        let sql = """
            DROP TRIGGER IF EXISTS "rtree_908_geom_update3"; DROP TRIGGER IF EXISTS "rtree_908_geom_update1";
            DROP TRIGGER IF EXISTS "rtree_908_geom_update2"; DROP TRIGGER IF EXISTS "rtree_908_geom_update4";
            ALTER TABLE "908" ADD COLUMN staging_duplicated BOOLEAN;
            UPDATE "908" SET staging_duplicated = (fid % 2 = 0);
            """
        #expect(sqlite3_exec(database, sql, nil, nil, nil) == SQLITE_OK, "\(String(cString: sqlite3_errmsg(database)))")
        sqlite3_close(database)
        let corrupt = output + "/staged/WorldCRS84Quad/13/1419/908.gpkg"
        try FileManager.default.createDirectory(atPath: (corrupt as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("not a geopackage".utf8).write(to: URL(fileURLWithPath: corrupt))

        let report = try await RasterizationRunner(workflow: config).rasterize()
        #expect(report.failures.map(\.tile) == [TileIndex(x: 1419, y: 908, z: 13)])
        let highest = try #require(report.summaries.first { $0.tile == TileIndex(x: 1418, y: 908, z: 13) })
        #expect(highest.rowsDroppedAsDuplicates > 0)
        #expect(highest.rowsRead - highest.rowsDroppedAsDuplicates < highest.rowsRead)
        #expect(report.summaries.contains { $0.tile == TileIndex(x: 709, y: 454, z: 12) })
        let events = try String(contentsOfFile: config.filenameRasterizationEvents, encoding: .utf8)
        #expect(events.contains("stagedTileUnreadable"))
    }
}
