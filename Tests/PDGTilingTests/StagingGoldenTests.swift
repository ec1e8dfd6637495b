import Foundation
import Testing

@testable import PDGTiling

/// Stages the shipped complete-workflow example and compares with the Python output (spec §15).
///
/// Known differences of the shipped files, handled here:
/// - `staging_filename` holds the full original path (`example/input-data/…`): ours must be a suffix of it.
/// - `staging_centroid_tile` equals `staging_tile` in the shipped files even where the centroid lies in another
///   tile (an old pdgstaging bug, 184 rows): where the shipped row says `centroid_within_tile = false`, ours must
///   differ from `staging_tile` and be the tile that owns the centroid.
/// - `staging_identifier` is random in PDG: not compared.
/// - Column order differs: compared by name.
@Suite(.serialized)
struct StagingGoldenTests {
    @Test func stagedTilesMatchThePythonOutput() async throws {
        let golden = try TestSupport.goldenExample()
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var config = try WorkflowConfiguration(contentsOf: golden + "/workflow_config.json").resolvingPaths(against: golden)
        config.dirStaged = root + "/staged"
        config.filenameStagingSummary = root + "/summary.csv"
        var options = StagingRunner.Configuration()
        options.workers = 2
        let report = try await StagingRunner(workflow: config, configuration: options).run()
        #expect(report.failures.isEmpty)
        #expect(report.staged.first?.polygonsStaged == 14281)

        let layout = try TilePathLayout(
            structure: config.tilePathStructure, tmsIdentifier: "WorldCRS84Quad", fileExtension: ".gpkg")
        let expectedTiles = try FileManager.default.subpathsOfDirectory(atPath: golden + "/staged-vectors")
            .filter { $0.hasSuffix(".gpkg") }.sorted()
        let ourTiles = try FileManager.default.subpathsOfDirectory(atPath: config.dirStaged)
            .filter { $0.hasSuffix(".gpkg") && !$0.hasPrefix(".") }.sorted()
        #expect(ourTiles == expectedTiles)
        #expect(expectedTiles.count == 4)

        let matrix = try TileMatrixSet.worldCRS84Quad.matrix(zoom: 13)
        for relative in expectedTiles {
            let tile = try layout.tile(fromPath: relative).tile
            let expected = try TestSupport.readRows(golden + "/staged-vectors/" + relative)
            let ours = try TestSupport.readRows(config.dirStaged + "/" + relative)
            #expect(ours.rows.count == expected.rows.count, "row count of \(relative)")
            #expect(Set(ours.fields) == Set(expected.fields), "columns of \(relative)")

            var byCentroid: [String: [TestSupport.TileRow]] = [:]
            for row in expected.rows { byCentroid[Self.centroidKey(row), default: []].append(row) }
            var mismatches: [String] = []
            for row in ours.rows {
                let key = Self.centroidKey(row)
                guard var candidates = byCentroid[key], !candidates.isEmpty else {
                    mismatches.append("\(relative): no shipped row with centroid \(key)")
                    continue
                }
                let match = candidates.removeFirst()
                byCentroid[key] = candidates
                if row.polygon != match.polygon { mismatches.append("\(relative) \(key): geometry differs") }
                for name in expected.fields where !["staging_identifier", "staging_filename", "staging_centroid_tile"].contains(name) {
                    if row.values[name] != match.values[name] {
                        mismatches.append("\(relative) \(key): \(name) \(String(describing: row.values[name])) ≠ \(String(describing: match.values[name]))")
                    }
                }
                let ourFilename = row.values["staging_filename"]?.stringValue ?? "?"
                if !(match.values["staging_filename"]?.stringValue ?? "").hasSuffix("/" + ourFilename) {
                    mismatches.append("\(relative) \(key): staging_filename \(ourFilename)")
                }
                let within = match.values["staging_centroid_within_tile"] == .integer(1)
                let ourCentroidTile = row.values["staging_centroid_tile"]?.stringValue
                if within {
                    if ourCentroidTile != match.values["staging_centroid_tile"]?.stringValue {
                        mismatches.append("\(relative) \(key): staging_centroid_tile \(ourCentroidTile ?? "nil")")
                    }
                } else {
                    let owner = TileMatrixSet.stagingTile(
                        containingX: row.values["staging_centroid_x"]!.doubleValue!,
                        y: row.values["staging_centroid_y"]!.doubleValue!, in: matrix)
                    if ourCentroidTile != owner.pdgDescription || owner == tile {
                        mismatches.append("\(relative) \(key): staging_centroid_tile \(ourCentroidTile ?? "nil") for a centroid outside the tile")
                    }
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        }

        // Summary CSV: same rows (filename as a suffix, datetime excepted), areas and bounds to the last digit.
        let expectedCSV = try Self.csvRows(golden + "/staging-summary.csv")
        let ourCSV = try Self.csvRows(config.filenameStagingSummary)
        #expect(ourCSV.header == expectedCSV.header)
        #expect(ourCSV.rows.count == expectedCSV.rows.count)
        for (ours, expected) in zip(ourCSV.rows, expectedCSV.rows) {
            #expect(expected[0].hasSuffix("/" + ours[0]))
            #expect(Array(ours[1...2]) == Array(expected[1...2]))
            #expect(Array(ours[4...]) == Array(expected[4...]))
        }
    }

    static func centroidKey(_ row: TestSupport.TileRow) -> String {
        "\(row.values["staging_centroid_x"]?.doubleValue ?? .nan),\(row.values["staging_centroid_y"]?.doubleValue ?? .nan)"
    }

    static func csvRows(_ path: String) throws -> (header: [String], rows: [[String]]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        return (lines[0], Array(lines.dropFirst()))
    }
}
