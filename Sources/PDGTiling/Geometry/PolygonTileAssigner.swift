/// Finds every tile of one zoom level whose closed rectangle a polygon intersects (touching counts), as
/// pdgstaging's spatial join with the `intersects` predicate does.
///
/// Hot path: most polygons lie inside one tile, which costs one box test per neighbouring tile. Polygons that
/// cross an edge get an exact polygon/rectangle test (vertex in rectangle, edge crossing, or rectangle inside
/// the polygon).
struct PolygonTileAssigner {
    let matrix: TileMatrix

    /// The tiles in ascending (x, y) order.
    func tiles(for polygon: Polygon, boundingBox box: BoundingBox, into result: inout [TileIndex]) {
        result.removeAll(keepingCapacity: true)
        let low = TileMatrixSet.tile(containingX: box.left, y: box.top, in: matrix)
        let high = TileMatrixSet.tile(containingX: box.right, y: box.bottom, in: matrix)
        // One tile of margin: a box edge lying exactly on a tile edge touches the neighbour too, and float edges
        // may disagree with the floor division by an ulp.
        let minX = max(low.x - 1, 0)
        let maxX = min(high.x + 1, matrix.matrixWidth - 1)
        let minY = max(low.y - 1, 0)
        let maxY = min(high.y + 1, matrix.matrixHeight - 1)
        for x in minX...maxX {
            for y in minY...maxY {
                let tile = TileIndex(x: x, y: y, z: matrix.zoom)
                let bounds = TileMatrixSet.bounds(of: tile, in: matrix)
                guard bounds.intersects(box) else { continue }
                if bounds.contains(box) {
                    result.append(tile)
                    continue
                }
                if Self.polygon(polygon, intersects: bounds) {
                    result.append(tile)
                }
            }
        }
    }

    /// Exact test: does the polygon (with holes) share a point with the closed rectangle?
    static func polygon(_ polygon: Polygon, intersects rect: BoundingBox) -> Bool {
        for ring in polygon.rings {
            let count = ring.count / 2
            guard count > 0 else { continue }
            var previousX = ring[0]
            var previousY = ring[1]
            if previousX >= rect.left && previousX <= rect.right && previousY >= rect.bottom && previousY <= rect.top {
                return true
            }
            for index in 1..<count {
                let x = ring[2 * index]
                let y = ring[2 * index + 1]
                if segment(previousX, previousY, x, y, intersects: rect) { return true }
                previousX = x
                previousY = y
            }
        }
        // No boundary contact: the rectangle is either inside the polygon's interior or disjoint from it.
        return contains(polygon, x: rect.left, y: rect.bottom)
    }

    /// Liang–Barsky clip of a segment against a closed rectangle.
    @inline(__always)
    static func segment(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, intersects rect: BoundingBox) -> Bool {
        if max(x0, x1) < rect.left || min(x0, x1) > rect.right || max(y0, y1) < rect.bottom || min(y0, y1) > rect.top {
            return false
        }
        var t0 = 0.0
        var t1 = 1.0
        let dx = x1 - x0
        let dy = y1 - y0
        // Each boundary narrows [t0, t1]; the segment meets the rectangle iff the interval stays non-empty.
        @inline(__always)
        func clip(_ p: Double, _ q: Double) -> Bool {
            if p == 0 { return q >= 0 }
            let t = q / p
            if p < 0 {
                if t > t1 { return false }
                if t > t0 { t0 = t }
            } else {
                if t < t0 { return false }
                if t < t1 { t1 = t }
            }
            return true
        }
        guard clip(-dx, x0 - rect.left), clip(dx, rect.right - x0), clip(-dy, y0 - rect.bottom), clip(dy, rect.top - y0)
        else { return false }
        return t0 <= t1
    }

    /// Even–odd point in polygon over all rings (holes excluded).
    static func contains(_ polygon: Polygon, x: Double, y: Double) -> Bool {
        var inside = false
        for ring in polygon.rings {
            let count = ring.count / 2
            guard count > 2 else { continue }
            var j = count - 1
            for i in 0..<count {
                let xi = ring[2 * i]
                let yi = ring[2 * i + 1]
                let xj = ring[2 * j]
                let yj = ring[2 * j + 1]
                if (yi > y) != (yj > y), x < (xj - xi) * (y - yi) / (yj - yi) + xi {
                    inside.toggle()
                }
                j = i
            }
        }
        return inside
    }
}
