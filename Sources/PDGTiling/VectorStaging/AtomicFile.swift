import Foundation

/// Writes whole files atomically: temporary file in the same directory, then `rename(2)`; a file that already
/// holds exactly these bytes is left as it is.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws(TilingError) {
        // A re-run that makes the same bytes leaves the file, and its modification time, alone: the runtime
        // fingerprints outputs, and what depends on an unchanged file is then not redone.
        var info = stat()
        if stat(path, &info) == 0, Int(info.st_size) == data.count, FileManager.default.contents(atPath: path) == data { return }
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

    /// Whether the files at `a` and `b` both exist and hold the same bytes (sizes are compared first).
    public static func sameContent(_ a: String, _ b: String) -> Bool {
        var infoA = stat()
        var infoB = stat()
        guard stat(a, &infoA) == 0, stat(b, &infoB) == 0, infoA.st_size == infoB.st_size else { return false }
        guard let dataA = FileManager.default.contents(atPath: a), let dataB = FileManager.default.contents(atPath: b) else { return false }
        return dataA == dataB
    }
}
