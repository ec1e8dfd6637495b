import Foundation
import Testing

@testable import PDGTiling

@Suite(.serialized)
struct VectorStagingTests {
    typealias Feature = TestSupport.Feature

    /// A tile corner at z13 near the golden example: squares around it land in up to four tiles.
    static let corner: (x: Double, y: Double) = {
        let bounds = try! TileMatrixSet.worldCRS84Quad.bounds(of: TileIndex(x: 1419, y: 909, z: 13))
        return (bounds.left, bounds.bottom)
    }()

    static func square(dx: Double, dy: Double, size: Double = 0.002) -> [[(Double, Double)]] {
        [TestSupport.square(corner.x + dx, corner.y + dy, size: size)]
    }

    /// Three inputs with polygons spread over the four tiles around `corner`.
    static func writeInputs(root: String) throws {
        for (index, name) in ["a", "b", "c"].enumerated() {
            var features: [Feature] = []
            for step in 0..<6 {
                let offset = Double(step) * 0.003 - 0.009 + Double(index) * 0.0005
                features.append(
                    Feature(
                        properties: ["Date": "\"2019010\(index)\"", "n": "\(step)"],
                        polygons: [square(dx: offset, dy: -offset / 2)]))
            }
            try TestSupport.writeGeoJSON(root + "/input/sub/\(name).geojson", features: features)
        }
    }

