import Foundation
import Testing
import VizWorkflowTestSupport

/// Re-runs of the bundled sample after outputs were deleted or inputs changed: each ends with exactly the
/// outputs a fresh run over the same inputs makes, and redoes only what the change touched.
@Suite(.serialized) struct FileAwareRerunTests {
    static let threads = #"{ "class": "ThreadPoolExecutor", "max_threads": 2 }"#

    /// A run directory whose `dir_input` is its own copy of the sample's inputs (or of `only` of them).
    func makeRun(only: [String]? = nil, fingerprint: String? = nil, executor: String = threads) throws -> String {
        let dir = try SampleRun.makeDirectory(prefix: "viz-rerun", executor: executor)
        let source = SampleRun.packageRoot + "/Examples/sample-data/input"
        try FileManager.default.createDirectory(atPath: dir + "/input", withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            if let only, !only.contains(where: { name.hasPrefix($0 + ".") }) { continue }
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: dir + "/input/" + name)
        }
        let workflowPath = dir + "/parameters/workflow_config.json"
        var workflow = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: workflowPath))) as! [String: Any]
        workflow["dir_input"] = "input"
        try JSONSerialization.data(withJSONObject: workflow).write(to: URL(fileURLWithPath: workflowPath))
        if let fingerprint {
            let parslPath = dir + "/parameters/parsl_config.json"
            var parsl = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: parslPath))) as! [String: Any]
            parsl["file_fingerprint"] = fingerprint
            try JSONSerialization.data(withJSONObject: parsl).write(to: URL(fileURLWithPath: parslPath))
        }
        return dir
    }

    /// `viz-workflow run` in `dir`; fails the test unless it exits 0. Returns its standard output.
    @discardableResult
    func run(_ dir: String) async throws -> String {
        let (status, stdout, stderr) = try await SampleRun.run(["run"], in: dir, limit: .seconds(180))
        #expect(status == 0, "\(stdout)\n\(stderr)")
        return stdout
    }

    /// A number from the summary: "tasks: 6 run, 15 reused …" → count(text, "reused") == 15.
    func count(_ text: String, _ label: String) -> Int {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tasks:") }) else { return -1 }
        let words = line.split(separator: " ")
        guard let i = words.firstIndex(where: { $0.hasPrefix(label) }), i > 0 else { return -1 }
        return Int(words[i - 1]) ?? -1
    }

    /// From "re-run instead of reused: 3 because an output file was missing or changed, 1 because an input
    /// file changed": the first number for `output`, the second for `input`; 0 without the line.
    func reruns(_ text: String, _ kind: String) -> Int {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("re-run instead of reused:") }) else { return 0 }
        let numbers = line.split(separator: " ").compactMap { Int($0) }
        return numbers.count == 2 ? numbers[kind == "output" ? 0 : 1] : -1
    }

    /// Every GeoTIFF and PNG with its bytes, and the names of the staged tiles.
    func outputs(_ dir: String) throws -> ([String: Data], [String]) {
        let staged = (FileManager.default.enumerator(atPath: dir + "/viz-output/staged")?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".gpkg") }.sorted()
        return (try SampleRun.outputs(dir), staged)
    }

    func files(_ dir: String, _ suffix: String, under folder: String = "viz-output") -> [String] {
        (FileManager.default.enumerator(atPath: dir + "/" + folder)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(suffix) && !$0.contains(".shards") }.sorted().map { dir + "/" + folder + "/" + $0 }
    }

    @Test func deletedOutputsAreMadeAgainAsAFreshRunMakesThem() async throws {
        let dir = try makeRun()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try await run(dir)
        let tasks = count(first, "run,")
        let reference = try outputs(dir)
        #expect(reference.0.count == 33 && reference.1.count == 4)

        // A few single outputs of every kind.
        let pngs = files(dir, ".png")
        let tifs = files(dir, ".tif")
        for path in [pngs[0], pngs[pngs.count - 1], tifs[tifs.count / 2], files(dir, ".gpkg")[0]] {
            try FileManager.default.removeItem(atPath: path)
        }
        let text = try await run(dir)
        #expect(try outputs(dir) == reference)
        #expect(count(text, "reused") > 0, "\(text)")
        #expect(reruns(text, "output") >= 3, "\(text)")
        #expect(count(text, "run,") < tasks / 2, "a deletion re-made everything:\n\(text)")

        // The whole output folder.
        try FileManager.default.removeItem(atPath: dir + "/viz-output")
        let again = try await run(dir)
        #expect(try outputs(dir) == reference)
        #expect(count(again, "run,") == tasks, "\(again)")

        // Nothing deleted: nothing runs.
        let idle = try await run(dir)
        #expect(count(idle, "reused") == tasks && count(idle, "run,") == 0, "\(idle)")
    }

    /// Metadata fingerprints re-stage a rewritten input; content hashes see that its bytes are the same.
    @Test(arguments: ["metadata", "content_hash"])
    func anInputRewrittenWithTheSameBytes(fingerprint: String) async throws {
        let dir = try makeRun(fingerprint: fingerprint)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await run(dir)
        let reference = try outputs(dir)
        let dbf = dir + "/input/iwp_part2.dbf"
        try Data(contentsOf: URL(fileURLWithPath: dbf)).write(to: URL(fileURLWithPath: dbf))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: dbf)
        let text = try await run(dir)
        #expect(try outputs(dir) == reference)
        if fingerprint == "metadata" {
            // Staging that file runs again; its shards come out the same, so nothing after it does.
            #expect(count(text, "run,") == 1 && reruns(text, "input") == 1, "\(text)")
        } else {
            #expect(count(text, "run,") == 0, "\(text)")
        }
    }

    /// An input replaced in place by one with other content re-stages it and redoes what depends on it.
    @Test func anInputChangedInPlaceGivesTheOutputsOfAFreshRun() async throws {
        let dir = try makeRun(fingerprint: "content_hash")
        let fresh = try makeRun(fingerprint: "content_hash")
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: fresh)
        }
        try await run(dir)
        // Half the features of part 0, written over the original (same names).
        for target in [dir, fresh] { try subset(target + "/input", "iwp_part0", sql: "SELECT * FROM iwp_part0 WHERE rowid % 2 = 0") }
        let text = try await run(dir)
        #expect(reruns(text, "input") >= 1, "\(text)")
        #expect(count(text, "reused") > 0, "\(text)")
        try await run(fresh)
        #expect(try outputs(dir) == outputs(fresh))
    }

    /// An input replaced by one that no longer reaches a tile: that tile's outputs go (no other input
    /// touches it), its parents are made again without it, and the result is a fresh run's.
    @Test func anInputWithFewerFeaturesLeavesNoStaleTile() async throws {
        // part1 and part3: only part1 reaches tile 13/1418/908.
        let dir = try makeRun(only: ["iwp_part1", "iwp_part3"])
        let fresh = try makeRun(only: ["iwp_part1", "iwp_part3"])
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: fresh)
        }
        try await run(dir)
        let before = try outputs(dir)
        #expect(before.1.contains { $0.hasSuffix("13/1418/908.gpkg") })
        // Keep only part1's polygons well inside tile 13/1418/909.
        for target in [dir, fresh] {
            try subset(target + "/input", "iwp_part1", spatialFilter: ["-148.838", "70.009", "-148.825", "70.022"])
        }
        let text = try await run(dir)
        #expect(text.contains("removed the outputs of"), "\(text)")
        try await run(fresh)
        let after = try outputs(dir)
        #expect(!after.1.contains { $0.hasSuffix("13/1418/908.gpkg") })
        #expect(!after.0.keys.contains { $0.contains("/13/1418/908") })
        #expect(after == (try outputs(fresh)))
    }

    /// kill -9 of the leader while it re-makes deleted outputs; the next run finishes them all.
    @Test func aLeaderKilledWhileRemakingDeletedOutputsIsFinishedByTheNextRun() async throws {
        let executor = """
            { "class": "HighThroughputExecutor", "max_workers_per_node": 1, "heartbeat_period": 1, "heartbeat_threshold": 5,
              "strategy_period": 0.2, "local": { "init_blocks": 1, "max_blocks": 1 } }
            """
        let dir = try makeRun(executor: executor)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await run(dir)
        let reference = try outputs(dir)
        try FileManager.default.removeItem(atPath: dir + "/viz-output")

        let leader = Process()
        leader.executableURL = URL(fileURLWithPath: SampleRun.binary)
        leader.arguments = ["run"]
        leader.currentDirectoryURL = URL(fileURLWithPath: dir)
        leader.standardOutput = FileHandle.nullDevice
        leader.standardError = FileHandle.nullDevice
        try leader.run()
        // Kill it as soon as the first input is staged again, well before the web tiles are back.
        let manifests = dir + "/viz-output/staged/.shards/_inputs"
        try await SampleRun.onThread {
            let deadline = ContinuousClock.now + .seconds(60)
            while ((try? FileManager.default.contentsOfDirectory(atPath: manifests)) ?? []).isEmpty, ContinuousClock.now < deadline {
                usleep(1_000)
            }
            kill(leader.processIdentifier, SIGKILL)
            leader.waitUntilExit()
        }
        #expect(files(dir, ".png").count < 22, "the run finished before it was killed")

        try await run(dir)
        #expect(try outputs(dir) == reference)
    }

    /// Rewrites `name`.shp (and companions) in `folder` with a subset of its features, through ogr2ogr.
    func subset(_ folder: String, _ name: String, sql: String? = nil, spatialFilter: [String]? = nil) throws {
        let scratch = folder + "/../subset-" + UUID().uuidString
        var arguments = ["-f", "ESRI Shapefile", scratch + "/" + name + ".shp", folder + "/" + name + ".shp"]
        if let sql { arguments += ["-dialect", "SQLite", "-sql", sql, "-nln", name] }
        if let spatialFilter { arguments += ["-spat_srs", "EPSG:4326", "-spat"] + spatialFilter }
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ogr2ogr")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "ogr2ogr \(arguments)")
        for file in try FileManager.default.contentsOfDirectory(atPath: scratch) {
            let target = folder + "/" + file
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.moveItem(atPath: scratch + "/" + file, toPath: target)
        }
    }
}
