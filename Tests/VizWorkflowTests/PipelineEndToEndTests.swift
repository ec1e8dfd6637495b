import Foundation
import Testing
import VizWorkflowTestSupport

@testable import DataflowCore

/// The bundled sample through `viz-workflow run`, as a user runs it: worker processes over TCP, in-process,
/// and with the leader or a worker killed mid-run.
@Suite(.serialized) struct PipelineEndToEndTests {
    enum Executor {
        case htex(workers: Int)
        case threads
    }

    /// A run directory with parameters for the bundled sample and the given executor.
    func makeRun(_ executor: Executor, retries: Int = 2, local: String = #"{ "init_blocks": 1, "max_blocks": 1 }"#) throws -> String {
        let executorJSON: String
        switch executor {
        case .htex(let workers):
            executorJSON = """
                { "class": "HighThroughputExecutor", "max_workers_per_node": \(workers), "heartbeat_period": 1, "heartbeat_threshold": 5,
                  "strategy_period": 0.2, "local": \(local) }
                """
        case .threads:
            executorJSON = #"{ "class": "ThreadPoolExecutor", "max_threads": 2 }"#
        }
        return try SampleRun.makeDirectory(prefix: "viz-e2e", executor: executorJSON, retries: retries)
    }

    func start(in dir: String, arguments: [String] = []) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SampleRun.binary)
        process.arguments = ["run"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, out)
    }

    func run(in dir: String, arguments: [String] = []) async throws -> (Int32, String) {
        let (process, out) = try start(in: dir, arguments: arguments)
        return try await SampleRun.onThread {
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
    }

    func count(_ text: String, _ label: String) -> Int? {
        // "tasks: 21 run, 0 reused from checkpoints, ..."
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tasks:") }) else { return nil }
        let words = line.split(separator: " ")
        guard let i = words.firstIndex(where: { $0.hasPrefix(label) }), i > 0 else { return nil }
        return Int(words[i - 1])
    }

    @Test func workerProcessesOverTCPGiveTheSameTilesAsInProcess() async throws {
        let remote = try makeRun(.htex(workers: 2))
        let local = try makeRun(.threads)
        defer {
            try? FileManager.default.removeItem(atPath: remote)
            try? FileManager.default.removeItem(atPath: local)
        }
        let (remoteStatus, remoteText) = try await run(in: remote)
        let (localStatus, _) = try await run(in: local)
        #expect(remoteStatus == 0, "\(remoteText)")
        #expect(localStatus == 0)
        let a = try SampleRun.outputs(remote)
        let b = try SampleRun.outputs(local)
        #expect(a.count == 33)  // 11 GeoTIFFs (z6–13) and 22 PNGs, as the shipped example
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a.filter { b[$0.key] != $0.value }.keys.sorted() == [])
        #expect(remoteText.contains("polygons staged: 14281"))
    }

    @Test func aKilledLeaderResumesWithoutRedoingFinishedTasks() async throws {
        let dir = try makeRun(.htex(workers: 1))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (leader, _) = try start(in: dir)
        // Kill -9 as soon as some tasks are durably checkpointed, well before the run can end.
        let checkpoint = dir + "/runinfo/000/checkpoint/tasks.ckpt"
        // Polled on a thread of its own every millisecond: a poll on the shared pool can lag behind a fast run.
        let killedAfter = try await SampleRun.onThread {
            for _ in 0..<6_000 {
                if let read = try? CheckpointFile.read(path: checkpoint), read.entries.count >= 2 {
                    kill(leader.processIdentifier, SIGKILL)
                    return read.entries.count
                }
                usleep(1_000)
            }
            return 0
        }
        leader.waitUntilExit()
        #expect(killedAfter >= 2)
        #expect(leader.terminationReason == .uncaughtSignal, "the run ended before it could be killed")
        let finished = try CheckpointFile.read(path: checkpoint).entries.count

        let (status, text) = try await run(in: dir)
        #expect(status == 0, "\(text)")
        // Every task finished before the kill is answered from the checkpoint, none is run again.
        #expect(count(text, "reused") == finished, "\(text)")
        #expect((count(text, "run,") ?? 0) > 0)
        #expect(try SampleRun.outputs(dir).count == 33)
    }

    @Test func aKilledWorkerLosesNoTile() async throws {
        let dir = try makeRun(.htex(workers: 2))
        let reference = try makeRun(.threads)
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: reference)
        }
        let (leader, out) = try start(in: dir)
        // Kill -9 one worker slot process of this run once it is connected.
        var killed = false
        for _ in 0..<500 where !killed {
            let slots = Self.processes { $0.contains("viz-workflow") && $0.contains("worker") && $0.contains("--slot") }
            if let victim = slots.first(where: { Self.isDescendant($0, of: leader.processIdentifier) }) {
                kill(victim, SIGKILL)
                killed = true
            } else {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        let text = try await SampleRun.onThread {
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            leader.waitUntilExit()
            return text
        }
        #expect(killed)
        #expect(leader.terminationStatus == 0, "\(text)")
        _ = try await run(in: reference)
        let a = try SampleRun.outputs(dir)
        let b = try SampleRun.outputs(reference)
        #expect(a.count == 33)
        #expect(a.filter { b[$0.key] != $0.value }.keys.sorted() == [])
    }

    /// Process ids whose command line matches.
    static func processes(_ matches: (String) -> Bool) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return matches(String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self))
        }
    }

    static func isDescendant(_ pid: Int32, of ancestor: Int32) -> Bool {
        var current = pid
        for _ in 0..<16 {
            guard let stat = try? String(contentsOfFile: "/proc/\(current)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, let parent = Int32(fields[1]) else { return false }
            if parent == ancestor { return true }
            if parent <= 1 { return false }
            current = parent
        }
        return false
    }
}

