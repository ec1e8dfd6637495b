/// A fast, conservative validity check for the common polygon: one ring, no holes, at most ``maximumPoints``
/// points. It answers `true` only when the ring is certainly simple (closed, non-zero area, no two edges touching
/// except neighbours at their shared vertex) with every orientation test far from zero; anything else, invalid or
/// merely close to degenerate, goes to GEOS (`isValid`, then make-valid). GEOS costs ≈ 7 µs per 5-point polygon,
/// a third of staging's whole per-polygon budget; this costs well under one.
enum SimpleRingCheck {
    /// Above this many points the quadratic edge test is not worth it; GEOS decides.
    static let maximumPoints = 128

    /// Whether `polygon` is certainly valid (see the type documentation); `false` means "ask GEOS".
    static func isCertainlyValid(_ polygon: Polygon) -> Bool {
        guard polygon.rings.count == 1 else { return false }
        let ring = polygon.rings[0]
        let count = ring.count / 2
        guard count >= 4, count <= maximumPoints, ring.count % 2 == 0 else { return false }
        guard ring[0] == ring[2 * count - 2], ring[1] == ring[2 * count - 1] else { return false }
        let edges = count - 1
        guard edges >= 3 else { return false }
        // Twice the signed area, relative to the first point (absolute coordinates would drown small rings).
        let (originX, originY) = (ring[0], ring[1])
        var area = 0.0
        var extent = 0.0
        for index in 0..<edges {
            let (x0, y0, x1, y1) = (ring[2 * index], ring[2 * index + 1], ring[2 * index + 2], ring[2 * index + 3])
            guard x0.isFinite, y0.isFinite, x0 != x1 || y0 != y1 else { return false }
            area += (x0 - originX) * (y1 - originY) - (x1 - originX) * (y0 - originY)
            extent = max(extent, abs(x0 - originX), abs(y0 - originY))
        }
        guard abs(area) > 1e-9 * extent * extent else { return false }

        @inline(__always) func point(_ index: Int) -> (Double, Double) { (ring[2 * index], ring[2 * index + 1]) }
        // Orientation of c against the line a→b: +1, -1, or 0 when too close to zero to trust.
        @inline(__always) func orientation(_ a: (Double, Double), _ b: (Double, Double), _ c: (Double, Double)) -> Int {
            let (abx, aby, acx, acy) = (b.0 - a.0, b.1 - a.1, c.0 - a.0, c.1 - a.1)
            let determinant = abx * acy - aby * acx
            let bound = 1e-10 * (abs(abx) + abs(aby)) * (abs(acx) + abs(acy))
            if determinant > bound { return 1 }
            if determinant < -bound { return -1 }
            return 0
        }
        for i in 0..<edges {
            let (a, b) = (point(i), point(i + 1))
            // Neighbours meet at their shared vertex only if they are not collinear (a spike folds back on itself).
            if orientation(a, b, point((i + 2) % edges)) == 0 { return false }
            for j in stride(from: i + 2, to: edges, by: 1) where !(i == 0 && j == edges - 1) {
                let (c, d) = (point(j), point(j + 1))
                if max(a.0, b.0) < min(c.0, d.0) || max(c.0, d.0) < min(a.0, b.0) || max(a.1, b.1) < min(c.1, d.1) || max(c.1, d.1) < min(a.1, b.1) {
                    continue
                }
                let o1 = orientation(a, b, c)
                let o2 = orientation(a, b, d)
                let o3 = orientation(c, d, a)
                let o4 = orientation(c, d, b)
                if o1 == 0 || o2 == 0 || o3 == 0 || o4 == 0 { return false }
                if o1 != o2 && o3 != o4 { return false }
            }
        }
        return true
    }
}
