import Foundation

/// Appends text to a CSV, writing the header first when the file does not exist yet (pdgraster's append mode).
enum CSVAppender {
    static func append(_ text: String, header: String, to path: String) throws(RasterizationError) {
        guard !text.isEmpty else { return }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let exists = FileManager.default.fileExists(atPath: path)
        let data = Data(((exists ? "" : header) + text).utf8)
        guard
            let handle = FileHandle(forWritingAtPath: path)
                ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil)
        else {
            throw RasterizationError(.writeFailed, "\(path): cannot open for appending")
        }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: data)
        } catch {
            throw RasterizationError(.writeFailed, "\(path): \(error.localizedDescription)")
        }
    }
}
