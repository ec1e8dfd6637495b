import Foundation

/// Writes whole files atomically: temporary file in the same directory, then `rename(2)`.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws(TilingError) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = path + ".\(UUID().uuidString.prefix(8)).partial"
        do {
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            try data.write(to: URL(fileURLWithPath: temporary))
        } catch {
            unlink(temporary)
            throw TilingError(.writeFailed, "\(path): \(error.localizedDescription)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw TilingError(.writeFailed, "\(path): rename failed: \(reason)")
        }
    }
}
