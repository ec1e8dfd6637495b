import CVizGEOS

/// Topology-preserving Douglas–Peucker simplification of one polygon: a port of GEOS 3.11's
/// `TopologyPreservingSimplifier` (`TaggedLineStringSimplifier`) for the single-polygon case, producing the same
/// coordinates as `GEOSTopologyPreserveSimplify_r` (shapely's `simplify(tol, preserve_topology=True)`).
///
/// Why: GEOS builds quadtrees, tagged segments and a new geometry for every polygon, which cost more than all
/// other per-polygon staging work. Here segment lookups are linear scans over the polygon's own segments (the
/// spatial index in GEOS only filters by envelope, so the answers are the same), and only the exact orientation
/// test falls back to GEOS when the fast floating-point filter cannot decide. Polygons with more than
/// ``maximumPoints`` points go to GEOS, where its index pays off.
struct PolygonSimplifier {
    /// Above this many points, ``simplify(_:)`` returns nil and the caller uses GEOS.
    static let maximumPoints = 256

    let tolerance: Double
    let engine: GeometryEngine

    private struct Segment {
        var x0: Double, y0: Double, x1: Double, y1: Double
    }

    /// The simplified polygon, or nil when the polygon is too large for this path.
    func simplify(_ polygon: Polygon) -> Polygon? {
        guard polygon.pointCount <= Self.maximumPoints else { return nil }
        var state = State(rings: polygon.rings, tolerance: tolerance, engine: engine)
        var result: [[Double]] = []
        for ring in polygon.rings.indices {
            result.append(state.simplifyRing(ring))
        }
        return Polygon(rings: result)
    }

    private struct State {
        let rings: [[Double]]
        let tolerance: Double
        let engine: GeometryEngine
        /// Input segments still in GEOS' input index: `removed[ring][k]` once flattened away.
        var removed: [[Bool]]
        /// Flattened segments (GEOS' output index).
        var output: [Segment] = []
        /// Result point indices of the ring being simplified.
        var kept: [Int] = []
        var ring = 0

        init(rings: [[Double]], tolerance: Double, engine: GeometryEngine) {
            self.rings = rings
            self.tolerance = tolerance
            self.engine = engine
            removed = rings.map { [Bool](repeating: false, count: max($0.count / 2 - 1, 0)) }
        }

        mutating func simplifyRing(_ index: Int) -> [Double] {
            ring = index
            let count = rings[index].count / 2
            guard count > 0 else { return rings[index] }
            kept = [0]
            simplifySection(0, count - 1, depth: 0)
            var coordinates: [Double] = []
            coordinates.reserveCapacity(kept.count * 2)
            for point in kept {
                coordinates.append(rings[index][2 * point])
                coordinates.append(rings[index][2 * point + 1])
            }
            return coordinates
        }

        /// `TaggedLineStringSimplifier::simplifySection`.
        mutating func simplifySection(_ i: Int, _ j: Int, depth: Int) {
            let depth = depth + 1
            if i + 1 == j {
                kept.append(j)
                return
            }
            var valid = true
            // GEOS' result size counts points of the segments added so far (0 when none).
            let resultSize = kept.count == 1 ? 0 : kept.count
            if resultSize < 4, depth + 1 < 4 { valid = false }
            let points = rings[ring]
            let ax = points[2 * i]
            let ay = points[2 * i + 1]
            let bx = points[2 * j]
            let by = points[2 * j + 1]
            var furthest = i
            var maxDistance = -1.0
            for k in (i + 1)..<j {
                let distance = Self.pointToSegment(points[2 * k], points[2 * k + 1], ax, ay, bx, by)
                if distance > maxDistance {
                    maxDistance = distance
                    furthest = k
                }
            }
            if maxDistance > tolerance { valid = false }
            let candidate = Segment(x0: ax, y0: ay, x1: bx, y1: by)
            if valid, hasBadIntersection(candidate, sectionStart: i, sectionEnd: j) { valid = false }
            if valid {
                output.append(candidate)
                for k in i..<j { removed[ring][k] = true }
                kept.append(j)
                return
            }
            simplifySection(i, furthest, depth: depth)
            simplifySection(furthest, j, depth: depth)
        }

        func hasBadIntersection(_ candidate: Segment, sectionStart: Int, sectionEnd: Int) -> Bool {
            for segment in output where hasInteriorIntersection(segment, candidate) {
                return true
            }
            for (other, coordinates) in rings.enumerated() {
                let count = coordinates.count / 2
                guard count > 1 else { continue }
                for k in 0..<(count - 1) where !removed[other][k] {
                    let segment = Segment(
                        x0: coordinates[2 * k], y0: coordinates[2 * k + 1],
                        x1: coordinates[2 * k + 2], y1: coordinates[2 * k + 3])
                    guard hasInteriorIntersection(segment, candidate) else { continue }
                    if other == ring, k >= sectionStart, k < sectionEnd { continue }
                    return true
                }
            }
            return false
        }

