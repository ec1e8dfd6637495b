import CVizSQLite
import Foundation
import Testing

@testable import PDGTiling

/// The merge copies shard records into the GeoPackage without decoding them (`ShardRecordView`,
/// `GeoPackageWriter.beginRow`/`appendCells`). Read back through GDAL, every tile must hold exactly the shards'
/// rows, decoded the ordinary way (`ShardCodec.read`), with the staging columns derived from them, in order.
@Suite(.serialized)
struct TileMergeRecordTests {
    @Test func mergedTilesReadBackThroughGDALAsTheShardRows() async throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Two inputs with text, integer, real and null values, holes, and polygons over four tiles.
        for (index, name) in ["a", "b"].enumerated() {
            var features: [TestSupport.Feature] = []
            for step in 0..<40 {
                let offset = Double(step) * 0.0006 - 0.012 + Double(index) * 0.0002
                let x = VectorStagingTests.corner.x + offset
                let y = VectorStagingTests.corner.y - offset / 2
                var rings = [TestSupport.square(x, y, size: 0.0015)]
                if step % 3 == 0 { rings.append(TestSupport.square(x + 0.0005, y + 0.0005, size: 0.0003)) }
                features.append(
                    TestSupport.Feature(
                        properties: [
                            "Class": "\(step % 3)", "Name": step % 5 == 0 ? "null" : "\"ü-\(name)-\(step)\"",
                            "Area": "\(Double(step) * 1.25 + 0.1)",
                        ],
                        polygons: [rings]))
            }
            try TestSupport.writeGeoJSON(root + "/input/\(name).geojson", features: features)
        }
        let config = try TestSupport.syntheticConfiguration(root: root)
        let report = try await StagingRunner(workflow: config).run()
        #expect(report.failures.isEmpty)
        #expect(report.merged.count == 4)

        let merger = try TileMerger(configuration: config)
        let names = config.properties
        var rowsCompared = 0
        for summary in report.merged {
            let tile = summary.tile
            let directory = "\(merger.stager.shardRoot)/\(merger.layout.relativeStem(for: tile))"
            let shards = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".shard") }
            var expected: [(filename: String, row: StagedRow, fields: [FieldDefinition])] = []
            for shard in shards {
                let read = try ShardCodec.read(path: directory + "/" + shard)
                expected += read.rows.map { (read.header.filename, $0, read.header.fields) }
            }
            expected.sort { $0.filename < $1.filename || ($0.filename == $1.filename && $0.row.sequence < $1.row.sequence) }

            let ours = try TestSupport.readRows(summary.path)
            try #require(ours.rows.count == expected.count, "rows of \(tile)")
            for (row, entry) in zip(ours.rows, expected) {
                for (field, value) in zip(entry.fields, entry.row.values) {
                    #expect(row.values[field.name] == value, "\(tile) \(field.name)")
                }
                #expect(row.polygon == entry.row.polygon)
                #expect(row.values[names.area] == .real(entry.row.area))
                #expect(row.values[names.centroidX] == .real(entry.row.centroidX))
                #expect(row.values[names.centroidY] == .real(entry.row.centroidY))
                #expect(row.values[names.filename] == .string(entry.filename))
                #expect(row.values[names.identifier] == .string(entry.row.identifier))
                #expect(row.values[names.centroidTile] == .string(entry.row.centroidTile.pdgDescription))
                #expect(row.values[names.tile] == .string(tile.pdgDescription))
                #expect(row.values[names.centroidWithinTile] == .integer(entry.row.centroidTile == tile ? 1 : 0))
                rowsCompared += 1
            }
            // A valid GeoPackage: SQLite's checks, GeoPackage header fields, the R-tree answering a spatial query.
            let dataset = try VectorDataset(openingForReading: summary.path)
            let layer = ((summary.path as NSString).lastPathComponent as NSString).deletingPathExtension
            #expect(dataset.firstValue(ofSQL: "PRAGMA integrity_check") == "ok")
            #expect(dataset.firstValue(ofSQL: "SELECT rtreecheck('rtree_\(layer)_geom')") == "ok")
            #expect(dataset.firstValue(ofSQL: "PRAGMA application_id") == "1196444487")
            #expect(dataset.firstValue(ofSQL: "PRAGMA user_version") == "10200")
            #expect(dataset.firstValue(ofSQL: "SELECT feature_count FROM gpkg_ogr_contents") == "\(expected.count)")
            var everything = BoundingBox.empty
            for entry in expected { everything.extend(entry.row.polygon.boundingBox) }
            #expect(try dataset.count(intersecting: everything) == expected.count)
        }
        #expect(rowsCompared == report.staged.reduce(0) { $0 + $1.rowsWritten })
    }

    @Test func aCorruptRecordIsReportedNotWritten() throws {
        var bytes: [UInt8] = []
        let row = StagedRow(
            sequence: 3, values: [.string("x"), .integer(2)], area: 1, centroidX: 2, centroidY: 3, identifier: "id",
            centroidTile: TileIndex(x: 1, y: 2, z: 3), duplicated: nil,
            polygon: Polygon(rings: [[0, 0, 1, 0, 1, 1, 0, 0]]))
        ShardCodec.encode(row, to: &bytes)
        try bytes.withUnsafeBytes { raw throws -> Void in
            let record = try ShardRecordView(UnsafeRawBufferPointer(rebasing: raw[4...]), fieldCount: 2, path: "t")
            #expect(record.sequence == 3)
            #expect(record.box == BoundingBox(left: 0, bottom: 0, right: 1, top: 1))
            #expect(String(decoding: record[record.identifier], as: UTF8.self) == "id")
            #expect(record.centroidTileX == 1 && record.centroidTileY == 2)
            // One byte short, one field too many, a byte too many: each is refused.
            #expect(throws: TilingError.self) { _ = try ShardRecordView(UnsafeRawBufferPointer(rebasing: raw[4..<(raw.count - 1)]), fieldCount: 2, path: "t") }
            #expect(throws: TilingError.self) { _ = try ShardRecordView(UnsafeRawBufferPointer(rebasing: raw[4...]), fieldCount: 3, path: "t") }
        }
        bytes.append(0)
        bytes.withUnsafeBytes { raw -> Void in
            #expect(throws: TilingError.self) { _ = try ShardRecordView(UnsafeRawBufferPointer(rebasing: raw[4...]), fieldCount: 2, path: "t") }
        }
    }
}

