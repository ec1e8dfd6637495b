import DataflowStorage
import Foundation

/// Appends text to a CSV, writing the header first when the file does not exist yet (pdgraster's append mode),
/// with one open and one write. For the standalone `rasterize` command; a run of the whole pipeline writes
/// each summary once (``RastersSummaryCSV/write(_:to:)``), as a bucket needs.
enum CSVAppender {
    static func append(_ text: String, header: String, to path: String) throws(RasterizationError) {
        guard !text.isEmpty else { return }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let exists = FileManager.default.fileExists(atPath: path)
        let bytes = Array(((exists ? "" : header) + text).utf8)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RasterizationError(.writeFailed, "\(path): cannot open for appending: \(String(cString: strerror(errno)))")
        }
        let failure = bytes.withUnsafeBytes { FilePublisher.writeAll(fd, $0) }
        let closed = close(fd)
        if let failure { throw RasterizationError(.writeFailed, "\(path): \(failure)") }
        guard closed == 0 else { throw RasterizationError(.writeFailed, "\(path): close failed: \(String(cString: strerror(errno)))") }
    }
}
