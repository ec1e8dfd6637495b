import PDGTiling

/// One row of a staged tile as the rasterizer needs it: its polygons, its centroid (from the staging columns when
/// present) and the values of the properties the statistics aggregate.
public struct StagedFeature: Sendable {
    /// The polygon parts (one for a Polygon, several for a MultiPolygon).
    public var polygons: [Polygon]
    /// `staging_centroid_x` (or the planar centroid when the column is absent).
    public var centroidX: Double
    /// `staging_centroid_y` (or the planar centroid).
    public var centroidY: Double
    /// Values of the requested properties, in request order (NaN for NULL or non-numeric).
    public var values: [Double]

    /// Creates a feature.
    public init(polygons: [Polygon], centroidX: Double, centroidY: Double, values: [Double]) {
        self.polygons = polygons
        self.centroidX = centroidX
        self.centroidY = centroidY
        self.values = values
    }

    /// Planar (shoelace) centroid of the polygons, as shapely computes it.
    public static func planarCentroid(of polygons: [Polygon]) -> (x: Double, y: Double) {
        var area = 0.0
        var sx = 0.0
        var sy = 0.0
        guard let reference = polygons.first?.rings.first, reference.count >= 2 else { return (.nan, .nan) }
        let x0 = reference[0]
        let y0 = reference[1]
        for polygon in polygons {
            for ring in polygon.rings {
                // Rings are signed by orientation; shells and holes of valid polygons have opposite signs.
                var index = 0
                while index + 3 < ring.count {
                    let ax = ring[index] - x0
                    let ay = ring[index + 1] - y0
                    let bx = ring[index + 2] - x0
                    let by = ring[index + 3] - y0
                    let cross = ax * by - bx * ay
                    area += cross
                    sx += (ax + bx) * cross
                    sy += (ay + by) * cross
                    index += 2
                }
            }
        }
        guard area != 0 else { return (x0, y0) }
        return (sx / (3 * area) + x0, sy / (3 * area) + y0)
    }
}
