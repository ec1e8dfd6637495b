import Foundation
import Synchronization
import Testing

@testable import DataflowCore

/// The append log's group commit: a small batch waits for company only while more records are coming.
struct CheckpointGroupCommitTests {
    static func writer(_ root: String, moreComing: Bool, delay: Duration, records: Int) throws -> CheckpointWriter {
        try CheckpointWriter(
            target: .appendLog(path: "\(root)/checkpoint/tasks.ckpt", moreComing: { moreComing }),
            groupCommit: .init(delay: delay, records: records))
    }

    /// Polls off the cooperative pool (a blocked pool thread would stall other tests).
    static func eventually(_ seconds: Double, _ condition: @escaping @Sendable () -> Bool) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let deadline = Date(timeIntervalSinceNow: seconds)
                while !condition() && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
                continuation.resume(returning: condition())
            }
        }
    }

    @Test func aRecordNothingElseRunsBesideIsWrittenAtOnce() async throws {
        try await withTemporaryDirectory { root in
            let writer = try Self.writer(root, moreComing: false, delay: .seconds(60), records: 512)
            writer.append(key: CheckpointCompactionTests.key(1), output: [1], completing: nil)
            #expect(await Self.eventually(10) { writer.batchesWritten == 1 })
            writer.close()
            #expect(try CheckpointFile.read(path: "\(root)/checkpoint/tasks.ckpt").entries.map(\.1) == [[1]])
        }
    }

    @Test func aSmallBatchWaitsWhileMoreAreComingAndAFullOneDoesNot() async throws {
        try await withTemporaryDirectory { root in
            let writer = try Self.writer(root, moreComing: true, delay: .seconds(60), records: 4)
            for n in 0..<4 { writer.append(key: CheckpointCompactionTests.key(n), output: [UInt8(n)], completing: nil) }
            #expect(await Self.eventually(10) { writer.batchesWritten == 1 })
            writer.append(key: CheckpointCompactionTests.key(4), output: [4], completing: nil)
            // The delay is a minute: the lone record stays gathered...
            try await Task.sleep(for: .milliseconds(300))
            #expect(writer.batchesWritten == 1)
            // ...until a flush asks for it.
            writer.flush()
            #expect(writer.batchesWritten == 2)
            writer.close()
            #expect(try CheckpointFile.read(path: "\(root)/checkpoint/tasks.ckpt").entries.map(\.1) == (0..<5).map { [UInt8($0)] })
        }
    }

    @Test func recordsArrivingOneByOneShareFsyncs() async throws {
        try await withTemporaryDirectory { root in
            let writer = try Self.writer(root, moreComing: true, delay: .milliseconds(200), records: 512)
            // 200 records over ~40 ms: without the delay each would wake the idle writer for its own fsync.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                Thread.detachNewThread {
                    for n in 0..<200 {
                        writer.append(key: CheckpointCompactionTests.key(n), output: [UInt8(truncatingIfNeeded: n)], completing: nil)
                        usleep(200)
                    }
                    continuation.resume()
                }
            }
            writer.close()
            #expect(writer.batchesWritten <= 20, "\(writer.batchesWritten) batches")
            #expect(try CheckpointFile.read(path: "\(root)/checkpoint/tasks.ckpt").entries.count == 200)
        }
    }
}