extension TileMergeRecordTests {
    /// A tile merged again from the same shards is the same bytes (its `last_change` is its newest shard's time,
    /// not the clock), so the publisher keeps the file and its time, and nothing made from it runs again.
    @Test func aTileMergedAgainFromTheSameShardsKeepsItsFile() async throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let features = (0..<12).map { step in
            TestSupport.Feature(
                properties: ["Class": "\(step % 3)"],
                polygons: [[TestSupport.square(VectorStagingTests.corner.x + Double(step) * 0.0004, VectorStagingTests.corner.y, size: 0.001)]])
        }
        try TestSupport.writeGeoJSON(root + "/input/a.geojson", features: features)
        let config = try TestSupport.syntheticConfiguration(root: root)
        let report = try await StagingRunner(workflow: config).run()
        let summary = try #require(report.merged.first)
        let merger = try TileMerger(configuration: config)
        let before = try Data(contentsOf: URL(fileURLWithPath: summary.path))
        let modified = try FileManager.default.attributesOfItem(atPath: summary.path)[.modificationDate] as? Date
        usleep(20_000)
        _ = try merger.mergeTile(summary.tile)
        #expect(try Data(contentsOf: URL(fileURLWithPath: summary.path)) == before)
        #expect(try FileManager.default.attributesOfItem(atPath: summary.path)[.modificationDate] as? Date == modified)

        // last_change is the newest shard's modification time.
        let directory = "\(merger.stager.shardRoot)/\(merger.layout.relativeStem(for: summary.tile))"
        let shards = try FileManager.default.contentsOfDirectory(atPath: directory)
        let shard = try #require(shards.first { $0.hasSuffix(".shard") })
        let shardAttributes = try FileManager.default.attributesOfItem(atPath: directory + "/" + shard)
        let shardTime = try #require(shardAttributes[.modificationDate] as? Date)
        var database: OpaquePointer?
        try #require(sqlite3_open_v2(summary.path, &database, SQLITE_OPEN_READONLY, nil) == SQLITE_OK)
        defer { sqlite3_close(database) }
        var statement: OpaquePointer?
        try #require(sqlite3_prepare_v2(database, "SELECT last_change FROM gpkg_contents", -1, &statement, nil) == SQLITE_OK)
        defer { sqlite3_finalize(statement) }
        try #require(sqlite3_step(statement) == SQLITE_ROW)
        let stamp = sqlite3_column_text(statement, 0).map { String(cString: $0) }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let text = try #require(stamp)
        let recorded = try #require(formatter.date(from: text))
        #expect(abs(recorded.timeIntervalSince(shardTime)) < 0.002, "\(text) vs \(shardTime)")
    }
}