    static func tileContents(_ config: WorkflowConfiguration) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for relative in try FileManager.default.subpathsOfDirectory(atPath: config.dirStaged)
        where relative.hasSuffix(".gpkg") && !relative.hasPrefix(".") {
            let rows = try TestSupport.readRows(config.dirStaged + "/" + relative).rows
            result[relative] = rows.map { row in
                row.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";") + "|\(row.polygon.rings)"
            }
        }
        return result
    }

    @Test func resultDoesNotDependOnOrderOrBatching() async throws {
        let first = try TestSupport.temporaryDirectory()
        let second = try TestSupport.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        try Self.writeInputs(root: first)
        try Self.writeInputs(root: second)

        let configA = try TestSupport.syntheticConfiguration(root: first)
        var options = StagingRunner.Configuration()
        options.workers = 2
        let report = try await StagingRunner(workflow: configA, configuration: options).run()
        #expect(report.failures.isEmpty)
        #expect(report.merged.count == 4)

        // Same inputs, reverse order, separate batches, one at a time, then one merge per tile.
        let configB = try TestSupport.syntheticConfiguration(root: second)
        let stager = try VectorTileStager(configuration: configB)
        for input in try stager.discoverInputs().reversed() {
            _ = try stager.stageFile(input)
        }
        let merger = try TileMerger(configuration: configB)
        for tile in try merger.tilesWithShards().reversed() {
            _ = try merger.mergeTile(tile)
        }
        let a = try Self.tileContents(configA)
        let b = try Self.tileContents(configB)
        #expect(a.count == 4)
        #expect(a == b)
    }

    @Test func rerunningATaskDoesNotDuplicateRows() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.writeInputs(root: root)
        let config = try TestSupport.syntheticConfiguration(root: root)
        let stager = try VectorTileStager(configuration: config)
        let merger = try TileMerger(configuration: config)
        let input = try stager.discoverInputs()[0]
        let once = try stager.stageFile(input)
        for tile in once.tiles.map(\.tile) { _ = try merger.mergeTile(tile) }
        let before = try Self.tileContents(config)
        let twice = try stager.stageFile(input)
        for tile in twice.tiles.map(\.tile) { _ = try merger.mergeTile(tile) }
        #expect(try Self.tileContents(config) == before)
        #expect(once == twice)
    }

    @Test func aShrunkInputLeavesNoStaleShards() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/input/x.geojson"
        try TestSupport.writeGeoJSON(path, features: [Feature(properties: [:], polygons: [Self.square(dx: -0.001, dy: -0.001)])])
        let config = try TestSupport.syntheticConfiguration(root: root)
        let stager = try VectorTileStager(configuration: config)
        #expect(try stager.stageFile(path).tiles.count == 4)
        try TestSupport.writeGeoJSON(path, features: [Feature(properties: [:], polygons: [Self.square(dx: 0.001, dy: 0.001)])])
        #expect(try stager.stageFile(path).tiles.count == 1)
        #expect(try TileMerger(configuration: config).tilesWithShards() == [TileIndex(x: 1419, y: 909, z: 13)])
    }

    @Test func multiPolygonsAreExplodedAndOtherGeometriesSkipped() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/input/m.geojson"
        try TestSupport.writeGeoJSON(
            path,
            features: [
                Feature(
                    properties: ["k": "1"],
                    polygons: [
                        [TestSupport.square(Self.corner.x + 0.001, Self.corner.y + 0.001, size: 0.001)],
                        [TestSupport.square(Self.corner.x + 0.004, Self.corner.y + 0.004, size: 0.001)],
                    ])
            ])
        // Append a point feature by hand.
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(
            of: "]}\n", with: "]}")
        text.removeLast(2)
        text += ", {\"type\": \"Feature\", \"properties\": {\"k\": 2}, \"geometry\": {\"type\": \"Point\", \"coordinates\": [0, 0]}}]}"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let config = try TestSupport.syntheticConfiguration(root: root)
        let summary = try VectorTileStager(configuration: config).stageFile(path)
        #expect(summary.featuresRead == 2)
        #expect(summary.featuresSkipped == 1)
        #expect(summary.polygonsStaged == 2)
        let merged = try TileMerger(configuration: config).mergeTile(TileIndex(x: 1419, y: 909, z: 13))
        #expect(merged.rowsWritten == 2)
        let rows = try TestSupport.readRows(merged.path).rows
        #expect(Set(rows.compactMap { $0.values["staging_identifier"]?.stringValue }).count == 2)
        #expect(rows.allSatisfy { $0.values["k"] == .integer(1) })
    }

    @Test func badInputsAreReportedPerFileAndTheOthersStaged() async throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try TestSupport.writeGeoJSON(root + "/input/good.geojson", features: [Feature(properties: [:], polygons: [Self.square(dx: 0.001, dy: 0.001)])])
        try "this is not json".write(toFile: root + "/input/broken.geojson", atomically: true, encoding: .utf8)
        try TestSupport.writeGeoJSON(root + "/input/empty.geojson", features: [])
        try TestSupport.writeGeoJSON(
            root + "/input/invalid.geojson",
            features: [
                Feature(properties: [:], polygons: [[[(0, 0), (1, 0), (0, 0)]]])
            ])
        let config = try TestSupport.syntheticConfiguration(root: root)
        let report = try await StagingRunner(workflow: config).run()
        // Only the file GDAL cannot open fails, with its name and GDAL's reason; the empty file is a warning and
        // the feature with a two-point ring is dropped, not its file.
        #expect(report.staged.map(\.filename).sorted() == ["empty.geojson", "good.geojson", "invalid.geojson"])
        #expect(report.failures.map { ($0.path as NSString).lastPathComponent } == ["broken.geojson"])
        #expect(report.failures.first?.message.contains("broken.geojson") == true)
        let staged = Dictionary(uniqueKeysWithValues: report.staged.map { ($0.filename, $0) })
        #expect(staged["empty.geojson"]?.warnings.first?.contains("no features") == true)
        #expect(staged["invalid.geojson"]?.featuresDropped == 1)
        #expect(staged["invalid.geojson"]?.notes.first?.contains("ring") == true)
        #expect(report.merged.count == 1)
    }

    @Test("A bow-tie is repaired with make-valid into its two triangles, counted and named; the file's other features stage as usual")
    func bowTieIsRepaired() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (x, y, d) = (Self.corner.x + 0.001, Self.corner.y + 0.001, 0.002)
        let bowTie: [(Double, Double)] = [(x, y), (x + d, y + d), (x + d, y), (x, y + d), (x, y)]
        try TestSupport.writeGeoJSON(
            root + "/input/bowtie.geojson",
            features: [
                Feature(properties: ["k": "1"], polygons: [[bowTie]]),
                Feature(properties: ["k": "2"], polygons: [Self.square(dx: 0.004, dy: 0.004, size: 0.001)]),
            ])
        let config = try TestSupport.syntheticConfiguration(root: root)
        let summary = try VectorTileStager(configuration: config).stageFile(root + "/input/bowtie.geojson")
        #expect(summary.featuresRead == 2)
        #expect(summary.featuresRepaired == 1)
        #expect(summary.featuresDropped == 0)
        #expect(summary.notes.count == 1)
        #expect(summary.notes.first?.contains("repaired") == true && summary.notes.first?.contains("Self-intersection") == true, "\(summary.notes)")
        #expect(summary.polygonsStaged == 3)  // two triangles + the square
        let merged = try TileMerger(configuration: config).mergeTile(TileIndex(x: 1419, y: 909, z: 13))
        let rows = try TestSupport.readRows(merged.path).rows
        let triangles = rows.filter { $0.values["k"] == .integer(1) }
        #expect(triangles.count == 2)
        // Each triangle is a quarter of the bow-tie's bounding square, and valid (3 distinct corners + closing point).
        for triangle in triangles {
            #expect(abs(PlanarMeasures.area(of: triangle.polygon) - d * d / 4) < 1e-15)
            #expect(triangle.polygon.rings[0].count == 8)
        }
    }

    @Test("A feature that cannot be reprojected is dropped alone, counted and named")
    func unprojectableFeatureIsDroppedAlone() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Latitudes beyond the pole are outside Web Mercator's domain (PROJ: "webmerc: Invalid latitude").
        let pole: [(Double, Double)] = [(10, 89.5), (11, 89.5), (11, 95), (10, 95), (10, 89.5)]
        try TestSupport.writeGeoJSON(
            root + "/input/pole.geojson",
            features: [
                Feature(properties: ["k": "1"], polygons: [[pole]]),
                Feature(properties: ["k": "2"], polygons: [Self.square(dx: 0.004, dy: 0.004, size: 0.001)]),
            ])
        let config = try TestSupport.syntheticConfiguration(root: root, extra: ["tms_id": .string("WebMercatorQuad")])
        let summary = try VectorTileStager(configuration: config).stageFile(root + "/input/pole.geojson")
        #expect(summary.featuresRead == 2)
        #expect(summary.featuresDropped == 1)
        #expect(summary.polygonsStaged == 1)
        #expect(summary.notes.first?.contains("cannot reproject") == true, "\(summary.notes)")
    }

    @Test("An empty input is a warning, not a failure")
    func emptyInputWarns() async throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try TestSupport.writeGeoJSON(root + "/input/empty.geojson", features: [])
        let config = try TestSupport.syntheticConfiguration(root: root)
        let report = try await StagingRunner(workflow: config).run()
        #expect(report.failures.isEmpty)
        #expect(report.staged.first?.warnings == ["\(root)/input/empty.geojson: the layer has no features"])
    }

    @Test func shapefilesNeedTheirDbfAndPrj() async throws {
        let golden = try TestSupport.goldenExample() + "/input-data/large-shapefile-example/large-shapefile-example"
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let manager = FileManager.default
        try manager.createDirectory(atPath: root + "/input", withIntermediateDirectories: true)
        for ext in ["shp", "shx", "prj"] { try manager.copyItem(atPath: golden + "." + ext, toPath: root + "/input/nodbf." + ext) }
        for ext in ["shp", "shx", "dbf"] { try manager.copyItem(atPath: golden + "." + ext, toPath: root + "/input/noprj." + ext) }
        let config = try TestSupport.syntheticConfiguration(root: root, extra: ["ext_input": .string(".shp")])
        let report = try await StagingRunner(workflow: config).run()
        #expect(report.staged.isEmpty)
        let messages = report.failures.map(\.message).sorted()
        #expect(messages.count == 2)
        #expect(messages.contains { $0.contains("nodbf.shp") && $0.contains(".dbf") })
        #expect(messages.contains { $0.contains("noprj.shp") && $0.contains(".prj") })
    }

    static func dedupInputs(root: String) throws {
        // b (newer) has a polygon almost on top of a's first polygon; a's second polygon is alone.
        try TestSupport.writeGeoJSON(
            root + "/input/a.geojson",
            features: [
                Feature(properties: ["Date": "\"20190101\""], polygons: [Self.square(dx: 0.001, dy: 0.001, size: 0.001)]),
                Feature(properties: ["Date": "\"20190101\""], polygons: [Self.square(dx: 0.01, dy: 0.01, size: 0.001)]),
            ])
        try TestSupport.writeGeoJSON(
            root + "/input/b.geojson",
            features: [
                Feature(properties: ["Date": "\"20200101\""], polygons: [Self.square(dx: 0.00105, dy: 0.001, size: 0.001)])
            ])
    }

    @Test(arguments: ["staging", "raster"])
    func neighborDeduplication(at stage: String) async throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.dedupInputs(root: root)
        let config = try TestSupport.syntheticConfiguration(
            root: root,
            extra: [
                "deduplicate_method": .string("neighbor"), "deduplicate_at": .array([.string(stage)]),
                "deduplicate_keep_rules": .array([.array([.string("Date"), .string("larger")])]),
                "deduplicate_clip_to_footprint": .bool(false),
            ])
        let report = try await StagingRunner(workflow: config).run()
        #expect(report.failures.isEmpty)
        let rows = try TestSupport.readRows(report.merged[0].path).rows
        let labelled = rows.map { ($0.values["staging_filename"]!.stringValue!, $0.values["staging_duplicated"]!) }
        if stage == "staging" {
            #expect(labelled.map(\.0) == ["a.geojson", "b.geojson"])
            #expect(labelled.allSatisfy { $0.1 == .integer(0) })
        } else {
            #expect(labelled.map(\.0) == ["a.geojson", "a.geojson", "b.geojson"])
            #expect(labelled.map(\.1) == [.integer(1), .integer(0), .integer(0)])
        }
    }

    @Test func footprintsWithClippingLabelRowsOutsideAndInOverlaps() async throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.dedupInputs(root: root)
        // a's footprint covers both its polygons; b's covers only the first area. Overlap: around a's first.
        try TestSupport.writeGeoJSON(
            root + "/footprints/a.geojson",
            features: [
                Feature(properties: ["Date": "\"20190101\""], polygons: [Self.square(dx: 0, dy: 0, size: 0.02)])
            ])
        try TestSupport.writeGeoJSON(
            root + "/footprints/b.geojson",
            features: [
                Feature(properties: ["Date": "\"20200101\""], polygons: [Self.square(dx: 0, dy: 0, size: 0.005)])
            ])
        let config = try TestSupport.syntheticConfiguration(
            root: root,
            extra: [
                "deduplicate_method": .string("footprints"), "deduplicate_at": .array([.string("raster")]),
                "deduplicate_keep_rules": .array([.array([.string("Date"), .string("larger")])]),
            ])
        let report = try await StagingRunner(workflow: config).run()
        #expect(report.failures.isEmpty)
        let rows = try TestSupport.readRows(report.merged[0].path).rows
        // Each row once (PDG repeats flagged rows); a's first polygon lies in the overlap and loses to b.
        #expect(rows.count == 3)
        #expect(rows.map { $0.values["staging_duplicated"]! } == [.integer(1), .integer(0), .integer(0)])
    }

    @Test func clippingLabelsRowsOutsideTheFootprintAndMissingFootprintsFail() async throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.dedupInputs(root: root)
        try TestSupport.writeGeoJSON(
            root + "/footprints/a.geojson",
            features: [
                Feature(properties: ["Date": "\"20190101\""], polygons: [Self.square(dx: 0, dy: 0, size: 0.005)])
            ])
        let config = try TestSupport.syntheticConfiguration(
            root: root,
            extra: [
                "deduplicate_method": .string("footprints"), "deduplicate_at": .array([.string("raster")]),
                "deduplicate_keep_rules": .array([.array([.string("Date"), .string("larger")])]),
            ])
        let report = try await StagingRunner(workflow: config).run()
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.message.contains("footprint") == true)
        #expect(report.failures.first?.path.hasSuffix("b.geojson") == true)
        #expect(report.staged.first?.polygonsOutsideFootprint == 1)
        let rows = try TestSupport.readRows(report.merged[0].path).rows
        #expect(rows.map { $0.values["staging_duplicated"]! } == [.integer(0), .integer(1)])
    }

    @Test func partialShardsOfAKilledTaskAreIgnored() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.writeInputs(root: root)
        let config = try TestSupport.syntheticConfiguration(root: root)
        let stager = try VectorTileStager(configuration: config)
        let summary = try stager.stageFile(try stager.discoverInputs()[0])
        let tile = summary.tiles[0].tile
        let torn = stager.shardPath(filename: "sub/zzz.geojson", tile: tile) + ".1234.partial"
        try Data("PDGSHRD1 torn".utf8).write(to: URL(fileURLWithPath: torn))
        let merged = try TileMerger(configuration: config).mergeTile(tile)
        #expect(merged.shards == 1)
        #expect(merged.rowsWritten == summary.tiles[0].rows)
    }

    @Test func summaryHasOneRowPerInputAndTile() async throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.writeInputs(root: root)
        let config = try TestSupport.syntheticConfiguration(root: root)
        let report = try await StagingRunner(workflow: config).run()
        let lines = try String(contentsOfFile: config.filenameStagingSummary, encoding: .utf8).split(separator: "\n")
        #expect(lines[0] == Substring(StagingSummaryCSV.header))
        let expected = report.merged.reduce(0) { $0 + $1.files.count }
        #expect(lines.count - 1 == expected)
        let total = lines.dropFirst().reduce(0) { $0 + Int($1.split(separator: ",")[1])! }
        #expect(total == report.staged.reduce(0) { $0 + $1.rowsWritten })
    }
}

