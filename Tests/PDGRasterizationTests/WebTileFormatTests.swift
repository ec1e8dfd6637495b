import CVizGDAL
import Foundation
import PDGRasterization
import PDGTiling
import Testing

/// Web tiles are written in the format their extension names, checked by the file's magic bytes and by GDAL's
/// driver decoding it; other extensions are refused when the config is read.
@Suite("Web tile formats")
struct WebTileFormatTests {
    /// `(ext_web_tiles, GDAL driver, leading magic bytes)`.
    static let formats: [(ext: String, driver: String, magic: [UInt8])] = [
        (".png", "PNG", [0x89, 0x50, 0x4E, 0x47]), (".jpg", "JPEG", [0xFF, 0xD8, 0xFF]), (".jpeg", "JPEG", [0xFF, 0xD8, 0xFF]),
        (".webp", "WEBP", Array("RIFF".utf8)),
    ]

    @Test("Each extension gets its own format, decodable by GDAL at the tile size", arguments: formats)
    func writtenAsTheExtensionSays(ext: String, driver: String, magic: [UInt8]) throws {
        let directory = try RasterTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var config = try PyramidAndWebTileTests.config(directory: directory)
        config.extWebTiles = ext
        let tile = TileIndex(x: 1, y: 0, z: 1)
        let raster = RasterTile(
            tile: tile, grid: try RasterPipeline.grid(config, tile), bands: [[0, 1, 2, 3], [0, 0.25, 0.5, 1]], descriptions: ["count", "coverage"],
            dataType: .float64
        )
        try GeoTIFFFile.write(raster, to: try RasterPipeline.geotiffLayout(config).path(for: tile), crs: "OGC:CRS84")
        let summary = try RasterPipeline.renderWebTile(config: config, tile: tile, ranges: nil)
        #expect(summary.webTilePaths.count == 2)
        for path in summary.webTilePaths {
            #expect(path.hasSuffix(ext))
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(Array(bytes.prefix(magic.count)) == magic, "\(path) starts with \(bytes.prefix(4))")
            GDALAllRegister()
            let dataset = try #require(GDALOpenEx(path, UInt32(GDAL_OF_RASTER | GDAL_OF_READONLY), nil, nil, nil))
            defer { GDALClose(dataset) }
            #expect(String(cString: GDALGetDriverShortName(GDALGetDatasetDriver(dataset))) == driver)
            #expect(GDALGetRasterXSize(dataset) == 2 && GDALGetRasterYSize(dataset) == 2)
        }
        // WebP is lossless: its pixels are exactly the PNG's.
        if ext == ".webp" {
            var png = config
            png.extWebTiles = ".png"
            png.dirWebTiles = directory + "/png"
            let reference = try RasterPipeline.renderWebTile(config: png, tile: tile, ranges: nil)
            for (webp, png) in zip(summary.webTilePaths, reference.webTilePaths) {
                #expect(try RasterTestSupport.readPNG(webp).rgba == RasterTestSupport.readPNG(png).rgba)
            }
        }
    }

    @Test("An extension no encoder writes is refused when the config is read")
    func otherExtensionsAreRefused() {
        for ext in [".gif", ".tif", "png"] {
            let json = #"{"ext_web_tiles": "\#(ext)"}"#
            #expect(throws: TilingError.self) { try WorkflowConfiguration(json: JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))) }
        }
        #expect(throws: RasterizationError.self) { try WebTileFormat(extension: ".gif") }
    }
}
