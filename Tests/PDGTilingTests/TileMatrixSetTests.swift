import Foundation
import Testing

@testable import PDGTiling

struct TileMatrixSetTests {
    let tms = TileMatrixSet.worldCRS84Quad

    @Test(arguments: [
        (0, 0.7031249999999977), (1, 0.35156249999999883), (2, 0.17578124999999997), (3, 0.08789062499999983),
        (10, 0.0006866455078124991), (13, 8.583068847656213e-05), (16, 1.072883605957029e-05),
    ])
    func resolutionsMatchMorecantile(zoom: Int, resolution: Double) throws {
        #expect(try tms.matrix(zoom: zoom).resolution == resolution)
    }

    @Test func tileSpansCarryTheSpecNoise() throws {
        #expect(try tms.matrix(zoom: 0).tileSpanX == 179.9999999999994)
        #expect(try tms.matrix(zoom: 1).tileSpanX == 89.9999999999997)
        #expect(try tms.matrix(zoom: 13).tileSpanX == 0.021972656249999906)
    }

    @Test func tileBoundsMatchPythonToTheLastDigit() throws {
        let bounds = try tms.bounds(of: TileIndex(x: 1419, y: 909, z: 13))
        #expect(bounds.left == -148.82080078125014)
        #expect(bounds.bottom == 70.00488281250009)
        #expect(bounds.right == -148.79882812500014)
        #expect(bounds.top == 70.02685546875009)
        // The other tiles of the golden staging summary.
        let other = try tms.bounds(of: TileIndex(x: 1418, y: 908, z: 13))
        #expect(other.top == 70.04882812500009)
        #expect(other.left == -148.84277343750014)
    }

    @Test func worldBoundsCarryTheSpecNoise() throws {
        let world = try tms.worldBounds(zoom: 0)
        #expect(world.left == -180)
        #expect(world.bottom == -89.9999999999994)
        #expect(world.right == 179.9999999999988)
        #expect(world.top == 90)
    }

    @Test(arguments: [
        (-148.82, 70.02, 1419, 909), (-149.0, 70.0, 1410, 910), (0.0, 0.0, 8192, 4096),
    ])
    func pointToTileAtZoom13(lon: Double, lat: Double, x: Int, y: Int) throws {
        #expect(try tms.tile(containingX: lon, y: lat, zoom: 13) == TileIndex(x: x, y: y, z: 13))
    }

    @Test func projectedPointLandsInTheSpecTile() throws {
        let source = try SpatialReference(definition: "EPSG:3413")
        let target = try SpatialReference(definition: "OGC:CRS84")
        let transformation = try CoordinateTransformation(from: source, to: target, description: "test")
        var point = [-2122000.0, 522000.0]
        var scratchX: [Double] = []
        var scratchY: [Double] = []
        try transformation.transform(interleaved: &point, scratchX: &scratchX, scratchY: &scratchY)
        #expect(abs(point[0] - -148.820034) < 1e-6)
        #expect(abs(point[1] - 70.023899) < 1e-6)
        #expect(try tms.tile(containingX: point[0], y: point[1], zoom: 13) == TileIndex(x: 1419, y: 909, z: 13))
    }

    @Test func pointsOutsideClampToTheLastTile() throws {
        #expect(try tms.tile(containingX: 500, y: -500, zoom: 1) == TileIndex(x: 3, y: 1, z: 1))
        #expect(try tms.tile(containingX: -500, y: 500, zoom: 1) == TileIndex(x: 0, y: 0, z: 1))
    }

    @Test func stagingTieRuleGivesWesternAndSouthernTiles() throws {
        let matrix = try tms.matrix(zoom: 13)
        let bounds = try tms.bounds(of: TileIndex(x: 1419, y: 909, z: 13))
        let middleY = (bounds.top + bounds.bottom) / 2
        let middleX = (bounds.left + bounds.right) / 2
        // On the west edge of 1419 → 1418 (western); on the east edge → 1419.
        #expect(TileMatrixSet.stagingTile(containingX: bounds.left, y: middleY, in: matrix).x == 1418)
        #expect(TileMatrixSet.stagingTile(containingX: bounds.right, y: middleY, in: matrix).x == 1419)
        // On the bottom edge of row 909 → row 910 (southern); on the top edge → 909.
        #expect(TileMatrixSet.stagingTile(containingX: middleX, y: bounds.bottom, in: matrix).y == 910)
        #expect(TileMatrixSet.stagingTile(containingX: middleX, y: bounds.top, in: matrix).y == 909)
        #expect(TileMatrixSet.stagingTile(containingX: middleX, y: middleY, in: matrix) == TileIndex(x: 1419, y: 909, z: 13))
    }

