import PDGTiling

/// Exact area coverage of polygons over a tile's pixel grid.
///
/// Each ring edge is split at the row and column lines it crosses; every piece adds the signed area of the
/// trapezoid between it and the pixel's east edge to its cell and its full height to the next cell, and a prefix
/// sum along each row turns that into ∫ winding number over each pixel (Green's theorem). For a valid polygon this
/// is exactly the area of polygon ∩ pixel, up to float rounding — no sampling and no per-pixel clipping.
/// Work is proportional to the number of edge/cell crossings plus the polygon's pixel window.
///
/// Not thread-safe (it reuses a scratch buffer): give each task its own.
public struct CoverageRasterizer: Sendable {
    /// The grid rasterized into.
    public let grid: PixelGrid
    private let columnScale: Double
    private let rowScale: Double
    /// pixel-space area → pdgraster's `area / fencePixelArea`.
    private let areaFactor: Double
    private var scratch: [Double] = []

    /// Creates a rasterizer for a grid.
    public init(grid: PixelGrid) {
        self.grid = grid
        columnScale = 1 / grid.pixelWidth
        rowScale = 1 / grid.pixelHeight
        areaFactor = grid.pixelWidth * grid.pixelHeight / grid.fencePixelArea
    }

    /// Rasterizes one feature (one or more polygons, each as closed interleaved rings, shell first) and calls
    /// `body(row, column, coverage)` for every pixel with a non-zero covered area, row by row, west to east.
    /// `coverage` = area of feature ∩ pixel / pixel area (pdgraster's `area_per_pixel_area`).
    public mutating func rasterize(
        _ polygons: [Polygon],
        _ body: (_ row: Int, _ column: Int, _ coverage: Double) -> Void
    ) {
        // Pixel-space bounding box (u east, v south).
        var minU = Double.infinity
        var maxU = -Double.infinity
        var minV = Double.infinity
        var maxV = -Double.infinity
        let left = grid.bounds.left
        let top = grid.bounds.top
        for polygon in polygons {
            guard let shell = polygon.rings.first else { continue }
            var index = 0
            while index + 1 < shell.count {
                let u = (shell[index] - left) * columnScale
                let v = (top - shell[index + 1]) * rowScale
                minU = min(minU, u)
                maxU = max(maxU, u)
                minV = min(minV, v)
                maxV = max(maxV, v)
                index += 2
            }
        }
        guard minU < Double(grid.columns), maxU > 0, minV < Double(grid.rows), maxV > 0 else { return }
        let c0 = max(0, Int(minU.rounded(.down)))
        let c1 = min(grid.columns - 1, Int(maxU.rounded(.down)))
        let r0 = max(0, Int(minV.rounded(.down)))
        let r1 = min(grid.rows - 1, Int(maxV.rounded(.down)))
        guard c0 <= c1, r0 <= r1 else { return }
        let width = c1 - c0 + 2  // one extra accumulation column east of the window
        let height = r1 - r0 + 1
        let count = width * height
        if scratch.count < count { scratch = [Double](repeating: 0, count: max(count, 2 * scratch.count)) }
        let uLow = Double(c0)
        let uHigh = Double(c1 + 1)
        let vLow = Double(r0)
        let vHigh = Double(r1 + 1)
        let factor = areaFactor
        scratch.withUnsafeMutableBufferPointer { buffer in
            let cells = buffer.baseAddress!
            cells.update(repeating: 0, count: count)
            for polygon in polygons {
                for (ringIndex, ring) in polygon.rings.enumerated() {
                    let points = ring.count / 2
                    guard points >= 3 else { continue }
                    // Orientation: the accumulation yields −∮u dv = −(signed area); shells count +, holes −.
                    var twiceArea = 0.0
                    var previousU = (ring[0] - left) * columnScale
                    var previousV = (top - ring[1]) * rowScale
                    let firstU = previousU
                    let firstV = previousV
                    for point in 1..<points {
                        let u = (ring[2 * point] - left) * columnScale
                        let v = (top - ring[2 * point + 1]) * rowScale
                        twiceArea += (previousU - firstU) * (v - firstV) - (u - firstU) * (previousV - firstV)
                        previousU = u
                        previousV = v
                    }
                    if twiceArea == 0 { continue }
                    let sign: Double = (twiceArea < 0) == (ringIndex == 0) ? 1 : -1
                    previousU = firstU
                    previousV = firstV
                    for point in 1..<points {
                        let u = (ring[2 * point] - left) * columnScale
                        let v = (top - ring[2 * point + 1]) * rowScale
                        Self.accumulate(
                            u0: previousU, v0: previousV, u1: u, v1: v, sign: sign,
                            uLow: uLow, uHigh: uHigh, vLow: vLow, vHigh: vHigh,
                            r0: r0, c0: c0, width: width, cells: cells
                        )
                        previousU = u
                        previousV = v
                    }
                }
            }
            for row in 0..<height {
                var running = 0.0
                let base = row * width
                for column in 0..<(width - 1) {
                    running += cells[base + column]
                    // Pieces that only touch a pixel (GEOS gives a line, which pdgraster drops) are skipped.
                    if abs(running) > 1e-14 {
                        body(r0 + row, c0 + column, running * factor)
                    }
                }
            }
        }
    }

