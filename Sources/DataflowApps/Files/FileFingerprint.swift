import CVizOpenSSL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What a file looked like at one moment: whether it exists, its size and modification time, and, when asked
/// for, a SHA-256 of its content.
///
/// The kernel compares fingerprints to decide whether a checkpointed result still stands: a declared input
/// whose fingerprint changed makes a new memo key, and a recorded output whose fingerprint changed (or that is
/// gone) makes the task run again.
public struct FileFingerprint: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How a file's identity is taken.
    public enum Mode: String, Sendable, Hashable, Codable {
        /// Size and modification time (nanoseconds), from one `stat`: costs nothing noticeable, and a file
        /// rewritten with the same bytes counts as changed (as Make, Snakemake and Nextflow's default).
        case metadata
        /// Size and a SHA-256 of the content: reads the whole file, and a file rewritten with the same bytes
        /// is unchanged.
        case contentHash
    }

    /// Whether the file existed.
    public var exists: Bool
    /// Its size in bytes (0 when absent).
    public var size: Int64
    /// Its modification time in nanoseconds since 1970, in ``Mode/metadata`` mode; 0 otherwise.
    public var modified: Int64
    /// The SHA-256 of its content, in ``Mode/contentHash`` mode; empty otherwise.
    public var sha256: [UInt8]

    /// The fingerprint of a file that does not exist.
    public static let absent = FileFingerprint(exists: false, size: 0, modified: 0, sha256: [])

    /// Creates a fingerprint from its parts.
    public init(exists: Bool, size: Int64, modified: Int64, sha256: [UInt8]) {
        self.exists = exists
        self.size = size
        self.modified = modified
        self.sha256 = sha256
    }

    /// Takes the fingerprint of `path` now; ``absent`` when it does not exist or is not a regular file.
    public init(path: String, mode: Mode) {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            self = .absent
            return
        }
        switch mode {
        case .metadata:
            self.init(
                exists: true, size: Int64(info.st_size),
                modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec), sha256: [])
        case .contentHash:
            guard let digest = Self.sha256(path: path) else {
                self = .absent
                return
            }
            self.init(exists: true, size: Int64(info.st_size), modified: 0, sha256: digest)
        }
    }

    /// Whether a file exists at `path` as a regular file (what ``MissingOutputs`` checks).
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Appends a canonical byte form to `out`, for memo keys.
    public func append(to out: inout [UInt8]) {
        out.append(exists ? 1 : 0)
        for word in [size, modified] {
            withUnsafeBytes(of: word.littleEndian) { out.append(contentsOf: $0) }
        }
        out.append(UInt8(sha256.count))
        out.append(contentsOf: sha256)
    }

    /// "absent", or the size with the time or the hash's first bytes.
    public var description: String {
        guard exists else { return "absent" }
        if !sha256.isEmpty { return "\(size) bytes, sha256 " + sha256.prefix(6).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
        return "\(size) bytes, modified \(modified) ns"
    }

    private static func sha256(path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else { return nil }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer, chunk)
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            guard EVP_DigestUpdate(context, buffer, count) == 1 else { return nil }
        }
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &digest, &length) == 1, length == 32 else { return nil }
        return digest
    }
}