    @Test func parentAndChildren() {
        let tile = TileIndex(x: 1419, y: 909, z: 13)
        #expect(tile.parent == TileIndex(x: 709, y: 454, z: 12))
        #expect(
            tile.children == [
                TileIndex(x: 2838, y: 1818, z: 14), TileIndex(x: 2838, y: 1819, z: 14),
                TileIndex(x: 2839, y: 1818, z: 14), TileIndex(x: 2839, y: 1819, z: 14),
            ])
        #expect(tile.children.allSatisfy { $0.parent == tile })
    }

    @Test func pdgTileTextRoundTrips() {
        let tile = TileIndex(x: 1419, y: 909, z: 13)
        #expect(tile.pdgDescription == "Tile(x=1419, y=909, z=13)")
        #expect(TileIndex(pdgDescription: "Tile(x=1419, y=909, z=13)") == tile)
        #expect(TileIndex(pdgDescription: "Tile(1419, 909)") == nil)
    }

    @Test func wgs1984QuadHasTheSameNumbers() throws {
        let wgs = try TileMatrixSet.wellKnown("WGS1984Quad")
        #expect(wgs.matrices == tms.matrices)
        #expect(wgs.crs == "EPSG:4326")
    }

    @Test func webMercatorQuadBounds() throws {
        let mercator = try TileMatrixSet.wellKnown("WebMercatorQuad")
        let bounds = try mercator.bounds(of: TileIndex(x: 0, y: 0, z: 0))
        #expect(abs(bounds.left - -20037508.342789244) < 1e-6)
        #expect(abs(bounds.top - 20037508.342789244) < 1e-6)
        #expect(abs(bounds.right - 20037508.342789244) < 1e-3)
        #expect(try mercator.tile(containingX: 1, y: 1, zoom: 1) == TileIndex(x: 1, y: 0, z: 1))
        #expect(mercator.matrices.count == 25)
    }

    @Test func unknownIdentifierNamesTheKey() {
        #expect(throws: TilingError.self) { try TileMatrixSet.wellKnown("GoogleMapsCompatible") }
    }

    @Test func customPolarSetLoadsFromOGCJSON() throws {
        let json = """
            {"type": "TileMatrixSetType", "identifier": "UPSArcticWGS84Quad",
             "supportedCRS": "urn:ogc:def:crs:EPSG::5041",
             "tileMatrix": [
               {"identifier": "0", "scaleDenominator": 458726544.4, "topLeftCorner": [-14440759.350252, 18440759.350252],
                "tileWidth": 256, "tileHeight": 256, "matrixWidth": 1, "matrixHeight": 1},
               {"identifier": "1", "scaleDenominator": 229363272.2, "topLeftCorner": [-14440759.350252, 18440759.350252],
                "tileWidth": 256, "tileHeight": 256, "matrixWidth": 2, "matrixHeight": 2}]}
            """
        let ups = try TileMatrixSet(ogcJSON: Data(json.utf8))
        #expect(ups.identifier == "UPSArcticWGS84Quad")
        #expect(ups.crs == "EPSG:5041")
        let matrix = try ups.matrix(zoom: 1)
        // EPSG:5041's authority order is easting, northing: no swap.
        #expect(matrix.originX == -14440759.350252)
        #expect(matrix.originY == 18440759.350252)
        #expect(matrix.resolution == 229363272.2 * 0.28e-3 / 1)
        // The north pole is at (2000000, 2000000), the corner shared by the four tiles of zoom 1.
        #expect(try ups.tile(containingX: 3_000_000, y: 1_000_000, zoom: 1) == TileIndex(x: 1, y: 1, z: 1))
        #expect(try ups.tile(containingX: 1_000_000, y: 3_000_000, zoom: 1) == TileIndex(x: 0, y: 0, z: 1))
    }

    @Test func latLonSetSwapsTheCornerIntoXY() throws {
        let json = """
            {"identifier": "MyQuad", "supportedCRS": "urn:ogc:def:crs:EPSG::4326",
             "tileMatrix": [{"identifier": "0", "scaleDenominator": 279541132.014358, "topLeftCorner": [90, -180],
               "tileWidth": 256, "tileHeight": 256, "matrixWidth": 2, "matrixHeight": 1}]}
            """
        let set = try TileMatrixSet(ogcJSON: Data(json.utf8))
        #expect(set.matrices[0] == TileMatrixSet.worldCRS84Quad.matrices[0])
    }
}
