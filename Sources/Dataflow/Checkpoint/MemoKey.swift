import COpenSSL

/// The memoization identity of a call: SHA-256 of the app name and the compact encoding of its input
/// (Parsl hashes the function name and pickled arguments with md5).
public struct MemoKey: Hashable, Sendable, CustomStringConvertible {
    let words: (UInt64, UInt64, UInt64, UInt64)

    public static func == (a: MemoKey, b: MemoKey) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }

    /// The key of calling `app` with the encoded input `input`.
    public init(app: String, input: [UInt8]) {
        var message: [UInt8] = Array(app.utf8)
        message.append(0)
        message.append(contentsOf: input)
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        message.withUnsafeBytes { raw in
            _ = EVP_Digest(raw.baseAddress, raw.count, &digest, &length, EVP_sha256(), nil)
        }
        self.init(bytes: digest)!
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