    /// Adds one edge (pixel space) to the window: clipped to the window's rows, clamped to its columns (parts west
    /// of the window act as if on its west edge, which is exact for the prefix sum; parts east never show).
    @inline(__always)
    private static func accumulate(
        u0: Double, v0: Double, u1: Double, v1: Double, sign: Double,
        uLow: Double, uHigh: Double, vLow: Double, vHigh: Double,
        r0: Int, c0: Int, width: Int, cells: UnsafeMutablePointer<Double>
    ) {
        if v0 == v1 { return }
        let vMin = max(min(v0, v1), vLow)
        let vMax = min(max(v0, v1), vHigh)
        if vMin >= vMax { return }
        let slope = (u1 - u0) / (v1 - v0)
        let direction: Double = v1 > v0 ? sign : -sign
        // Walk the rows the edge spans, in increasing v.
        var vA = vMin
        var row = Int(vA.rounded(.down))
        while vA < vMax {
            let vB = min(vMax, Double(row + 1))
            if vB > vA {
                addRowPiece(
                    uA: u0 + (vA - v0) * slope, uB: u0 + (vB - v0) * slope, dv: (vB - vA) * direction,
                    rowBase: (row - r0) * width, c0: c0, uLow: uLow, uHigh: uHigh, cells: cells
                )
            }
            vA = vB
            row += 1
        }
    }

    /// One edge piece inside a row: the part west of the window acts as a vertical edge on its west side (full
    /// height into its first cell), the part east of it never shows, the rest is split at column lines and each
    /// part adds its trapezoid. Each part carries the share of `dv` of its share of the piece's length.
    @inline(__always)
    private static func addRowPiece(
        uA: Double, uB: Double, dv: Double, rowBase: Int, c0: Int, uLow: Double, uHigh: Double,
        cells: UnsafeMutablePointer<Double>
    ) {
        let uLo = min(uA, uB)
        let uHi = max(uA, uB)
        let span = uHi - uLo
        if span == 0 {
            if uLo >= uHigh { return }
            let u = max(uLo, uLow)
            let column = min(Int(u.rounded(.down)), Int(uHigh) - 1)
            let fraction = Double(column + 1) - u
            let local = rowBase + column - c0
            cells[local] += dv * fraction
            cells[local + 1] += dv * (1 - fraction)
            return
        }
        if uLo < uLow {
            cells[rowBase] += dv * ((min(uHi, uLow) - uLo) / span)
        }
        let a0 = max(uLo, uLow)
        let b0 = min(uHi, uHigh)
        if b0 <= a0 { return }
        let first = Int(a0.rounded(.down))
        let last = max(first, Int(b0.rounded(.up)) - 1)
        for column in first...last {
            let a = max(a0, Double(column))
            let b = min(b0, Double(column + 1))
            if b <= a { continue }
            let piece = dv * ((b - a) / span)
            let mid = (a + b) * 0.5
            let local = rowBase + column - c0
            cells[local] += piece * (Double(column + 1) - mid)
            cells[local + 1] += piece * (mid - Double(column))
        }
    }
}
