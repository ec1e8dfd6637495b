/// A file a task reads or writes (Parsl `File`).
///
/// Apps declare the files they read and write through ``DeclaresFiles`` (on their input) and
/// ``ProducesFiles`` (on their output). The kernel fingerprints declared input files into the memo key, so a
/// changed input re-runs the task, and reuses a checkpointed result only while the files it wrote still exist
/// unchanged. A declared output file becomes a future of its own (``DataFuture``), which other apps can wait
/// for like any future.
///
/// Only local paths (the `file` scheme) exist today; every worker and the leader must see the same path (a
/// shared file system or a mounted bucket). The scheme is kept so that staging providers for other schemes
/// (HTTP, Globus) can be added later without changing the type.
///
/// ```swift
/// let raw = DataFile("input/scene-1.shp")
/// let tiles = DataFile("file:///data/tiles/scene-1.gpkg")
/// ```
public struct DataFile: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    /// The URL scheme; `file` for a local path.
    public var scheme: String
    /// The path on the local file system (Parsl `File.filepath`).
    public var path: String

    /// A file from a local path, or from a `file://` URL.
    public init(_ pathOrURL: String) {
        if pathOrURL.hasPrefix("file://") {
            scheme = "file"
            path = String(pathOrURL.dropFirst("file://".count))
        } else {
            scheme = "file"
            path = pathOrURL
        }
    }

    /// Parsl `File.filepath`: the path where the file is read or written.
    public var filepath: String { path }

    /// The file's URL (`file://` plus the path as given).
    public var url: String { "\(scheme)://\(path)" }

    /// The path, as it names the file in messages.
    public var description: String { path }

    /// Orders by path, then scheme.
    public static func < (a: DataFile, b: DataFile) -> Bool {
        a.path != b.path ? a.path < b.path : a.scheme < b.scheme
    }
}