extension PipelineEndToEndTests {
    @Test func statusShowsANumberedRunOrTheLatest() async throws {
        let dir = try makeRun(.threads)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try await run(in: dir).0 == 0)
        #expect(try await run(in: dir).0 == 0)
        func status(_ argument: String) throws -> (Int32, String) { try SampleRun.capture(["status", argument], in: dir) }
        let first = try status("runinfo/000")
        let second = try status("runinfo/001")
        let latest = try status("runinfo")
        #expect(first.0 == 0 && first.1.contains("directory runinfo/000") && first.1.contains("exec_done"))
        #expect(second.0 == 0 && second.1.contains("directory runinfo/001") && second.1.contains("memo_done"))
        #expect(latest.1.contains("directory runinfo/001"))
        let missing = try status("runinfo/007")
        #expect(missing.0 != 0 && missing.1.contains("no run recorded for runinfo/007"))
    }
}

extension PipelineEndToEndTests {
    @Test func statusListsInputsThatFailedInsideSuccessfulTasks() async throws {
        let dir = try makeRun(.htex(workers: 2))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The sample plus one file that is not a shapefile: its staging task goes on with the others.
        let input = dir + "/input"
        try FileManager.default.copyItem(atPath: SampleRun.packageRoot + "/Examples/sample-data/input", toPath: input)
        try Data("not a shapefile".utf8).write(to: URL(fileURLWithPath: input + "/broken.shp"))
        let configPath = dir + "/parameters/workflow_config.json"
        var workflow = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath))) as? [String: Any])
        workflow["dir_input"] = input
        try JSONSerialization.data(withJSONObject: workflow).write(to: URL(fileURLWithPath: configPath))

        let (runStatus, summary) = try await run(in: dir)
        // A run with failures exits 1 after its summary (a crash would be another status).
        #expect(runStatus == 1, "\(summary)")
        #expect(summary.contains("broken.shp"), "\(summary)")
        let (code, text) = try SampleRun.capture(["status", "runinfo"], in: dir)
        #expect(code == 0, "\(text)")
        #expect(text.contains("items that failed inside tasks that succeeded (1 of 1 shown)"), "\(text)")
        let line = try #require(text.split(separator: "\n").first { $0.contains("broken.shp") })
        #expect(line.contains("stage_files") && line.contains("[stage]"), "\(line)")
        let (_, json) = try SampleRun.capture(["status", "runinfo", "--json"], in: dir)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["partialFailureCount"] as? Int == 1)
    }
}
