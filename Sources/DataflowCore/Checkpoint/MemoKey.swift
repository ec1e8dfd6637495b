import CVizOpenSSL

/// The memoization identity of a call: SHA-256 of the app name and the compact encoding of its input
/// (Parsl hashes the function name and pickled arguments with md5).
public struct MemoKey: Hashable, Sendable, CustomStringConvertible {
    let words: (UInt64, UInt64, UInt64, UInt64)

    public static func == (a: MemoKey, b: MemoKey) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Hasher) {
        // One word of a SHA-256 digest is already uniformly distributed.
        hasher.combine(words.0)
    }

    /// What `Dictionary` asks for: one word of the digest mixed with the table's seed, without a `Hasher`
    /// (its set-up and finalization were ~4% of a checkpointed task's CPU in the memo table).
    public func _rawHashValue(seed: Int) -> Int {
        Int(truncatingIfNeeded: (words.0 ^ UInt64(UInt(bitPattern: seed))) &* 0x9E37_79B9_7F4A_7C15)
    }

    /// The key of calling `app` with the encoded input `input`: SHA-256 of the app's name, a zero byte and
    /// the input (hashed in place, without joining them first).
    public init(app: String, input: [UInt8]) {
        var app = app
        words = app.withUTF8 { name in
            input.withUnsafeBufferPointer { input in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digest in
                    viz_sha256_joined(name.baseAddress, name.count, input.baseAddress, input.count, digest.baseAddress)
                    return Self.words(digest)
                }
            }
        }
    }

    private static func words(_ digest: UnsafeMutableBufferPointer<UInt8>) -> (UInt64, UInt64, UInt64, UInt64) {
        var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for i in 0..<8 {
            w.0 = (w.0 << 8) | UInt64(digest[i])
            w.1 = (w.1 << 8) | UInt64(digest[8 + i])
            w.2 = (w.2 << 8) | UInt64(digest[16 + i])
            w.3 = (w.3 << 8) | UInt64(digest[24 + i])
        }
        return w
    }

    /// Appends the 32 raw bytes (big-endian words) to `out`.
    func append(to out: inout [UInt8]) {
        var big = (words.0.bigEndian, words.1.bigEndian, words.2.bigEndian, words.3.bigEndian)
        withUnsafeBytes(of: &big) { out.append(contentsOf: $0) }
    }

    /// Rebuilds a key from its 32 raw bytes (as stored in checkpoints).
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var w: [UInt64] = [0, 0, 0, 0]
        for (i, byte) in bytes.enumerated() { w[i / 8] = (w[i / 8] << 8) | UInt64(byte) }
        words = (w[0], w[1], w[2], w[3])
    }

    /// The 32 raw bytes, big-endian word order.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for word in [words.0, words.1, words.2, words.3] {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return out
    }

    /// Lower-case hex, as stored in the monitoring database's `task_hashsum`.
    public var description: String {
        bytes.map { b in
            let s = String(b, radix: 16)
            return b < 16 ? "0" + s : s
        }.joined()
    }
}
