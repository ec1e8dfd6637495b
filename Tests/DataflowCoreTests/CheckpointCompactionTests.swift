import Foundation
import Testing

@testable import DataflowCore

/// Segments on object storage are merged as the run goes: fewer objects, the same records in the same order,
/// and a merge interrupted before its deletes loses nothing.
struct CheckpointCompactionTests {
    static func key(_ n: Int) -> MemoKey {
        MemoKey(bytes: (0..<32).map { UInt8(truncatingIfNeeded: n >> ($0 % 4 * 8)) })!
    }

    /// The writer publishing a segment per flushed record (as when the run waits on each result).
    static func writer(_ directory: String, compaction: CheckpointWriter.Compaction) throws -> CheckpointWriter {
        try CheckpointWriter(
            target: .segments(directory: directory, interval: .seconds(60), maxBytes: 8 << 20, isStalled: { true }),
            compaction: compaction)
    }

    static func read(_ directory: String) throws -> (names: [String], outputs: [[UInt8]]) {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        let outputs = try names.flatMap { try CheckpointFile.read(path: "\(directory)/\($0)").entries.map(\.1) }
        return (names, outputs)
    }

    @Test func segmentsAreMergedInOrderAndDeleted() async throws {
        try await withTemporaryDirectory { root in
            let writer = try Self.writer(root, compaction: .init(segments: 4, bytes: 1 << 20))
            for n in 0..<23 {
                writer.append(key: Self.key(n), output: [UInt8(n)], completing: nil)
                writer.flush()
                writer.waitForCompaction()
            }
            writer.close()
            let (names, outputs) = try Self.read(root)
            #expect(outputs == (0..<23).map { [UInt8($0)] }, "\(names)")
            #expect(names.contains("segment-000001-000004.ckpt"), "\(names)")
            // 23 segments: five merges of 4, and the last 3 alone.
            #expect(names.count == 8, "\(names)")
            #expect(names.allSatisfy { $0.hasPrefix("segment-") && $0.hasSuffix(".ckpt") })
        }
    }

    @Test func aSegmentTooBigToKeepStaysAloneAndOrderHolds() async throws {
        try await withTemporaryDirectory { root in
            let writer = try Self.writer(root, compaction: .init(segments: 3, bytes: 200))
            let sizes = [10, 10, 500, 10, 10, 10, 90, 90, 90, 10]
            for (n, size) in sizes.enumerated() {
                writer.append(key: Self.key(n), output: [UInt8](repeating: UInt8(n), count: size), completing: nil)
                writer.flush()
                writer.waitForCompaction()
            }
            writer.close()
            let (names, outputs) = try Self.read(root)
            #expect(outputs.map { $0.first! } == (0..<sizes.count).map(UInt8.init), "\(names)")
            #expect(outputs.map(\.count) == sizes)
            #expect(names.contains("segment-000003.ckpt"), "the 500-byte segment stays as it is: \(names)")
            // 1–2 merged, 3 too big, 4–6 merged; 7, 8 and 9 (134 bytes each) never fit two at a time; 10 is left.
            #expect(
                names == [
                    "segment-000001-000002.ckpt", "segment-000003.ckpt", "segment-000004-000006.ckpt", "segment-000007.ckpt",
                    "segment-000008.ckpt", "segment-000009.ckpt", "segment-000010.ckpt",
                ])
        }
    }

    @Test func aMergeCutShortBeforeItsDeletesIsLoadedOnce() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            let (registry, cached, _) = CheckpointTests.apps(counter)
            let first = try await DataFlowKernel(configuration: CheckpointSegmentTests.objectStorage(runRoot: root), apps: registry)
            for x in 0..<6 { _ = try await first.submit(cached, x).value }
            await first.shutdown()
            // As if a leader was killed between writing a merged object and deleting its segments.
            let directory = first.runDirectory + "/checkpoint"
            let segments = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            #expect(segments.count == 6)
            var merged = CheckpointFile.magic
            for name in segments { merged += try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)")).dropFirst(8) }
            try Data(merged).write(to: URL(fileURLWithPath: "\(directory)/segment-000001-000006.ckpt"))

            let second = try await DataFlowKernel(configuration: CheckpointSegmentTests.objectStorage(runRoot: root), apps: registry)
            #expect(second.checkpointLoadReport.files.count == 7)
            for x in 0..<6 { #expect(try await second.submit(cached, x).value == x * 3) }
            await second.shutdown()
            #expect(second.summary.memoized == 6)
            #expect((0..<6).allSatisfy { counter.count("cached-\($0)") == 1 })
        }
    }
}
