import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes whole files so that readers never see a partial one, in the way the target's storage works.
///
/// On ``StorageKind/posix`` a file is written under a temporary name in its directory and renamed into place
/// (`rename(2)` is atomic there). On ``StorageKind/object`` (a bucket under gcsfuse) there is no rename, no
/// journal and no append: a file is produced in a local scratch directory and then published with exactly
/// one create-write-close of its final path, which gcsfuse uploads as one object at `close()`, so nobody
/// sees a partial object either.
///
/// A final path that already holds exactly the new bytes is left alone, with its modification time: the
/// runtime fingerprints outputs, so what depends on an unchanged file is not redone, and a bucket is spared
/// an upload.
///
/// ```swift
/// let publisher = FilePublisher()                       // storage detected per path
/// try publisher.write(Array(csv.utf8), to: "viz-output/rasters_summary.csv")
/// let scratch = try publisher.scratch(for: "viz-output/geotiff/7/1/2.tif")
/// // ... let GDAL or SQLite write scratch.path ...
/// try scratch.publish()
/// ```
public struct FilePublisher: Sendable {
    /// Where files go: a fixed ``StorageKind``, or detected per path by ``StorageKind/resolve(path:)``.
    public var storage: StorageKind?
    /// The local directory for scratch files on object storage. Default: `$TMPDIR/dataflow-scratch`.
    public var scratchDirectory: String

    /// A publisher; `storage` `nil` detects per path (and honours `DATAFLOW_STORAGE`).
    public init(storage: StorageKind? = nil, scratchDirectory: String? = nil) {
        self.storage = storage
        self.scratchDirectory = scratchDirectory ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("dataflow-scratch")
    }

    /// The storage kind used for `path`.
    public func storage(for path: String) -> StorageKind {
        storage ?? StorageKind.resolve(path: path)
    }

    /// Writes `bytes` as the whole content of `path` (creating its directory): temporary file and rename on
    /// POSIX, one create-write-close on object storage. A file that already holds these bytes is kept.
    public func write(_ bytes: some Collection<UInt8>, to path: String) throws(StorageError) {
        if Self.holds(path, bytes) { return }
        try Self.makeParent(of: path)
        switch storage(for: path) {
        case .object:
            try Self.writeOnce(bytes, to: path, exclusive: false)
        case .posix:
            let temporary = Self.temporaryName(for: path)
            do {
                try Self.writeOnce(bytes, to: temporary, exclusive: true)
            } catch {
                unlink(temporary)
                throw error
            }
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw StorageError(.renameFailed, "\(path): rename failed: \(reason)")
            }
        }
    }

    /// Writes `bytes` as a new file at `path` that must not exist yet (`O_EXCL`), with one create-write-close
    /// on any storage: for write-once names such as checkpoint segments and snapshots.
    public func create(_ bytes: some Collection<UInt8>, at path: String) throws(StorageError) {
        try Self.makeParent(of: path)
        try Self.writeOnce(bytes, to: path, exclusive: true)
    }

    /// A place to produce the file that will become `path`: next to it on POSIX, in ``scratchDirectory`` on
    /// object storage. Call ``ScratchFile/publish()`` when it is complete, or ``ScratchFile/discard()``.
    public func scratch(for path: String) throws(StorageError) -> ScratchFile {
        let kind = storage(for: path)
        try Self.makeParent(of: path)
        switch kind {
        case .posix:
            return ScratchFile(path: Self.temporaryName(for: path), finalPath: path, storage: kind)
        case .object:
            do {
                try FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true)
            } catch {
                throw StorageError(.createFailed, "\(scratchDirectory): \(error.localizedDescription)")
            }
            let name = UUID().uuidString.prefix(8) + "-" + (path as NSString).lastPathComponent
            return ScratchFile(path: (scratchDirectory as NSString).appendingPathComponent(String(name)), finalPath: path, storage: kind)
        }
    }

    /// Copies a complete local file to `path` with one create-write-close (whatever the storage), for
    /// publishing something made elsewhere, such as a database snapshot. `exclusive` refuses an existing name.
    public func copy(file source: String, to path: String, exclusive: Bool) throws(StorageError) {
        guard let data = FileManager.default.contents(atPath: source) else {
            throw StorageError(.readFailed, "\(source): cannot read")
        }
        try Self.makeParent(of: path)
        try Self.writeOnce(data, to: path, exclusive: exclusive)
    }

    /// Whether the files at `a` and `b` both exist and hold the same bytes (sizes are compared first).
    public static func sameContent(_ a: String, _ b: String) -> Bool {
        var infoA = stat()
        var infoB = stat()
        guard stat(a, &infoA) == 0, stat(b, &infoB) == 0, infoA.st_size == infoB.st_size else { return false }
        guard let dataA = FileManager.default.contents(atPath: a), let dataB = FileManager.default.contents(atPath: b) else { return false }
        return dataA == dataB
    }

    // MARK: Helpers

    /// Whether `path` exists and holds exactly `bytes`.
    static func holds(_ path: String, _ bytes: some Collection<UInt8>) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, Int(info.st_size) == bytes.count, let existing = FileManager.default.contents(atPath: path) else {
            return false
        }
        return existing.elementsEqual(bytes)
    }

    static func temporaryName(for path: String) -> String {
        path + ".\(String(UInt32.random(in: 0...UInt32.max), radix: 16)).partial"
    }

    static func makeParent(of path: String) throws(StorageError) {
        let directory = (path as NSString).deletingLastPathComponent
        guard !directory.isEmpty else { return }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StorageError(.createFailed, "\(directory): \(error.localizedDescription)")
        }
    }

    /// One `open`, the writes, one `close` whose result is checked: on gcsfuse the upload happens, and can
    /// fail, in `close()`.
    static func writeOnce(_ bytes: some Collection<UInt8>, to path: String, exclusive: Bool) throws(StorageError) {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else {
            let code: StorageError.Code = errno == EEXIST ? .exists : .createFailed
            throw StorageError(code, "\(path): cannot create: \(String(cString: strerror(errno)))")
        }
        var failure: String?
        let wrote: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
            failure = writeAll(fd, UnsafeRawBufferPointer(buffer))
            return true
        }
        if wrote == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { failure = writeAll(fd, $0) }
        }
        let closed = close(fd)
        let closeErrno = errno
        if let failure {
            throw StorageError(.writeFailed, "\(path): \(failure)")
        }
        guard closed == 0 else {
            throw StorageError(.closeFailed, "\(path): close (upload) failed: \(String(cString: strerror(closeErrno)))")
        }
    }

    /// Writes all of `raw` to `fd`, again after short writes and `EINTR`; returns `strerror` of a failure.
    public static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer) -> String? {
        var offset = 0
        while offset < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            offset += n
        }
        return nil
    }
}