struct GeoPackageWriterTests {
    @Test func packedSpatialIndexPassesSQLiteChecksAndAnswersQueries() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var random = PolygonSimplifierTests.Random(state: 3)
        let path = root + "/t/13/1/2.gpkg"
        let writer = try GeoPackageWriter(
            path: path, layerName: "2", crs: "OGC:CRS84",
            fields: [FieldDefinition(name: "n", type: .integer), FieldDefinition(name: "flag", type: .boolean)])
        var polygons: [Polygon] = []
        for index in 0..<3000 {
            let polygon = GeometryTests.squarePolygon(random.next() * 10, random.next() * 5, 0.01 + random.next() * 0.05)
            polygons.append(polygon)
            try writer.write(values: [.integer(Int64(index)), .integer(Int64(index % 2))], polygon: polygon)
        }
        try writer.commit()
        let dataset = try VectorDataset(openingForReading: path)
        #expect(dataset.firstValue(ofSQL: "SELECT rtreecheck('rtree_2_geom')") == "ok")
        #expect(dataset.firstValue(ofSQL: "SELECT count(*) FROM rtree_2_geom") == "3000")
        #expect(dataset.firstValue(ofSQL: "SELECT feature_count FROM gpkg_ogr_contents") == "3000")
        #expect(dataset.firstValue(ofSQL: "PRAGMA application_id") == "1196444487")
        for _ in 0..<20 {
            let x = random.next() * 10
            let y = random.next() * 5
            let query = BoundingBox(left: x, bottom: y, right: x + 0.7, top: y + 0.4)
            let expected = polygons.filter { $0.boundingBox.intersects(query) }.count
            #expect(try dataset.count(intersecting: query) == expected)
        }
        let rows = try TestSupport.readRows(path)
        #expect(rows.rows.count == 3000)
        #expect(rows.rows[5].values["flag"] == .integer(1))
        #expect(rows.rows[5].polygon == polygons[5])
    }

    @Test func singleRowAndEmptyIndexesAreValid() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let writer = try GeoPackageWriter(path: root + "/a.gpkg", layerName: "a", crs: "EPSG:4326", fields: [])
        try writer.write(values: [], polygon: GeometryTests.squarePolygon(1, 1, 1))
        try writer.commit()
        let dataset = try VectorDataset(openingForReading: root + "/a.gpkg")
        #expect(dataset.firstValue(ofSQL: "SELECT rtreecheck('rtree_a_geom')") == "ok")
        #expect(dataset.firstValue(ofSQL: "SELECT srs_id FROM gpkg_geometry_columns") == "4326")
    }
}

