import Foundation

/// What kind of file system a path is on, for how files are written there.
///
/// - ``posix``: a local or network POSIX disk. Files are written through a temporary name and `rename(2)`,
///   and logs are appended and fsynced.
/// - ``object``: an object store mounted with FUSE, such as a Cloud Storage bucket under gcsfuse. A file becomes
///   an object only at `close()`, as one whole upload; changing an object re-uploads all of it, renames are a
///   copy plus a delete, and one object name takes about one write per second. So every file is written once:
///   produced locally, then published with exactly one create-write-close, under a name never written before
///   where it can be.
public enum StorageKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A POSIX file system: atomic rename, append, fsync.
    case posix
    /// An object store behind FUSE: each file written once, with one create-write-close.
    case object

    /// The environment variable that overrides detection in every process that inherits it (`posix`,
    /// `object` or `auto`); `viz-workflow run` sets it from `parsl_config.json`'s `storage` so its local
    /// workers follow.
    public static let environmentVariable = "DATAFLOW_STORAGE"

    /// The storage kind for `path`: `DATAFLOW_STORAGE` if it is `posix` or `object`, else ``detect(path:)``.
    public static func resolve(path: String) -> StorageKind {
        // getenv, not ProcessInfo's environment: that copies the whole environment into a dictionary per call.
        if let value = getenv(environmentVariable), let kind = StorageKind(rawValue: String(cString: value)) {
            return kind
        }
        return detect(path: path)
    }

    /// Detects the kind from the mount that holds `path` (which need not exist yet) in `/proc/self/mountinfo`:
    /// a FUSE mount (`fuse`, `fuse.gcsfuse`, any `fuse.*` but `fuseblk`) is ``object``, anything else ``posix``.
    /// Reading the mount table asks the FUSE daemon nothing; it is read again only after a mount or unmount
    /// (see `MountTable`).
    public static func detect(path: String) -> StorageKind {
        guard let entries = MountTable.shared.entries else { return .posix }
        return detect(path: path, mounts: entries)
    }

    /// Detects the kind of `path` from a mount table in `/proc/self/mountinfo`'s format.
    public static func detect(path: String, mountTable table: String) -> StorageKind {
        detect(path: path, mounts: MountTable.parse(table))
    }

    static func detect(path: String, mounts: [MountTable.Entry]) -> StorageKind {
        let absolute = absolutePath(path)
        var best: (length: Int, type: String)?
        for mount in mounts {
            let mountPoint = mount.mountPoint
            let covers =
                mountPoint == "/" || absolute == mountPoint || absolute.hasPrefix(mountPoint.hasSuffix("/") ? mountPoint : mountPoint + "/")
            guard covers else { continue }
            // Later lines of the same length win: a mount stacked on another mount point hides it.
            if best == nil || mountPoint.utf8.count >= best!.length { best = (mountPoint.utf8.count, mount.type) }
        }
        guard let type = best?.type else { return .posix }
        return type == "fuse" || type.hasPrefix("fuse.") ? .object : .posix
    }

    static func absolutePath(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (joined as NSString).standardizingPath
    }

    /// mountinfo escapes space, tab, newline and backslash as `\ooo`.
    static func unescape(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        let utf8 = Array(field.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "\\"), i + 3 < utf8.count, let value = UInt8(String(decoding: utf8[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                i += 4
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
