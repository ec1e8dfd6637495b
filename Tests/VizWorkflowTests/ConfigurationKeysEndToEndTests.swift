import Foundation
import Testing
import VizWorkflowTestSupport

/// The config keys through the binary: warnings on standard error, `--strict`, and pdgworkflow 1.1.0's switches,
/// title and DOI in a real run of the bundled sample.
@Suite(.serialized) struct ConfigurationKeysEndToEndTests {
    /// Rewrites `parameters/workflow_config.json` of a sample run directory with `changes`.
    static func editWorkflow(_ dir: String, _ changes: [String: Any]) throws {
        let path = dir + "/parameters/workflow_config.json"
        var workflow = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        for (key, value) in changes { workflow[key] = value }
        try JSONSerialization.data(withJSONObject: workflow).write(to: URL(fileURLWithPath: path))
    }

    @Test("Unknown keys warn on stderr and the command runs; --strict refuses the config naming the key")
    func warningsAndStrict() async throws {
        let dir = try SampleRun.makeDirectory(prefix: "viz-keys", executor: #"{ "class": "ThreadPoolExecutor", "max_threads": 2 }"#)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.editWorkflow(dir, ["dir_staged_remote": "/gcs/staged", "geometricError": 57, "z_range": [13, 13]])
        let config = dir + "/parameters/workflow_config.json"
        let warned = try await SampleRun.run(["stage", "--config", config, "--workers", "2"], in: dir)
        #expect(warned.status == 0, "\(warned.stderr)")
        #expect(warned.stderr.contains("`dir_staged_remote` is not a key; did you mean `dir_staged`?"))
        #expect(warned.stderr.contains("`geometricError` configures 3D tiles, which this project does not make"))
        #expect(!warned.stdout.contains("is not a key"))
        for command in [["stage"], ["rasterize"], ["webtiles"]] {
            let refused = try await SampleRun.run(command + ["--config", config, "--strict"], in: dir)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("did you mean `dir_staged`"), "\(command): \(refused.stderr)")
        }
        let refusedRun = try await SampleRun.run(["run", "--strict"], in: dir)
        #expect(refusedRun.status != 0)
        #expect(refusedRun.stderr.contains("dir_staged_remote"))
    }

    @Test(
        "enable_raster false stages only; enable_stager false then rasterizes the staged tiles; parents' web tiles can be skipped; WMTS says the config's title and DOI"
    )
    func pdgworkflowSwitches() async throws {
        let dir = try SampleRun.makeDirectory(prefix: "viz-switches", executor: #"{ "class": "ThreadPoolExecutor", "max_threads": 2 }"#)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.editWorkflow(dir, ["enable_raster": false])
        let staging = try await SampleRun.run(["run"], in: dir)
        #expect(staging.status == 0, "\(staging.stdout)\(staging.stderr)")
        #expect(try SampleRun.outputs(dir).isEmpty)
        #expect(staging.stdout.contains("polygons staged: 14281"))

        try Self.editWorkflow(
            dir,
            [
                "enable_raster": true, "enable_stager": false, "enable_web_tiles_parents": false, "title": "Ice-wedge polygons (sample)",
                "doi": "10.18739/A2KW57K57",
            ])
        let raster = try await SampleRun.run(["run", "--base-url", "https://arcticdata.io/data/tiles"], in: dir)
        #expect(raster.status == 0, "\(raster.stdout)\(raster.stderr)")
        #expect(raster.stdout.contains("polygons staged: 0"))
        let outputs = try SampleRun.outputs(dir)
        let geotiffs = outputs.keys.filter { $0.hasSuffix(".tif") }
        let pngs = outputs.keys.filter { $0.hasSuffix(".png") }
        #expect(geotiffs.count == 11)  // z6–13, as with staging in the same run
        #expect(!pngs.isEmpty && pngs.allSatisfy { $0.contains("/13/") }, "\(pngs.sorted())")
        #expect(pngs.count == 2 * geotiffs.filter { $0.contains("/13/") }.count)
        // update_ranges: the config with the ranges the web tiles used, in the run directory.
        let updated = try String(contentsOfFile: dir + "/config__updated.json", encoding: .utf8)
        #expect(updated.contains("\"z_config\""))
        let wmts = try String(contentsOfFile: dir + "/viz-output/web_tiles/WMTSCapabilities.xml", encoding: .utf8)
        #expect(wmts.contains("<ows:Title>Ice-wedge polygons (sample)</ows:Title>"))
        #expect(wmts.contains("https://arcticdata.io/data/tiles/10.18739/A2KW57K57/web_tiles/iwp_count/{TileMatrixSet}/{TileMatrix}/{TileCol}/{TileRow}.png"))
        // The layer's box is the data's extent, not the whole world.
        let layerBox = try #require(wmts.components(separatedBy: "<ows:WGS84BoundingBox").dropFirst().first?.components(separatedBy: "</ows:WGS84").first)
        func corner(_ name: String) throws -> [Double] {
            let text = try #require(layerBox.components(separatedBy: "<ows:\(name)>").dropFirst().first?.components(separatedBy: "<").first)
            return text.split(separator: " ").compactMap { Double($0) }
        }
        let (lower, upper) = (try corner("LowerCorner"), try corner("UpperCorner"))
        #expect(lower.count == 2 && upper.count == 2, "\(layerBox)")
        #expect(lower[0] > -180 && upper[0] < 180 && lower[1] > -90 && upper[1] < 90, "\(layerBox)")
        #expect(upper[0] - lower[0] < 10 && upper[1] - lower[1] < 10, "the sample covers a few degrees: \(layerBox)")
    }

    @Test("An input list (JSON array of paths) replaces scanning dir_input")
    func inputList() async throws {
        let dir = try SampleRun.makeDirectory(prefix: "viz-list", executor: #"{ "class": "ThreadPoolExecutor", "max_threads": 2 }"#)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.editWorkflow(dir, ["z_range": [13, 13]])
        try #"["iwp_part1.shp", "missing.shp"]"#.write(toFile: dir + "/inputs.json", atomically: true, encoding: .utf8)
        let result = try await SampleRun.run(
            ["stage", "--config", dir + "/parameters/workflow_config.json", "--inputs", dir + "/inputs.json", "--json"], in: dir)
        // The missing file fails alone, with its name; the listed one is the only input staged.
        #expect(result.status == 1)
        #expect(result.stderr.contains("missing.shp"))
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let staged = report?["staged"] as? [[String: Any]] ?? []
        #expect(staged.map { $0["filename"] as? String } == ["iwp_part1.shp"])
    }
}
