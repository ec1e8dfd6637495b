import Foundation

/// Whole-file writes through a temporary file in the same directory and `rename(2)`, so readers never see a
/// partial PNG or CSV.
enum AtomicWrite {
    static func write(_ data: Data, to path: String) throws(RasterizationError) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = path + ".\(UUID().uuidString.prefix(8)).partial"
        do {
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            try data.write(to: URL(fileURLWithPath: temporary))
        } catch {
            unlink(temporary)
            throw RasterizationError(.writeFailed, "\(path): \(error.localizedDescription)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw RasterizationError(.writeFailed, "\(path): rename failed: \(reason)")
        }
    }
}
