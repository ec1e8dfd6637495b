/// A polygon as plain coordinates: ring 0 is the shell, the rest are holes; each ring is interleaved
/// `[x0, y0, x1, y1, …]` and closed (last point = first point), as read from GDAL.
public struct Polygon: Sendable, Hashable {
    /// The rings, shell first.
    public var rings: [[Double]]

    /// Creates a polygon from closed interleaved rings (shell first).
    public init(rings: [[Double]]) {
        self.rings = rings
    }

    /// The bounding box of the shell (holes lie inside it).
    public var boundingBox: BoundingBox {
        var box = BoundingBox.empty
        guard let shell = rings.first else { return box }
        var index = 0
        while index + 1 < shell.count {
            box.extend(x: shell[index], y: shell[index + 1])
            index += 2
        }
        return box
    }

    /// Total number of points over all rings.
    public var pointCount: Int { rings.reduce(0) { $0 + $1.count / 2 } }
}
