import Synchronization

/// The kernel's memo table: encoded outputs by ``MemoKey``, split into shards with a lock each.
///
/// Why shards: every cacheable task looks its key up when it launches (on the submitting thread) and stores
/// its output when it succeeds (on an executor thread). With one lock those threads met on it for every
/// task, and the lock's slow path (spinning, then a futex) was ~4% of a checkpointed task's CPU.
final class MemoTable: Sendable {
    private final class Shard: Sendable {
        let entries = Mutex<[MemoKey: [UInt8]]>([:])
    }

    /// A power of two: the shard is a mask of one key word.
    private static let shardCount = 32
    private let shards: [Shard]

    /// A table holding `entries` (loaded from earlier checkpoints).
    init(_ entries: [MemoKey: [UInt8]] = [:]) {
        var split = Array(repeating: [MemoKey: [UInt8]](), count: Self.shardCount)
        for (key, value) in entries { split[Self.shardIndex(key)][key] = value }
        self.shards = split.map { part in
            let shard = Shard()
            shard.entries.withLock { $0 = part }
            return shard
        }
    }

    /// The shard of a key: a word that `Dictionary` does not hash with (``MemoKey`` hashes `words.0`), so each
    /// shard's keys still spread over its buckets.
    private static func shardIndex(_ key: MemoKey) -> Int {
        Int(truncatingIfNeeded: key.words.1) & (shardCount - 1)
    }

    /// The stored output of `key`, if any.
    subscript(key: MemoKey) -> [UInt8]? {
        shards[Self.shardIndex(key)].entries.withLock { $0[key] }
    }

    /// Stores (or replaces) the output of `key`.
    func store(_ output: [UInt8], for key: MemoKey) {
        shards[Self.shardIndex(key)].entries.withLock { $0[key] = output }
    }

    /// How many outputs the table holds.
    var count: Int {
        shards.reduce(0) { total, shard in total + shard.entries.withLock { $0.count } }
    }
}
