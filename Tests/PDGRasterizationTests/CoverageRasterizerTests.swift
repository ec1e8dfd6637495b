import Foundation
import PDGRasterization
import PDGTiling
import Testing

@Suite("Exact coverage rasterizer")
struct CoverageRasterizerTests {
    /// Coverage of every pixel of a grid for one feature, as a dense array.
    static func coverage(_ polygons: [Polygon], grid: PixelGrid) -> [Double] {
        var rasterizer = CoverageRasterizer(grid: grid)
        var values = [Double](repeating: 0, count: grid.rows * grid.columns)
        rasterizer.rasterize(polygons) { row, column, value in values[row * grid.columns + column] += value }
        return values
    }

    @Test("Spec worked example: unit square centred on a 2 × 2 grid covers 0.25 of every pixel")
    func workedExample() {
        let grid = PixelGrid(bounds: BoundingBox(left: 0, bottom: 0, right: 2, top: 2), rows: 2, columns: 2)
        let square = Polygon(rings: [RasterTestSupport.ring([(0.5, 0.5), (1.5, 0.5), (1.5, 1.5), (0.5, 1.5)])])
        #expect(Self.coverage([square], grid: grid) == [0.25, 0.25, 0.25, 0.25])
        // The centroid (1, 1) is on both fences: ties go west and north → row 0, column 0.
        #expect(grid.pixel(containingX: 1, y: 1)! == (0, 0))
        // The tile owns x ∈ (left, right], y ∈ [bottom, top).
        #expect(grid.pixel(containingX: 0, y: 1) == nil)
        #expect(grid.pixel(containingX: 2, y: 1)! == (0, 1))
        #expect(grid.pixel(containingX: 1, y: 2) == nil)
        #expect(grid.pixel(containingX: 1, y: 0)! == (1, 0))
    }

    @Test("A pixel fully inside a polygon has coverage exactly 1, whatever the ring orientation")
    func fullPixel() {
        let grid = PixelGrid(
            bounds: BoundingBox(left: -148.84277343750014, bottom: 70.02685546875009, right: -148.82080078125014, top: 70.04882812500009), rows: 128,
            columns: 128)
        let points = [(-148.8425, 70.0270), (-148.8212, 70.0271), (-148.8213, 70.0486), (-148.8424, 70.0485)]
        for order in [points, points.reversed()] {
            let values = Self.coverage([Polygon(rings: [RasterTestSupport.ring(order)])], grid: grid)
            #expect(values[64 * 128 + 64] == 1)
            #expect(values[10 * 128 + 100] == 1)
            #expect(values.allSatisfy { $0 >= 0 && $0 <= 1 + 1e-12 })
        }
    }

    @Test("Random polygons: per-pixel coverage equals exact clipping, and Σ coverage × pixel area equals the area", arguments: 0..<12)
    func randomPolygons(seed: Int) {
        var generator = SplitMix64(seed: UInt64(seed) &+ 17)
        let bounds = BoundingBox(left: -148.84277343750014, bottom: 70.02685546875009, right: -148.82080078125014, top: 70.04882812500009)
        let grid = PixelGrid(bounds: bounds, rows: 16, columns: 16)
        // A star-shaped (possibly concave) polygon, sometimes crossing the tile edges, with a hole half of the time.
        let width = bounds.right - bounds.left
        let cx = bounds.left + width * generator.unit(0.1, 0.9)
        let cy = bounds.bottom + width * generator.unit(0.1, 0.9)
        let radius = width * generator.unit(0.05, seed % 3 == 0 ? 0.7 : 0.3)
        let count = 5 + seed % 9
        var points: [(Double, Double)] = []
        for index in 0..<count {
            let angle = Double(index) / Double(count) * 2 * Double.pi
            let r = radius * generator.unit(0.4, 1)
            points.append((cx + r * cos(angle), cy + r * sin(angle)))
        }
        if seed % 2 == 1 { points.reverse() }
        var rings = [RasterTestSupport.ring(points)]
        if seed % 2 == 0 {
            let hole = [
                (cx - radius * 0.1, cy - radius * 0.1), (cx - radius * 0.1, cy + radius * 0.1), (cx + radius * 0.1, cy + radius * 0.1),
                (cx + radius * 0.1, cy - radius * 0.1),
            ]
            rings.append(RasterTestSupport.ring(hole))
        }
        let values = Self.coverage([Polygon(rings: rings)], grid: grid)
        let pixelArea = grid.fencePixelArea
        var total = 0.0
        for row in 0..<grid.rows {
            for column in 0..<grid.columns {
                let box = BoundingBox(
                    left: grid.columnFences[column], bottom: grid.rowFences[row + 1], right: grid.columnFences[column + 1], top: grid.rowFences[row])
                var expected = RasterTestSupport.clippedArea(rings[0], box: box)
                if rings.count > 1 { expected -= RasterTestSupport.clippedArea(rings[1], box: box) }
                let actual = values[row * grid.columns + column]
                #expect(abs(actual - expected / pixelArea) < 1e-9, "pixel (\(row), \(column))")
                total += actual * pixelArea
            }
        }
        var clipped = RasterTestSupport.clippedArea(rings[0], box: bounds)
        if rings.count > 1 { clipped -= RasterTestSupport.clippedArea(rings[1], box: bounds) }
        #expect(abs(total - clipped) <= 1e-9 * clipped)
    }

    @Test("High-resolution reference: coverage matches 400 × 400 point sampling per pixel to sampling accuracy")
    func samplingReference() {
        let grid = PixelGrid(bounds: BoundingBox(left: 0, bottom: 0, right: 4, top: 4), rows: 4, columns: 4)
        let points = [(0.3, 0.2), (3.7, 1.1), (2.2, 3.9), (1.9, 1.8), (0.1, 2.9)]
        let values = Self.coverage([Polygon(rings: [RasterTestSupport.ring(points)])], grid: grid)
        func inside(_ x: Double, _ y: Double) -> Bool {
            var crossings = false
            for index in 0..<points.count {
                let a = points[index]
                let b = points[(index + 1) % points.count]
                if (a.1 > y) != (b.1 > y), x < a.0 + (y - a.1) * (b.0 - a.0) / (b.1 - a.1) { crossings.toggle() }
            }
            return crossings
        }
        let samples = 400
        for row in 0..<4 {
            for column in 0..<4 {
                var hits = 0
                for i in 0..<samples {
                    for j in 0..<samples
                    where inside(Double(column) + (Double(j) + 0.5) / Double(samples), 4 - Double(row) - (Double(i) + 0.5) / Double(samples)) {
                        hits += 1
                    }
                }
                #expect(abs(values[row * 4 + column] - Double(hits) / Double(samples * samples)) < 0.01)
            }
        }
    }

    @Test("Overlapping polygons are counted twice and a MultiPolygon's parts add up")
    func overlapsCountTwice() {
        let grid = PixelGrid(bounds: BoundingBox(left: 0, bottom: 0, right: 1, top: 1), rows: 1, columns: 1)
        let square = Polygon(rings: [RasterTestSupport.ring([(-1, -1), (2, -1), (2, 2), (-1, 2)])])
        #expect(Self.coverage([square, square], grid: grid) == [2])
    }
}

/// Deterministic random numbers for property tests.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(next() >> 11) / Double(1 << 53)
    }
}
