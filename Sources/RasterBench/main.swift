import ArgumentParser
import CVizSystemShims
import Foundation
import PDGRasterization
import PDGTiling

/// `raster-bench --config FILE`: times the raster steps on a staged dataset in one process, one tile at a time,
/// and prints JSON (CPU seconds from getrusage, so the numbers compare with pdgraster's per-stage CPU seconds).
@main
struct RasterBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raster-bench",
        abstract: "Benchmark of the Rasterization module (highest zoom, parents, web tiles)."
    )

    @Option(help: "PDG config whose dir_staged holds the staged tiles (e.g. from `tiling-bench generate` + `stage`).")
    var config: String

    @Option(help: "Scratch directory for GeoTIFFs, PNGs and CSVs (emptied first).")
    var output: String = "/tmp/raster-bench-output"

    @Option(help: "Tile size in pixels (square).")
    var tileSize: Int = 256

    @Flag(help: "Keep the config's statistics instead of PDG's production pair (iwp_count by centroid, iwp_coverage by area).")
    var keepStatistics = false

    @Option(help: "zlib level of the PNGs (6 = PIL's default).")
    var pngLevel: Int32 = RasterPipelineOptions().pngCompressionLevel

    @Option(help: "Repetitions of the core rasterization loop (in memory, no I/O) for the polygons/s figure.")
    var repeats: Int = 3

    @Option(help: "GeoTIFF compression: none, deflate or zstd (default: the pipeline's default).")
    var compression: String?

    func run() throws {
        // The malloc settings of a worker process (`WorkerService`), where the raster steps run in production: large
        // blocks (GDAL's block cache, libzstd's contexts, SQLite's pages, the bands) are reused from the heap
        // instead of being mapped fresh, with a page fault per 4 KiB, for every tile.
        system_keep_large_allocations_in_heap(256 << 20)
        var workflow = try WorkflowConfiguration(contentsOf: config)
        try? FileManager.default.removeItem(atPath: output)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        workflow.dirGeotiff = output + "/geotiff"
        workflow.dirWebTiles = output + "/web_tiles"
        workflow.filenameRastersSummary = output + "/rasters_summary.csv"
        workflow.filenameRasterizationEvents = output + "/rasterization_events.csv"
        workflow.tileSize = [tileSize, tileSize]
        if !keepStatistics {
            let statistics = """
                {"statistics": [
                  {"name": "iwp_count", "weight_by": "count", "property": "centroids_per_pixel", "aggregation_method": "sum",
                   "resampling_method": "sum", "val_range": [0, null], "palette": ["#66339952", "#d93fce", "#ffcc00"], "nodata_val": 0},
                  {"name": "iwp_coverage", "weight_by": "area", "property": "area_per_pixel_area", "aggregation_method": "sum",
                   "resampling_method": "average", "val_range": [0, 1], "palette": ["#66339952", "#ffcc00"], "nodata_val": 0}]}
                """
            workflow.statistics = try WorkflowConfiguration(json: JSONDecoder().decode(JSONValue.self, from: Data(statistics.utf8))).statistics
        }
        let tms = try workflow.tileMatrixSet()
        let stagedLayout = try workflow.stagedTileLayout(tileMatrixSet: tms)
        let staged = (FileManager.default.enumerator(atPath: workflow.dirStaged)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(workflow.extStaged) }
            .compactMap { try? stagedLayout.tile(fromPath: workflow.dirStaged + "/" + $0).tile }
            .filter { $0.z == workflow.maxZoom }.sorted()

        // Phase 1: highest zoom (read staged GeoPackage + rasterize + write GeoTIFF).
        var options = RasterPipelineOptions()
        options.pngCompressionLevel = pngLevel
        if let compression {
            guard let chosen = GeoTIFFCompression(rawValue: compression) else {
                throw ValidationError("--compression must be none, deflate or zstd")
            }
            options.compression = chosen
        }
        var clock = Clock()
        var level: [RasterTileSummary] = []
        for tile in staged { level.append(try RasterPipeline.rasterizeTile(config: workflow, tile: tile, options: options)) }
        let highest = clock.lap()
        let polygons = level.reduce(0) { $0 + $1.rowsRead }
        var all = level

        // Phase 2: parents, level by level.
        var parentCount = 0
        for _ in stride(from: workflow.maxZoom - 1, through: workflow.minZoom, by: -1) {
            let parents = Array(Set(level.map(\.tile.parent))).sorted()
            level = try parents.map { try RasterPipeline.makeParent(config: workflow, tile: $0, options: options) }
            parentCount += level.count
            all += level
        }
        let parents = clock.lap()

        // Phase 3: web tiles (per-zoom ranges from the summaries, one PNG per statistic per GeoTIFF).
        var pngs = 0
        for zoom in Set(all.map(\.tile.z)).sorted() {
            let ranges = RasterPipeline.computeRanges(config: workflow, zoom: zoom, summaries: all)
            for summary in all where summary.tile.z == zoom {
                pngs += try RasterPipeline.renderWebTile(
                    config: workflow, tile: summary.tile, ranges: ranges, options: options, bandSummaries: summary.bands
                ).webTilePaths.count
            }
        }
        let webTiles = clock.lap()

        // Core rasterization without I/O: features read once, rasterized `repeats` times.
        var features: [(TileIndex, [StagedFeature])] = []
        for tile in staged {
            features.append((tile, try StagedFeatureLoader.load(config: workflow, tile: tile)))
        }
        _ = clock.lap()
        for _ in 0..<repeats {
            for (tile, rows) in features { _ = try RasterPipeline.rasterize(features: rows, config: workflow, tile: tile) }
        }
        let core = clock.lap()

        // PNG encoding alone: every web tile's pixels once more through the encoder.
        var encoded = 0
        let sample = [UInt8](repeating: 0, count: tileSize * tileSize * 4).enumerated().map {
            UInt8(truncatingIfNeeded: ($0.offset / 4) % 7 == 0 ? 200 : $0.offset % 3)
        }
        _ = clock.lap()
        for _ in 0..<max(pngs, 1) { encoded += try PNGEncoder.encode(rgba: sample, width: tileSize, height: tileSize, level: pngLevel).count }
        let encoding = clock.lap()

        let total = highest.cpu + parents.cpu + webTiles.cpu
        let report: [String: Double] = [
            "polygons": Double(polygons), "staged_tiles": Double(staged.count), "parent_tiles": Double(parentCount),
            "png_files": Double(pngs), "tile_size": Double(tileSize),
            "highest_cpu_seconds": highest.cpu, "highest_wall_seconds": highest.wall,
            "highest_polygons_per_cpu_second": Double(polygons) / highest.cpu, "highest_tiles_per_cpu_second": Double(staged.count) / highest.cpu,
            "core_rasterize_polygons_per_cpu_second": Double(polygons * repeats) / core.cpu,
            "parents_cpu_seconds": parents.cpu, "parents_tiles_per_cpu_second": Double(parentCount) / parents.cpu,
            "webtiles_cpu_seconds": webTiles.cpu, "webtiles_pngs_per_cpu_second": Double(pngs) / webTiles.cpu,
            "png_encode_only_per_cpu_second": Double(max(pngs, 1)) / encoding.cpu,
            "total_cpu_seconds": total, "python_cpu_seconds": 52.6, "speedup_vs_python_cpu": 52.6 / total,
            "peak_rss_mib": Clock.peakResidentMiB(), "png_level": Double(pngLevel),
            "png_bytes_total": Double(pngBytes()),
        ]
        func pngBytes() -> Int {
            (FileManager.default.enumerator(atPath: workflow.dirWebTiles)?.allObjects as? [String] ?? []).reduce(0) { total, file in
                total + ((try? FileManager.default.attributesOfItem(atPath: workflow.dirWebTiles + "/" + file)[.size] as? Int) ?? 0)
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}

/// Process CPU (user + system, getrusage) and wall clock laps.
struct Clock {
    private var lastCPU = Clock.cpu()
    private var lastWall = Date().timeIntervalSince1970

    static func cpu() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
    }

    static func peakResidentMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    mutating func lap() -> (cpu: Double, wall: Double) {
        let cpu = Clock.cpu()
        let wall = Date().timeIntervalSince1970
        defer {
            lastCPU = cpu
            lastWall = wall
        }
        return (cpu - lastCPU, wall - lastWall)
    }
}