@Suite(.serialized)
struct StagingOptionsTests {
    typealias Feature = TestSupport.Feature

    @Test func inputCRSIsAssignedAndReprojected() async throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // EPSG:3413 metres written into a GeoJSON (which GDAL would read as CRS84); input_crs assigns 3413.
        let x = -2122000.0
        let y = 522000.0
        try TestSupport.writeGeoJSON(
            root + "/input/polar.geojson",
            features: [
                Feature(properties: [:], polygons: [[TestSupport.square(x, y, size: 10)]])
            ])
        let config = try TestSupport.syntheticConfiguration(root: root, extra: ["input_crs": .string("EPSG:3413")])
        let report = try await StagingRunner(workflow: config).run()
        #expect(report.failures.isEmpty)
        #expect(report.merged.map(\.tile) == [TileIndex(x: 1419, y: 909, z: 13)])
        let row = try #require(try TestSupport.readRows(report.merged[0].path).rows.first)
        #expect(abs(row.values["staging_centroid_x"]!.doubleValue! - -148.8200) < 1e-3)
        #expect(abs(row.values["staging_centroid_y"]!.doubleValue! - 70.0239) < 1e-3)
    }

    @Test func wgs1984QuadTilesCarryEPSG4326() async throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try VectorStagingTests.writeInputs(root: root)
        let config = try TestSupport.syntheticConfiguration(root: root, extra: ["tms_id": .string("WGS1984Quad")])
        let report = try await StagingRunner(workflow: config).run()
        #expect(report.failures.isEmpty)
        let path = try #require(report.merged.first?.path)
        #expect(path.contains("/staged/WGS1984Quad/13/"))
        let dataset = try VectorDataset(openingForReading: path)
        #expect(dataset.firstValue(ofSQL: "SELECT srs_id FROM gpkg_geometry_columns") == "4326")
    }

    @Test func geoPackageInputsAreStagedAndStagedTilesRefused() async throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let corner = VectorStagingTests.corner
        let input = try GeoPackageWriter(
            path: root + "/input/scene.gpkg", layerName: "scene", crs: "EPSG:4326",
            fields: [FieldDefinition(name: "n", type: .integer)])
        try input.write(values: [.integer(7)], polygon: GeometryTests.squarePolygon(corner.x + 0.001, corner.y + 0.001, 0.001))
        try input.commit()
        let config = try TestSupport.syntheticConfiguration(root: root, extra: ["ext_input": .string(".gpkg")])
        let report = try await StagingRunner(workflow: config).run()
        #expect(report.failures.isEmpty)
        let rows = try TestSupport.readRows(try #require(report.merged.first).path).rows
        #expect(rows.map { $0.values["n"] } == [.integer(7)])

        // A staged tile already has the staging columns: as input it is refused with a clear message.
        try FileManager.default.createDirectory(atPath: root + "/again", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: report.merged[0].path, toPath: root + "/again/tile.gpkg")
        let again = try TestSupport.syntheticConfiguration(
            root: root,
            extra: [
                "dir_input": .string(root + "/again"), "ext_input": .string(".gpkg"), "dir_staged": .string(root + "/staged2"),
            ])
        let refused = try await StagingRunner(workflow: again).run()
        #expect(refused.failures.first?.message.contains("already has a column") == true)
    }

    @Test func shardsFlushedInPiecesReadBackWhole() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = try TilePathLayout(structure: ["style", "tms", "z", "x", "y"], tmsIdentifier: "T")
        let header = ShardHeader(
            version: ShardCodec.version, filename: "a.shp", tile: TileIndex(x: 0, y: 0, z: 0),
            fields: [FieldDefinition(name: "s", type: .string), FieldDefinition(name: "r", type: .real)])
        let writers = ShardWriterSet(shardRoot: root, layout: layout, inputKey: "k", flushThreshold: 200) { tile in
            var copy = header
            copy.tile = tile
            return ShardCodec.encodeHeader(copy)
        }
        var rows: [StagedRow] = []
        for index in 0..<500 {
            let row = StagedRow(
                sequence: UInt64(index), values: [index % 7 == 0 ? .null : .string("v\(index)"), .real(Double(index) / 3)],
                area: 1, centroidX: 2, centroidY: 3, identifier: "id\(index)", centroidTile: TileIndex(x: 1, y: 2, z: 13),
                duplicated: index % 2 == 0 ? nil : index % 3 == 0, polygon: GeometryTests.squarePolygon(Double(index), 0, 1))
            rows.append(row)
            try writers.append(row, to: TileIndex(x: index % 2, y: 0, z: 13))
        }
        let tiles = try writers.finish()
        #expect(tiles == [TileIndex(x: 0, y: 0, z: 13), TileIndex(x: 1, y: 0, z: 13)])
        let read = try ShardCodec.read(path: writers.path(for: TileIndex(x: 1, y: 0, z: 13)))
        #expect(read.header.filename == "a.shp")
        #expect(read.rows.count == 250)
        for (got, expected) in zip(read.rows, rows.filter { $0.sequence % 2 == 1 }) {
            #expect(got.sequence == expected.sequence)
            #expect(got.values == expected.values)
            #expect(got.identifier == expected.identifier)
            #expect(got.duplicated == expected.duplicated)
            #expect(got.polygon == expected.polygon)
            #expect(got.centroidTile == expected.centroidTile)
        }
    }
}

