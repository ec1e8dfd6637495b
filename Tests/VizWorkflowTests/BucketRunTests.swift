import DataflowStorage
import Foundation
import Testing
import VizWorkflowTestSupport

@testable import DataflowCore

/// The sample with the leader's working directory on an emulated Cloud Storage bucket (gcsfuse rules, writes
/// to one object name faster than once per second fail with EIO): the run, `status` from another pod, and a
/// killed leader resumed by a new one from the bucket alone.
@Suite(.serialized) struct BucketRunTests {
    static let executor = """
        { "class": "HighThroughputExecutor", "heartbeat_period": 1, "heartbeat_threshold": 5, "strategy_period": 0.2,
          "local": { "init_blocks": 1, "max_blocks": 1 } }
        """

    /// Copies the sample's `parameters/` into `dir` (a folder on the bucket).
    func placeParameters(in dir: String) throws {
        let local = try SampleRun.makeDirectory(prefix: "viz-bucket-params", executor: Self.executor)
        defer { try? FileManager.default.removeItem(atPath: local) }
        try FileManager.default.createDirectory(atPath: dir + "/parameters", withIntermediateDirectories: true)
        for name in ["workflow_config.json", "parsl_config.json"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: local + "/parameters/" + name))
            // Data.write without .atomic: one create-write-close (FileManager.createFile renames a temporary file).
            try data.write(to: URL(fileURLWithPath: dir + "/parameters/" + name))
        }
    }

    func start(in dir: String, workers: Int) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SampleRun.binary)
        process.arguments = ["run", "--parameters", "parameters", "--workers", String(workers)]
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    func status(in dir: String) throws -> (Int32, String) { try SampleRun.capture(["status", "--snapshot"], in: dir) }

    func count(_ text: String, _ label: String) -> Int? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tasks:") }) else { return nil }
        let words = line.split(separator: " ")
        guard let i = words.firstIndex(where: { $0.hasPrefix(label) }), i > 0 else { return nil }
        return Int(words[i - 1])
    }

    /// Checkpoint segments of run `run` seen through `mount`, and their records.
    func segments(_ mount: String, run: String = "000") -> (files: Int, records: Int) {
        let files = RunDirectory.earlierCheckpoints(under: mount + "/runinfo", excluding: "").filter { $0.contains("/\(run)/") }
        let records = files.compactMap { try? CheckpointFile.read(path: $0).entries.count }.reduce(0, +)
        return (files.count, records)
    }

    /// Storage detection keeps the mount table between calls and reads it again only after a mount or unmount:
    /// a path becomes object storage when a bucket is mounted over it and POSIX again when it is unmounted.
    @Test(.enabled(if: EmulatedBucket.unavailable == nil, "\(EmulatedBucket.unavailable ?? "")"))
    func storageDetectionFollowsMountsAndUnmounts() throws {
        let bucket = try EmulatedBucket()
        defer { bucket.remove() }
        let path = bucket.root + "/mnt-pod/viz-output/tile.tif"
        #expect(StorageKind.detect(path: path) == .posix)
        #expect(StorageKind.detect(path: path) == .posix)
        let mount = try bucket.mount(node: "pod", enforceRate: "off")
        #expect(StorageKind.detect(path: path) == .object)
        #expect(StorageKind.detect(path: bucket.root + "/elsewhere") == .posix)
        try mount.unmount()
        #expect(StorageKind.detect(path: path) == .posix)
    }

    @Test(.enabled(if: EmulatedBucket.unavailable == nil, "\(EmulatedBucket.unavailable ?? "")"))
    func aRunOnTheBucketWritesEachObjectOnceAndStatusWorksFromAnotherPod() async throws {
        let bucket = try EmulatedBucket()
        defer { bucket.remove() }
        let leaderPod = try bucket.mount(node: "leader", enforceRate: "eio")
        let otherPod = try bucket.mount(node: "other", enforceRate: "eio")
        try placeParameters(in: leaderPod.path)

        let started = ContinuousClock.now
        let (leader, out, err) = try start(in: leaderPod.path, workers: 2)
        // Pipes drained and the pointer polled on this thread and plain threads, not the cooperative pool:
        // other tests block its threads, and a starved poll would miss a short run.
        let stdout = PipeDrain(out)
        let stderr = PipeDrain(err)
        // `status` from the other pod while the run goes on: the latest snapshot, read-only. The leader
        // publishes its first snapshot as soon as it has started.
        let otherPath = otherPod.path
        let (duringRun, pointerSeen, runTime, text, log) = try await SampleRun.onThread {
            var duringRun: (Int32, String)?
            var pointerSeen: Duration?
            while leader.isRunning {
                if duringRun == nil, FileManager.default.fileExists(atPath: otherPath + "/runinfo/monitoring.latest") {
                    pointerSeen = ContinuousClock.now - started
                    duringRun = try self.status(in: otherPath)
                }
                usleep(20_000)
            }
            let runTime = ContinuousClock.now - started
            leader.waitUntilExit()
            return (duringRun, pointerSeen, runTime, String(decoding: stdout.wait(), as: UTF8.self), String(decoding: stderr.wait(), as: UTF8.self))
        }
        #expect(leader.terminationStatus == 0, "\(text)\n\(log)")
        #expect(log.contains("(storage: object)"), "\(log)")
        let listing = (try? FileManager.default.contentsOfDirectory(atPath: otherPod.path + "/runinfo")) ?? []
        let during = try #require(duringRun, "no snapshot appeared during the run of \(runTime); runinfo: \(listing)\n\(log)")
        #expect(
            during.0 == 0 && during.1.contains("snapshot monitoring-snapshots/") && during.1.contains("s ago"),
            "pointer seen after \(pointerSeen.map { "\($0)" } ?? "-") of \(runTime): \(during.1)")
        let after = try status(in: otherPod.path)
        #expect(after.0 == 0 && after.1.contains("exec_done") && !after.1.contains("ended -"), "\(after.1)")
        #expect(segments(otherPod.path).records == count(text, "run,"), "every result is in a published segment")

        let reference = try SampleRun.makeDirectory(prefix: "viz-bucket-reference", executor: Self.executor)
        defer { try? FileManager.default.removeItem(atPath: reference) }
        let local = try await SampleRun.run(["run", "--parameters", "parameters", "--workers", "2"], in: reference)
        #expect(local.status == 0, "\(local.stdout)")
        let onBucket = try EmulatedBucket.outputs(otherPod.path)
        let onDisk = try SampleRun.outputs(reference)
        #expect(onBucket.count == 33)
        #expect(onBucket.keys.sorted() == onDisk.keys.sorted())
        #expect(onBucket.filter { onDisk[$0.key] != $0.value }.keys.sorted() == [])

        let leaderStats = try leaderPod.unmount()
        let otherStats = try otherPod.unmount()
        #expect(leaderStats.number("rewrites.count") == 0, "\(leaderStats["rewrites"] ?? "")")
        #expect(leaderStats.number("rate_violations.count") == 0, "\(leaderStats["rate_violations"] ?? "")")
        #expect(leaderStats.number("uploads.count") > 0)
        #expect(leaderStats.number("file_renames.count") == 0, "\(leaderStats["file_renames"] ?? "")")
        // Reading snapshots immutable writes nothing: no -shm, no lock files, no uploads.
        #expect(otherStats.number("uploads.count") == 0, "\(otherStats["uploads"] ?? "")")
        #expect(otherStats.number("mutations.count") == 0, "\(otherStats["mutations"] ?? "")")
    }

    @Test(.enabled(if: EmulatedBucket.unavailable == nil, "\(EmulatedBucket.unavailable ?? "")"))
    func aLeaderKilledOnTheBucketIsResumedByANewPodFromTheBucketAlone() async throws {
        let bucket = try EmulatedBucket()
        defer { bucket.remove() }
        // Both leader pods mount the bucket at the same path, as the Job's retry does (results are keyed by
        // their absolute output paths).
        let firstPod = try bucket.mount(node: "leader-1", enforceRate: "eio", mountPoint: "data")
        try placeParameters(in: firstPod.path)
        let (leader, firstOut, firstErr) = try start(in: firstPod.path, workers: 1)
        _ = (PipeDrain(firstOut), PipeDrain(firstErr))
        // Kill -9 once two segments are published, well before the run can end.
        let firstPath = firstPod.path
        let published = try await SampleRun.onThread {
            var published = 0
            for _ in 0..<1200 {
                published = self.segments(firstPath).files
                if published >= 2 {
                    kill(leader.processIdentifier, SIGKILL)
                    break
                }
                usleep(25_000)
            }
            leader.waitUntilExit()
            return published
        }
        #expect(published >= 2)
        #expect(leader.terminationReason == .uncaughtSignal, "the run ended before it could be killed")
        // The workers notice the lost leader and leave; then the pod goes away with its mount.
        try await Task.sleep(for: .seconds(2))
        try firstPod.unmount()

        let secondPod = try bucket.mount(node: "leader-2", enforceRate: "eio", mountPoint: "data")
        let finished = segments(secondPod.path).records
        #expect(finished >= 2)
        let (resumed, out, err) = try start(in: secondPod.path, workers: 2)
        let stdout = PipeDrain(out)
        let stderr = PipeDrain(err)
        let (text, log) = try await SampleRun.onThread {
            resumed.waitUntilExit()
            return (String(decoding: stdout.wait(), as: UTF8.self), String(decoding: stderr.wait(), as: UTF8.self))
        }
        #expect(resumed.terminationStatus == 0, "\(text)\n\(log)")
        // Every result published before the kill is reused, none is run again.
        #expect(count(text, "reused") == finished, "\(text)")
        #expect(try EmulatedBucket.outputs(secondPod.path).count == 33)
        let stats = try secondPod.unmount()
        #expect(stats.number("rewrites.count") == 0, "\(stats["rewrites"] ?? "")")
        #expect(stats.number("rate_violations.count") == 0, "\(stats["rate_violations"] ?? "")")
    }
}

/// Reads a pipe to its end on a thread of its own.
final class PipeDrain: @unchecked Sendable {
    // @unchecked: `data` is written by the thread before `done` is signalled and read only after waiting on it.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        let thread = Thread { [self] in
            data = pipe.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
        thread.start()
    }

    /// Everything the pipe carried, once its writer has closed it.
    func wait() -> Data {
        done.wait()
        return data
    }
}
