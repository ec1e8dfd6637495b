import CVizOpenSSL

/// Challenge–response with a per-run secret: each side proves it knows the secret by signing the other's
/// random nonce with HMAC-SHA256. The secret itself never crosses the wire.
public struct Authenticator: Sendable {
    private let secret: [UInt8]

    /// The environment variable through which providers hand the secret to workers (never argv).
    public static let environmentVariable = "DATAFLOW_RUN_SECRET"

    /// An authenticator for `secret` (usually ``makeSecret()`` on the leader, the environment on workers).
    public init(secret: String) {
        self.secret = Array(secret.utf8)
    }

    /// A fresh random run secret, 32 bytes as hex.
    public static func makeSecret() -> String {
        let digits = Array("0123456789abcdef")
        return String(nonce().flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    /// 32 random bytes from OpenSSL's CSPRNG.
    public static func nonce() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 32)
        let ok = RAND_bytes(&bytes, 32)
        precondition(ok == 1, "RAND_bytes failed")
        return bytes
    }

    /// The worker's proof: HMAC(secret, "register" ‖ leader nonce ‖ worker nonce).
    public func registrationProof(leaderNonce: [UInt8], workerNonce: [UInt8]) -> [UInt8] {
        mac(Array("register".utf8) + leaderNonce + workerNonce)
    }

    /// The leader's proof: HMAC(secret, "accept" ‖ worker nonce).
    public func acceptanceProof(workerNonce: [UInt8]) -> [UInt8] {
        mac(Array("accept".utf8) + workerNonce)
    }

    /// Constant-time comparison, so timing reveals nothing about the expected proof.
    public static func matches(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count, !a.isEmpty else { return false }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
    }

    /// A key for another purpose derived from the secret: HMAC(secret, label). Used for the TLS pre-shared key.
    public func derivedKey(label: String) -> [UInt8] { mac(Array(label.utf8)) }

    private func mac(_ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        secret.withUnsafeBytes { key in
            message.withUnsafeBytes { data in
                _ = HMAC(EVP_sha256(), key.baseAddress, Int32(key.count), data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, &out, &length)
            }
        }
        return out
    }
}
