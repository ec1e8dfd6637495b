import Foundation
import Testing

@testable import PDGTiling

struct GeometryTests {
    static func squarePolygon(_ x: Double, _ y: Double, _ size: Double) -> Polygon {
        Polygon(rings: [[x, y, x + size, y, x + size, y + size, x, y + size, x, y]])
    }

    @Test func areaAndCentroidMatchGEOS() throws {
        let engine = try GeometryEngine()
        let polygons = [
            Polygon(rings: [[-148.8207, 70.0179, -148.8208, 70.01794, -148.82104, 70.01799, -148.82094, 70.01802, -148.8207, 70.0179]]),
            Polygon(rings: [
                [0, 0, 0, 10, 10, 10, 10, 0, 0, 0],
                [2, 2, 4, 2, 4, 4, 2, 4, 2, 2],
            ]),
        ]
        for polygon in polygons {
            let geometry = try engine.makePolygon(polygon)
            #expect(PlanarMeasures.area(of: polygon) == geometry.area)
        }
        let holed = PlanarMeasures.centroid(of: polygons[1])
        #expect(abs(holed.x - (5 * 100 - 3 * 4) / 96) < 1e-12)
        #expect(PlanarMeasures.area(of: polygons[1]) == 96)
    }

    @Test func polygonInsideOneTileGetsOneTile() throws {
        let matrix = try TileMatrixSet.worldCRS84Quad.matrix(zoom: 13)
        let bounds = try TileMatrixSet.worldCRS84Quad.bounds(of: TileIndex(x: 1419, y: 909, z: 13))
        let polygon = Self.squarePolygon(bounds.left + 0.001, bounds.bottom + 0.001, 0.001)
        var tiles: [TileIndex] = []
        PolygonTileAssigner(matrix: matrix).tiles(for: polygon, boundingBox: polygon.boundingBox, into: &tiles)
        #expect(tiles == [TileIndex(x: 1419, y: 909, z: 13)])
    }

    @Test func polygonCrossingACornerGetsFourTiles() throws {
        let matrix = try TileMatrixSet.worldCRS84Quad.matrix(zoom: 13)
        let bounds = try TileMatrixSet.worldCRS84Quad.bounds(of: TileIndex(x: 1419, y: 909, z: 13))
        let polygon = Self.squarePolygon(bounds.left - 0.001, bounds.bottom - 0.001, 0.002)
        var tiles: [TileIndex] = []
        PolygonTileAssigner(matrix: matrix).tiles(for: polygon, boundingBox: polygon.boundingBox, into: &tiles)
        #expect(
            tiles == [
                TileIndex(x: 1418, y: 909, z: 13), TileIndex(x: 1418, y: 910, z: 13),
                TileIndex(x: 1419, y: 909, z: 13), TileIndex(x: 1419, y: 910, z: 13),
            ])
    }

    @Test func touchingAnEdgeCounts() throws {
        let matrix = try TileMatrixSet.worldCRS84Quad.matrix(zoom: 13)
        let bounds = try TileMatrixSet.worldCRS84Quad.bounds(of: TileIndex(x: 1419, y: 909, z: 13))
        // Shares the west edge of 1419 exactly: intersects (touches) 1418 too.
        let polygon = Self.squarePolygon(bounds.left, bounds.bottom + 0.005, 0.001)
        var tiles: [TileIndex] = []
        PolygonTileAssigner(matrix: matrix).tiles(for: polygon, boundingBox: polygon.boundingBox, into: &tiles)
        #expect(tiles == [TileIndex(x: 1418, y: 909, z: 13), TileIndex(x: 1419, y: 909, z: 13)])
    }

    @Test func diagonalPolygonSkipsTheTileItsBoxCovers() throws {
        let matrix = try TileMatrixSet.worldCRS84Quad.matrix(zoom: 13)
        let b = try TileMatrixSet.worldCRS84Quad.bounds(of: TileIndex(x: 1419, y: 909, z: 13))
        // A thin triangle from the south-west tile to the north-east tile along the diagonal, but bent away from the
        // north-west tile: its box covers four tiles, the polygon only three.
        let polygon = Polygon(rings: [
            [
                b.left - 0.001, b.bottom - 0.0015, b.left + 0.001, b.bottom + 0.001, b.left + 0.001, b.bottom - 0.0005,
                b.left - 0.001, b.bottom - 0.0015,
            ]
        ])
        var tiles: [TileIndex] = []
        PolygonTileAssigner(matrix: matrix).tiles(for: polygon, boundingBox: polygon.boundingBox, into: &tiles)
        #expect(!tiles.contains(TileIndex(x: 1418, y: 909, z: 13)))
        #expect(tiles.contains(TileIndex(x: 1419, y: 909, z: 13)))
        #expect(tiles.count == 3)
    }

    @Test func polygonCoveringATileIntersectsIt() {
        let polygon = Self.squarePolygon(-10, -10, 30)
        let rect = BoundingBox(left: 0, bottom: 0, right: 1, top: 1)
        #expect(PolygonTileAssigner.polygon(polygon, intersects: rect))
        let ring = Polygon(rings: [[-10, -10, 20, -10, 20, 20, -10, 20, -10, -10], [-1, -1, 2, -1, 2, 2, -1, 2, -1, -1]])
        #expect(!PolygonTileAssigner.polygon(ring, intersects: rect))
    }

    @Test func simplificationPreservesTopology() throws {
        let engine = try GeometryEngine()
        let polygon = Polygon(rings: [[0, 0, 5, 0.00001, 10, 0, 10, 10, 0, 10, 0, 0]])
        let simplified = try engine.simplifyPreservingTopology(polygon, tolerance: 0.001).polygons()
        #expect(simplified.first?.pointCount == 5)
    }
}

