import Testing

@testable import PDGTiling

struct TilePathLayoutTests {
    @Test func defaultStructureDropsTheEmptyStyle() throws {
        let layout = try TilePathLayout(
            structure: ["style", "tms", "z", "x", "y"], tmsIdentifier: "WorldCRS84Quad",
            baseDirectory: "staged", fileExtension: ".gpkg")
        let tile = TileIndex(x: 1418, y: 908, z: 13)
        #expect(layout.path(for: tile) == "staged/WorldCRS84Quad/13/1418/908.gpkg")
        #expect(layout.path(for: tile, style: "iwp_coverage") == "staged/iwp_coverage/WorldCRS84Quad/13/1418/908.gpkg")
    }

    @Test func pathsParseBack() throws {
        let layout = try TilePathLayout(
            structure: ["tms", "style", "z", "y", "x"], tmsIdentifier: "WGS1984Quad",
            baseDirectory: "/data/web", fileExtension: ".png")
        let tile = TileIndex(x: 12, y: 7, z: 5)
        let path = layout.path(for: tile, style: "coverage")
        #expect(path == "/data/web/WGS1984Quad/coverage/5/7/12.png")
        let parsed = try layout.tile(fromPath: path)
        #expect(parsed.tile == tile)
        #expect(parsed.style == "coverage")
        #expect(parsed.tms == "WGS1984Quad")
        let noStyle = try layout.tile(fromPath: layout.path(for: tile))
        #expect(noStyle.tile == tile)
        #expect(noStyle.tms == "WGS1984Quad")
    }

    @Test(arguments: [
        ["style", "tms", "z", "x"], ["style", "z", "tms", "x", "y"], ["style", "tms", "z", "x", "x"],
        ["style", "tms", "z", "x", "q"],
    ])
    func invalidStructuresAreRejected(structure: [String]) {
        #expect(throws: TilingError.self) { try TilePathLayout(structure: structure, tmsIdentifier: "T") }
    }

    @Test func malformedPathsAreRejected() throws {
        let layout = try TilePathLayout(
            structure: ["style", "tms", "z", "x", "y"], tmsIdentifier: "T", fileExtension: ".gpkg")
        #expect(throws: TilingError.self) { try layout.tile(fromPath: "T/13/a/908.gpkg") }
        #expect(throws: TilingError.self) { try layout.tile(fromPath: "T/13/1/908.tif") }
        #expect(throws: TilingError.self) { try layout.tile(fromPath: "908.gpkg") }
    }
}