struct ShardStreamTests {
    static func writeShard(root: String, rows count: Int, text: String) throws -> (path: String, rows: [StagedRow]) {
        let layout = try TilePathLayout(structure: ["style", "tms", "z", "x", "y"], tmsIdentifier: "T")
        let header = ShardHeader(
            version: ShardCodec.version, filename: "big.shp", tile: TileIndex(x: 3, y: 4, z: 13),
            fields: [FieldDefinition(name: "s", type: .string)])
        let writers = ShardWriterSet(shardRoot: root, layout: layout, inputKey: "big", flushThreshold: 100_000) { _ in
            ShardCodec.encodeHeader(header)
        }
        var rows: [StagedRow] = []
        for index in 0..<count {
            let row = StagedRow(
                sequence: UInt64(index), values: [.string("\(index)" + text)], area: Double(index), centroidX: 0,
                centroidY: 0, identifier: "i", centroidTile: TileIndex(x: 3, y: 4, z: 13), duplicated: nil,
                polygon: GeometryTests.squarePolygon(Double(index), 0, 1))
            rows.append(row)
            try writers.append(row, to: TileIndex(x: 3, y: 4, z: 13))
        }
        _ = try writers.finish()
        return (writers.path(for: TileIndex(x: 3, y: 4, z: 13)), rows)
    }

    @Test func recordsSpanningReadChunksStreamCorrectly() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // ≈ 3.5 MB: several 1 MiB read chunks, records straddling their boundaries.
        let shard = try Self.writeShard(root: root, rows: 6000, text: String(repeating: "x", count: 400))
        let stream = try ShardStream(path: shard.path)
        var count = 0
        while let row = try stream.next() {
            #expect(row.values == shard.rows[count].values)
            #expect(row.polygon == shard.rows[count].polygon)
            count += 1
        }
        #expect(count == 6000)
    }

    @Test func truncatedShardsAreReportedAsCorrupt() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let shard = try Self.writeShard(root: root, rows: 10, text: "abc")
        let data = try Data(contentsOf: URL(fileURLWithPath: shard.path))
        try data.prefix(data.count - 7).write(to: URL(fileURLWithPath: shard.path))
        #expect(throws: TilingError.self) { _ = try ShardCodec.read(path: shard.path) }
        try Data("not a shard".utf8).write(to: URL(fileURLWithPath: shard.path))
        #expect(throws: TilingError.self) { _ = try ShardStream(path: shard.path) }
    }
}
