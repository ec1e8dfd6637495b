import Foundation

/// make-style freshness for `overwrite: false`: an output is kept only when it is at least as new as what it was
/// made from.
enum OutputFreshness {
    /// Whether `output` exists and its modification time is not older than that of any existing `source`.
    static func isNewer(_ output: String, than sources: [String]) -> Bool {
        guard let built = modificationTime(output) else { return false }
        return sources.allSatisfy { source in modificationTime(source).map { $0 <= built } ?? true }
    }

    private static func modificationTime(_ path: String) -> timespec? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mtim
    }
}

extension timespec {
    fileprivate static func <= (a: timespec, b: timespec) -> Bool {
        a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec)
    }
}