struct PolygonSimplifierTests {
    /// Deterministic pseudo-random numbers for the differential test.
    struct Random {
        var state: UInt64
        mutating func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }

    static func ring(_ random: inout Random, cx: Double, cy: Double, radius: Double, points: Int, clockwise: Bool) -> [Double] {
        var ring: [Double] = []
        for index in 0..<points {
            let angle = (clockwise ? -1.0 : 1.0) * 2 * Double.pi * Double(index) / Double(points)
            let r = radius * (0.6 + 0.4 * random.next())
            // Snap some points to a coarse grid so that collinear and touching cases occur.
            var x = cx + r * cos(angle)
            var y = cy + r * sin(angle)
            if random.next() < 0.2 {
                x = (x * 4).rounded() / 4
                y = (y * 4).rounded() / 4
            }
            ring.append(x)
            ring.append(y)
        }
        ring.append(ring[0])
        ring.append(ring[1])
        return ring
    }

    @Test func matchesGEOSExactly() throws {
        let engine = try GeometryEngine()
        var random = Random(state: 7)
        var compared = 0
        for trial in 0..<3000 {
            let points = 4 + Int(random.next() * 40)
            var rings = [Self.ring(&random, cx: 0, cy: 0, radius: 10, points: points, clockwise: trial % 2 == 0)]
            if trial % 3 == 0 {
                rings.append(Self.ring(&random, cx: 0.5, cy: 0.5, radius: 3, points: 3 + Int(random.next() * 10), clockwise: trial % 2 == 1))
            }
            let polygon = Polygon(rings: rings)
            let tolerance = [0.0, 0.01, 0.3, 1, 2.5, 6][trial % 6]
            let ours = try #require(PolygonSimplifier(tolerance: tolerance, engine: engine).simplify(polygon))
            let geos = try engine.simplifyPreservingTopology(polygon, tolerance: tolerance).polygons()
            #expect(geos.count == 1)
            if let expected = geos.first {
                #expect(ours == expected, "trial \(trial), tolerance \(tolerance)")
                compared += 1
            }
        }
        #expect(compared == 3000)
    }

