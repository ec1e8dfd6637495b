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

    /// The key of calling `app` with the encoded input `input`.
    public init(app: String, input: [UInt8]) {
        var app = app
        words = app.withUTF8 { name in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: name.count + 1 + input.count) { message in
                _ = message.initialize(fromContentsOf: name)
                message[name.count] = 0
                input.withUnsafeBufferPointer { source in
                    _ = UnsafeMutableBufferPointer(rebasing: message[(name.count + 1)...]).initialize(fromContentsOf: source)
                }
                return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digest in
                    _ = SHA256(message.baseAddress, message.count, digest.baseAddress)
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
        for word in [words.0, words.1, words.2, words.3] {
            var big = word.bigEndian
            withUnsafeBytes(of: &big) { out.append(contentsOf: $0) }
        }
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
