import DataflowMonitoring
import DataflowStorage
import Foundation
import Testing

@testable import DataflowCore

/// Checkpoints and monitoring as on object storage (`storage: .object`, here on a local directory, which behaves
/// the same for these checks): write-once segments, their load in a later run, and monitoring snapshots.
struct CheckpointSegmentTests {
    static func objectStorage(runRoot: String, monitoring: Bool = false) -> DataFlowKernel.Configuration {
        var configuration = DataFlowKernel.Configuration.testing(runRoot: runRoot, monitoring: monitoring)
        configuration.storage = .object
        configuration.checkpointSegmentInterval = .milliseconds(200)
        return configuration
    }

    static func segments(_ runDirectory: String) -> [String] {
        let directory = runDirectory + "/checkpoint"
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted().map { directory + "/" + $0 }
    }

    static func records(in files: [String]) throws -> Int {
        try files.reduce(0) { $0 + (try CheckpointFile.read(path: $1).entries.count) }
    }

    @Test func aCompletedTaskIsInAPublishedSegmentAndTheLogIsNeverAppended() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            let (registry, cached, _) = CheckpointTests.apps(counter)
            let kernel = try await DataFlowKernel(configuration: Self.objectStorage(runRoot: root), apps: registry)
            #expect(kernel.storage == .object)
            for x in 0..<6 {
                _ = try await kernel.submit(cached, x).value
                // task_exit: by the time the future completes, its record is in a published segment.
                #expect(try Self.records(in: Self.segments(kernel.runDirectory)) == x + 1)
            }
            let concurrent = (10..<40).map { kernel.submit(cached, $0) }
            for future in concurrent { _ = try await future.value }
            await kernel.shutdown()
            let files = Self.segments(kernel.runDirectory)
            #expect(files.allSatisfy { ($0 as NSString).lastPathComponent.hasPrefix("segment-") })
            #expect(!FileManager.default.fileExists(atPath: kernel.runDirectory + "/checkpoint/tasks.ckpt"))
            #expect(try Self.records(in: files) == 36)
            // Group commit: 30 concurrent results share segments instead of one object each.
            #expect(files.count < 36)
        }
    }

    @Test func aLaterRunLoadsEverySegmentAndIgnoresATornLastOne() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            let (registry, cached, _) = CheckpointTests.apps(counter)
            let first = try await DataFlowKernel(configuration: Self.objectStorage(runRoot: root), apps: registry)
            for x in 0..<5 { _ = try await first.submit(cached, x).value }
            await first.shutdown()
            let files = Self.segments(first.runDirectory)
            #expect(files.count == 5)
            // A torn last segment (a partial object cannot appear on a bucket, but a local copy could be cut).
            let last = try #require(files.last)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: last))
            try bytes.prefix(bytes.count - 3).write(to: URL(fileURLWithPath: last))

            let second = try await DataFlowKernel(configuration: Self.objectStorage(runRoot: root), apps: registry)
            #expect(second.checkpointLoadReport.files.count == 5)
            #expect(second.checkpointLoadReport.records == 4)
            for x in 0..<5 { _ = try await second.submit(cached, x).value }
            await second.shutdown()
            #expect(second.summary.memoized == 4)
            #expect((0..<4).allSatisfy { counter.count("cached-\($0)") == 1 })
            #expect(counter.count("cached-4") == 2)
        }
    }

    @Test func monitoringOnObjectStorageIsPublishedAsSnapshotsWithAPointer() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            let (registry, cached, _) = CheckpointTests.apps(counter)
            let kernel = try await DataFlowKernel(configuration: Self.objectStorage(runRoot: root, monitoring: true), apps: registry)
            for x in 0..<3 { _ = try await kernel.submit(cached, x).value }
            await kernel.shutdown()
            // No live database in the run directory: only snapshots and the pointer.
            #expect(!FileManager.default.fileExists(atPath: root + "/monitoring.db"))
            let pointer = try #require(MonitoringSnapshots.latest(in: root))
            let snapshot = root + "/" + pointer.snapshot
            let report = try StatusReport.load(databasePath: snapshot, immutable: true)
            #expect(report.runID == kernel.runID)
            #expect(report.totals["exec_done"] == 3)
            #expect(report.ended != nil)
            // Opened immutable: nothing written next to the snapshot.
            let folder = (snapshot as NSString).deletingLastPathComponent
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).allSatisfy { $0.hasSuffix(".db") })

            // The next run starts from the snapshot, so the history keeps the first run.
            let second = try await DataFlowKernel(configuration: Self.objectStorage(runRoot: root, monitoring: true), apps: registry)
            _ = try await second.submit(cached, 9).value
            await second.shutdown()
            let latest = try #require(MonitoringSnapshots.latest(in: root))
            #expect(latest.snapshot != pointer.snapshot)
            let first = try StatusReport.load(databasePath: root + "/" + latest.snapshot, runID: kernel.runID, immutable: true)
            #expect(first.totals["exec_done"] == 3)
        }
    }

    @Test func storageIsDetectedFromTheMountTable() {
        let table = """
            22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
            30 22 0:40 / /data rw,nosuid,nodev shared:5 - fuse.gcsfuse pdg-storage-default rw,user_id=0,group_id=0
            31 30 0:41 / /data/local rw shared:6 - tmpfs tmpfs rw
            32 22 0:42 / /mnt/my\\040bucket rw - fuse gcsfuse rw
            33 22 0:43 / /media/usb rw - fuseblk /dev/sdb1 rw
            """
        #expect(StorageKind.detect(path: "/data/viz_workflow/runinfo", mountTable: table) == .object)
        #expect(StorageKind.detect(path: "/data", mountTable: table) == .object)
        #expect(StorageKind.detect(path: "/data/local/x", mountTable: table) == .posix)
        #expect(StorageKind.detect(path: "/database", mountTable: table) == .posix)
        #expect(StorageKind.detect(path: "/mnt/my bucket/runinfo", mountTable: table) == .object)
        #expect(StorageKind.detect(path: "/media/usb/x", mountTable: table) == .posix)
        #expect(StorageKind.detect(path: "/home/x", mountTable: table) == .posix)
        #expect(StorageKind.detect(path: "/proc/self") == .posix)
    }
}