    @Test func matchesGEOSOnProjectedCoordinates() throws {
        // Production-like: EPSG:3413 metres (large magnitudes), 3–8 m polygons, tolerance 0.1 m.
        let engine = try GeometryEngine()
        var random = Random(state: 11)
        for trial in 0..<2000 {
            let cx = -2_122_000 + random.next() * 10_000
            let cy = 522_000 + random.next() * 10_000
            let ring = Self.ring(&random, cx: cx, cy: cy, radius: 3 + random.next() * 5, points: 6 + Int(random.next() * 30), clockwise: true)
            let polygon = Polygon(rings: [ring])
            let tolerance = [0.1, 0.5, 1.5][trial % 3]
            let ours = try #require(PolygonSimplifier(tolerance: tolerance, engine: engine).simplify(polygon))
            let geos = try engine.simplifyPreservingTopology(polygon, tolerance: tolerance).polygons()
            #expect(ours == geos.first, "trial \(trial)")
        }
    }

    @Test func largePolygonsAreLeftToGEOS() throws {
        let engine = try GeometryEngine()
        var random = Random(state: 1)
        let polygon = Polygon(rings: [Self.ring(&random, cx: 0, cy: 0, radius: 10, points: 400, clockwise: true)])
        #expect(PolygonSimplifier(tolerance: 1, engine: engine).simplify(polygon) == nil)
    }
}

/// The fast validity check agrees with GEOS: whatever it calls valid, GEOS calls valid.
struct SimpleRingCheckTests {
    static func ring(_ points: [(Double, Double)]) -> Polygon {
        Polygon(rings: [(points + [points[0]]).flatMap { [$0.0, $0.1] }])
    }

    @Test func obviousCases() {
        #expect(SimpleRingCheck.isCertainlyValid(Self.ring([(0, 0), (1, 0), (1, 1), (0, 1)])))
        #expect(!SimpleRingCheck.isCertainlyValid(Self.ring([(0, 0), (1, 1), (1, 0), (0, 1)])))  // bow-tie
        #expect(!SimpleRingCheck.isCertainlyValid(Self.ring([(0, 0), (2, 0), (1, 0), (1, 1)])))  // spike back along an edge
        #expect(!SimpleRingCheck.isCertainlyValid(Self.ring([(0, 0), (1, 0), (2, 0)])))  // no area
        #expect(!SimpleRingCheck.isCertainlyValid(Self.ring([(0, 0), (2, 0), (2, 2), (1, 0), (0, 2)])))  // touches itself at (1, 0)
        // A small ring far from the origin, as IWP polygons in degrees.
        #expect(SimpleRingCheck.isCertainlyValid(Self.ring([(-148.8, 70.0), (-148.7999, 70.0), (-148.7999, 70.00005), (-148.8, 70.00005)])))
    }

    @Test func neverCallsAnInvalidRingValid() throws {
        let engine = try GeometryEngine()
        var generator = SystemRandomNumberGenerator()
        var fast = 0
        var invalid = 0
        for trial in 0..<4000 {
            let count = 3 + trial % 9
            // Random points, sometimes snapped to a coarse grid so that touching and collinear cases occur.
            let coarse = trial % 3 == 0
            let points = (0..<count).map { _ -> (Double, Double) in
                let x = Double.random(in: 0..<1, using: &generator)
                let y = Double.random(in: 0..<1, using: &generator)
                return coarse ? ((x * 4).rounded() / 4 + 10, (y * 4).rounded() / 4 + 60) : (x + 10, y + 60)
            }
            let polygon = Self.ring(points)
            let geos = engine.invalidityReason(try engine.makePolygon(polygon))
            if geos != nil { invalid += 1 }
            if SimpleRingCheck.isCertainlyValid(polygon) {
                fast += 1
                #expect(geos == nil, "fast check called \(points) valid; GEOS: \(geos ?? "")")
            }
        }
        // Both kinds occur, and the fast path takes most valid rings.
        #expect(invalid > 500 && fast > 500, "invalid \(invalid), fast \(fast)")
    }
}