        /// `LineIntersector::computeIntersection` + `isInteriorIntersection`, with `p` = input line 0.
        func hasInteriorIntersection(_ p: Segment, _ q: Segment) -> Bool {
            // Envelope test.
            if min(p.x0, p.x1) > max(q.x0, q.x1) || max(p.x0, p.x1) < min(q.x0, q.x1) { return false }
            if min(p.y0, p.y1) > max(q.y0, q.y1) || max(p.y0, p.y1) < min(q.y0, q.y1) { return false }
            let pq1 = orientation(p.x0, p.y0, p.x1, p.y1, q.x0, q.y0)
            let pq2 = orientation(p.x0, p.y0, p.x1, p.y1, q.x1, q.y1)
            if (pq1 > 0 && pq2 > 0) || (pq1 < 0 && pq2 < 0) { return false }
            let qp1 = orientation(q.x0, q.y0, q.x1, q.y1, p.x0, p.y0)
            let qp2 = orientation(q.x0, q.y0, q.x1, q.y1, p.x1, p.y1)
            if (qp1 > 0 && qp2 > 0) || (qp1 < 0 && qp2 < 0) { return false }
            var points: [(Double, Double)] = []
            if pq1 == 0 && pq2 == 0 && qp1 == 0 && qp2 == 0 {
                // Collinear: the overlap's end points.
                let q1InP = Self.inEnvelope(q.x0, q.y0, p)
                let q2InP = Self.inEnvelope(q.x1, q.y1, p)
                let p1InQ = Self.inEnvelope(p.x0, p.y0, q)
                let p2InQ = Self.inEnvelope(p.x1, p.y1, q)
                if q1InP && q2InP {
                    points = [(q.x0, q.y0), (q.x1, q.y1)]
                } else if p1InQ && p2InQ {
                    points = [(p.x0, p.y0), (p.x1, p.y1)]
                } else if q1InP && p1InQ {
                    points = Self.collinearPair((q.x0, q.y0), (p.x0, p.y0), single: !q2InP && !p2InQ)
                } else if q1InP && p2InQ {
                    points = Self.collinearPair((q.x0, q.y0), (p.x1, p.y1), single: !q2InP && !p1InQ)
                } else if q2InP && p1InQ {
                    points = Self.collinearPair((q.x1, q.y1), (p.x0, p.y0), single: !q1InP && !p2InQ)
                } else if q2InP && p2InQ {
                    points = Self.collinearPair((q.x1, q.y1), (p.x1, p.y1), single: !q1InP && !p1InQ)
                } else {
                    return false
                }
            } else if pq1 == 0 || pq2 == 0 || qp1 == 0 || qp2 == 0 {
                // The intersection is an end point: GEOS copies it exactly.
                if (p.x0 == q.x0 && p.y0 == q.y0) || (p.x0 == q.x1 && p.y0 == q.y1) {
                    points = [(p.x0, p.y0)]
                } else if (p.x1 == q.x0 && p.y1 == q.y0) || (p.x1 == q.x1 && p.y1 == q.y1) {
                    points = [(p.x1, p.y1)]
                } else if pq1 == 0 {
                    points = [(q.x0, q.y0)]
                } else if pq2 == 0 {
                    points = [(q.x1, q.y1)]
                } else if qp1 == 0 {
                    points = [(p.x0, p.y0)]
                } else {
                    points = [(p.x1, p.y1)]
                }
            } else {
                // A proper crossing lies inside both segments.
                return true
            }
            for point in points {
                let onP = (point.0 == p.x0 && point.1 == p.y0) || (point.0 == p.x1 && point.1 == p.y1)
                let onQ = (point.0 == q.x0 && point.1 == q.y0) || (point.0 == q.x1 && point.1 == q.y1)
                if !onP || !onQ { return true }
            }
            return false
        }

        static func collinearPair(_ a: (Double, Double), _ b: (Double, Double), single: Bool) -> [(Double, Double)] {
            (a.0 == b.0 && a.1 == b.1 && single) ? [a] : [a, b]
        }

        static func inEnvelope(_ x: Double, _ y: Double, _ s: Segment) -> Bool {
            x >= (s.x0 < s.x1 ? s.x0 : s.x1) && x <= (s.x0 > s.x1 ? s.x0 : s.x1)
                && y >= (s.y0 < s.y1 ? s.y0 : s.y1) && y <= (s.y0 > s.y1 ? s.y0 : s.y1)
        }

        /// `CGAlgorithmsDD::orientationIndex`: the floating-point filter, then GEOS' exact test when it fails.
        func orientation(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ cx: Double, _ cy: Double) -> Int {
            let detLeft = (ax - cx) * (by - cy)
            let detRight = (ay - cy) * (bx - cx)
            let det = detLeft - detRight
            let detSum: Double
            if detLeft > 0.0 {
                if detRight <= 0.0 { return Self.sign(det) }
                detSum = detLeft + detRight
            } else if detLeft < 0.0 {
                if detRight >= 0.0 { return Self.sign(det) }
                detSum = -detLeft - detRight
            } else {
                return Self.sign(det)
            }
            let errorBound = 1e-15 * detSum
            if det >= errorBound || -det >= errorBound { return Self.sign(det) }
            return Int(GEOSOrientationIndex_r(engine.context, ax, ay, bx, by, cx, cy))
        }

        static func sign(_ value: Double) -> Int { value > 0 ? 1 : (value < 0 ? -1 : 0) }

        /// `Distance::pointToSegment`, operation for operation.
        static func pointToSegment(_ px: Double, _ py: Double, _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double) -> Double {
            if ax == bx && ay == by {
                let dx = px - ax
                let dy = py - ay
                return (dx * dx + dy * dy).squareRoot()
            }
            let length2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
            let r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / length2
            if r <= 0.0 {
                let dx = px - ax
                let dy = py - ay
                return (dx * dx + dy * dy).squareRoot()
            }
            if r >= 1.0 {
                let dx = px - bx
                let dy = py - by
                return (dx * dx + dy * dy).squareRoot()
            }
            let s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / length2
            return abs(s) * length2.squareRoot()
        }
    }
}
