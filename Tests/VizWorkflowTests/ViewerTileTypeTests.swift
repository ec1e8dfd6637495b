import Foundation
import Testing

@testable import PDGTileViewer

/// The viewer serves each web tile with the media type of its real format, whatever `ext_web_tiles` is.
struct ViewerTileTypeTests {
    @Test(arguments: [("png", "image/png"), ("jpg", "image/jpeg"), ("webp", "image/webp")])
    func tilesKeepTheirMediaType(ext: String, type: String) throws {
        let dir = NSTemporaryDirectory() + "viewer-type-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = "\(dir)/tile.\(ext)"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: file))
        let map = TileViewerServer.Map(
            tileMatrixSet: "WorldCRS84Quad", tileSize: 256,
            matrices: [.init(zoom: 0, originX: -180, originY: 90, tileSpanX: 180, tileSpanY: 180, matrixWidth: 2, matrixHeight: 1)],
            dataBounds: [-180, -90, 180, 90], layers: [.init(name: "count", legend: [], minimum: nil, maximum: nil)])
        let server = TileViewerServer(map: map) { _, _, _, _ in file }
        let (_, served, body) = server.respond(to: "/tiles/count/0/0/0.png")
        #expect(served == type)
        #expect(body == [1, 2, 3])
    }
}
