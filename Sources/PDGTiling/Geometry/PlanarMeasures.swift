/// Planar area and centroid of a polygon, computed with the same floating-point operations, in the same order,
/// as GEOS (`Area::ofRing`, `algorithm::Centroid`) — which is what shapely's `.area` and `.centroid` call — so that
/// `staging_area` and `staging_centroid_x/y` match the Python outputs to the last digit.
enum PlanarMeasures {
    /// Area of the polygon: |shell| − Σ|holes|.
    static func area(of polygon: Polygon) -> Double {
        guard let shell = polygon.rings.first else { return 0 }
        var area = abs(signedRingArea(shell))
        for hole in polygon.rings.dropFirst() {
            area -= abs(signedRingArea(hole))
        }
        return area
    }

    /// GEOS `Area::ofRingSigned`: shoelace with x shifted by the first x; positive for clockwise rings.
    static func signedRingArea(_ ring: [Double]) -> Double {
        let count = ring.count / 2
        guard count >= 3 else { return 0 }
        let x0 = ring[0]
        var p1x = 0.0
        var p1y = ring[1]
        var p2x = ring[2] - x0
        var p2y = ring[3]
        var sum = 0.0
        for index in 1..<(count - 1) {
            let p0y = p1y
            p1x = p2x
            p1y = p2y
            p2x = ring[2 * (index + 1)] - x0
            p2y = ring[2 * (index + 1) + 1]
            sum += p1x * (p0y - p2y)
        }
        return sum / 2.0
    }

    /// Centroid as GEOS `algorithm::Centroid` computes it for a polygon (triangle fan from the shell's first
    /// point); falls back to the mean of the shell's points for a zero-area polygon.
    static func centroid(of polygon: Polygon) -> (x: Double, y: Double) {
        guard let shell = polygon.rings.first, shell.count >= 2 else { return (.nan, .nan) }
        let baseX = shell[0]
        let baseY = shell[1]
        var cg3x = 0.0
        var cg3y = 0.0
        var areaSum2 = 0.0

        func addRing(_ ring: [Double], positive: Bool) {
            let sign = positive ? 1.0 : -1.0
            let count = ring.count / 2
            guard count >= 2 else { return }
            for index in 0..<(count - 1) {
                let p1x = ring[2 * index]
                let p1y = ring[2 * index + 1]
                let p2x = ring[2 * index + 2]
                let p2y = ring[2 * index + 3]
                let cx = baseX + p1x + p2x
                let cy = baseY + p1y + p2y
                let a2 = (p1x - baseX) * (p2y - baseY) - (p2x - baseX) * (p1y - baseY)
                cg3x += sign * a2 * cx
                cg3y += sign * a2 * cy
                areaSum2 += sign * a2
            }
        }

        // GEOS: shell triangles count positive when the shell is clockwise, holes when they are counter-clockwise.
        addRing(shell, positive: !isCounterClockwise(shell))
        for hole in polygon.rings.dropFirst() {
            addRing(hole, positive: isCounterClockwise(hole))
        }
        if abs(areaSum2) > 0.0 {
            return (cg3x / 3 / areaSum2, cg3y / 3 / areaSum2)
        }
        var sumX = 0.0
        var sumY = 0.0
        let count = shell.count / 2
        for index in 0..<count {
            sumX += shell[2 * index]
            sumY += shell[2 * index + 1]
        }
        return (sumX / Double(count), sumY / Double(count))
    }

    /// Ring orientation (GEOS `Orientation::isCCW` agrees with the sign of the area for non-degenerate rings).
    static func isCounterClockwise(_ ring: [Double]) -> Bool {
        signedRingArea(ring) < 0
    }
}
