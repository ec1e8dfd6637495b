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
        shards[Self.shardIndex(key)].entries.withLock { entries in
            guard let output = entries[key], !output.isEmpty else { return nil }
            return output
        }
    }

    /// The stored output of `key`, if any; if none, reserves the key with an empty placeholder (an encoded
    /// output is never empty), in the same probe.
    ///
    /// Why: in a fresh run nearly every lookup misses, and a miss in `Dictionary` walks the occupied buckets
    /// up to a free one; the ``store(_:for:)`` that follows when the task succeeds walked them again to
    /// insert. With the key reserved, that store finds it at once.
    func lookupOrReserve(_ key: MemoKey) -> [UInt8]? {
        shards[Self.shardIndex(key)].entries.withLock { entries in
            // `subscript(_:default:)`'s modify accessor finds or inserts with one probe.
            func read(_ output: inout [UInt8]) -> [UInt8] { output }
            let output = read(&entries[key, default: []])
            return output.isEmpty ? nil : output
        }
    }

    /// Stores (or replaces) the output of `key`.
    func store(_ output: [UInt8], for key: MemoKey) {
        shards[Self.shardIndex(key)].entries.withLock { $0[key] = output }
    }

    /// How many outputs the table holds (keys only reserved by ``lookupOrReserve(_:)`` are not counted).
    var count: Int {
        shards.reduce(0) { total, shard in total + shard.entries.withLock { $0.values.count { !$0.isEmpty } } }
    }
}
