import CVizGDAL
import Foundation

/// CRSs and transformations already built in this process, handed out as clones.
///
/// Why: every input file of a layer carries the same `.prj`, and building its CRS (GDAL parses the ESRI WKT and
/// searches PROJ's database for a matching EPSG entry) and the transformation to the TMS CRS (another database
/// search) took about 15 ms per file, as long as staging 1 300 polygons. GDAL objects are not safe to share
/// between threads, so callers get their own clones (cheap: no parsing, no search), made under a lock.
final class ProjectionCache: @unchecked Sendable {
    /// The process's cache.
    static let shared = ProjectionCache()

    private let lock = NSLock()
    private var references: [String: SpatialReference] = [:]
    private var transformations: [String: CoordinateTransformation] = [:]

    /// A CRS for `key` (for example `prj:` and the `.prj` text, or `crs:` and a definition): a clone of the one
    /// `make` built the first time.
    func reference(key: String, make: () throws(TilingError) -> SpatialReference?) throws(TilingError) -> SpatialReference? {
        lock.lock()
        defer { lock.unlock() }
        if let cached = references[key] { return try SpatialReference(cloning: cached.handle) }
        guard let made = try make() else { return nil }
        references[key] = made
        return try SpatialReference(cloning: made.handle)
    }

    /// A transformation between the CRSs named by two ``reference(key:make:)`` keys: a clone of the one `make`
    /// built the first time, with its own `description` for error messages.
    func transformation(
        from sourceKey: String, to targetKey: String, description: String,
        make: () throws(TilingError) -> CoordinateTransformation
    ) throws(TilingError) -> CoordinateTransformation {
        let key = sourceKey + "\u{0}" + targetKey
        lock.lock()
        defer { lock.unlock() }
        if let cached = transformations[key] { return try CoordinateTransformation(cloning: cached, description: description) }
        let made = try make()
        transformations[key] = made
        return try CoordinateTransformation(cloning: made, description: description)
    }

    /// The cache key of a shapefile's `.prj`, or nil when it has none (or it cannot be read).
    static func prjKey(forShapefile path: String) -> String? {
        guard path.lowercased().hasSuffix(".shp") else { return nil }
        let base = (path as NSString).deletingPathExtension
        for candidate in [base + ".prj", base + ".PRJ"] {
            if let data = FileManager.default.contents(atPath: candidate), let text = String(data: data, encoding: .utf8) {
                return "prj:" + text
            }
        }
        return nil
    }
}
