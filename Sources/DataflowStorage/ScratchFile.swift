import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file being produced for a final path (from ``FilePublisher/scratch(for:)``): write ``path`` with any
/// tool (GDAL, SQLite, appends), then ``publish()`` it.
public struct ScratchFile: Sendable {
    /// Where to write now: `<final>.<random>.partial` on POSIX, a file in the local scratch directory on
    /// object storage.
    public let path: String
    /// Where the file ends up.
    public let finalPath: String
    /// How it gets there.
    public let storage: StorageKind

    /// Moves the finished file to ``finalPath``: `rename(2)` on POSIX; on object storage one
    /// create-write-close of the final path with the scratch file's bytes, then the scratch file is removed.
    /// A final file that already holds the same bytes is kept (with its modification time), and the scratch
    /// file removed.
    public func publish() throws(StorageError) {
        if FilePublisher.sameContent(path, finalPath) {
            unlink(path)
            return
        }
        switch storage {
        case .posix:
            guard rename(path, finalPath) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(path)
                throw StorageError(.renameFailed, "\(finalPath): rename failed: \(reason)")
            }
        case .object:
            defer { unlink(path) }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw StorageError(.readFailed, "\(path): cannot read the scratch file for \(finalPath)")
            }
            try FilePublisher.writeOnce(data, to: finalPath, exclusive: false)
        }
    }

    /// Removes the scratch file (after a failure), and any SQLite journal next to it.
    public func discard() {
        unlink(path)
        unlink(path + "-journal")
    }
}
