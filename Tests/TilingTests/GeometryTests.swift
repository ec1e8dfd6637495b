import Testing

@testable import Tiling

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
        #expect(tiles == [
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
        let polygon = Polygon(rings: [[
            b.left - 0.001, b.bottom - 0.0015, b.left + 0.001, b.bottom + 0.001, b.left + 0.001, b.bottom - 0.0005,
            b.left - 0.001, b.bottom - 0.0015,
        ]])
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
