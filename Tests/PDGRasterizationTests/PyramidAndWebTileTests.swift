import Foundation
import PDGRasterization
import PDGTiling
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif
@Suite("Parents and web tiles")
struct PyramidAndWebTileTests {
    /// A config with one count statistic (sum) and one coverage statistic (average) on 2 × 2 tiles.
    static func config(directory: String) throws -> WorkflowConfiguration {
        let json = """
            {"tms_id": "WorldCRS84Quad", "z_range": [0, 1], "tile_size": [2, 2], "dir_geotiff": "\(directory)/geotiff",
             "dir_web_tiles": "\(directory)/web", "statistics": [
              {"name": "count", "weight_by": "count", "property": "centroids_per_pixel", "aggregation_method": "sum",
               "resampling_method": "sum", "val_range": [0, null], "palette": ["black", "white"]},
              {"name": "coverage", "weight_by": "area", "property": "area_per_pixel_area", "aggregation_method": "sum",
               "resampling_method": "average", "val_range": [0, 1], "nodata_val": 0, "palette": ["black", "white"]}]}
            """
        return try WorkflowConfiguration(json: JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)))
    }

    @Test("Spec §8 worked example: 3,0,1,2 → 6 (sum); 1.0,0.5,0,0 → 0.375 (average); missing children are zeros")
    func parentAggregation() throws {
        let directory = try RasterTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try Self.config(directory: directory)
        let child = TileIndex(x: 0, y: 0, z: 1)
        let raster = RasterTile(
            tile: child, grid: try RasterPipeline.grid(config, child), bands: [[3, 0, 1, 2], [1.0, 0.5, 0, 0]],
            descriptions: ["count", "coverage"], dataType: .float64
        )
        try GeoTIFFFile.write(raster, to: try RasterPipeline.geotiffLayout(config).path(for: child), crs: "OGC:CRS84")
        let summary = try RasterPipeline.makeParent(config: config, tile: TileIndex(x: 0, y: 0, z: 0))
        let parent = try GeoTIFFFile.read(path: summary.geotiffPath, tile: summary.tile)
        #expect(parent.bands[0] == [6, 0, 0, 0])
        #expect(parent.bands[1] == [0.375, 0, 0, 0])
        #expect(parent.descriptions == ["count", "coverage"])
        #expect(throws: RasterizationError.self) { try RasterPipeline.makeParent(config: config, tile: TileIndex(x: 1, y: 0, z: 0)) }
    }

    @Test("Web tiles render when min == max and on NaN (pdgraster fails), with nodata transparent")
    func degenerateRanges() throws {
        let directory = try RasterTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try Self.config(directory: directory)
        let tile = TileIndex(x: 1, y: 0, z: 1)
        let raster = RasterTile(
            tile: tile, grid: try RasterPipeline.grid(config, tile), bands: [[0, 0, 0, 0], [.nan, 0, 0.5, 2]],
            descriptions: ["count", "coverage"], dataType: .float64
        )
        try GeoTIFFFile.write(raster, to: try RasterPipeline.geotiffLayout(config).path(for: tile), crs: "OGC:CRS84")
        let summary = try RasterPipeline.renderWebTile(config: config, tile: tile, ranges: nil)
        #expect(summary.webTilePaths.count == 2)
        let count = try RasterTestSupport.readPNG(summary.webTilePaths[0])
        #expect(count.rgba == [UInt8](repeating: 0, count: 16).enumerated().map { $0.offset % 4 == 3 ? 255 : 0 })
        let coverage = try RasterTestSupport.readPNG(summary.webTilePaths[1])
        #expect(Array(coverage.rgba[0..<4]) == [255, 255, 255, 0])  // NaN → nodata colour
        #expect(Array(coverage.rgba[4..<8]) == [255, 255, 255, 0])  // 0 == nodata_val
        #expect(Array(coverage.rgba[12..<16]) == [253, 253, 253, 255])  // clamped to max → index 255
    }

    @Test("Ranges with null ends come from the whole zoom level (the §9 per-tile normalisation bug fixed)")
    func perZoomRanges() throws {
        let config = try Self.config(directory: "/tmp")
        func summary(_ x: Int, max: Double) -> RasterTileSummary {
            RasterTileSummary(
                step: .highestZoom, tile: TileIndex(x: x, y: 0, z: 1), geotiffPath: "", webTilePaths: [],
                bounds: BoundingBox(left: 0, bottom: 0, right: 1, top: 1),
                bands: [BandSummary(stat: "count", values: [0, max]), BandSummary(stat: "coverage", values: [0, 3])],
                rowsRead: 0, rowsDroppedAsDuplicates: 0, startTime: 0, endTime: 0, cpuSeconds: 0
            )
        }
        let ranges = RasterPipeline.computeRanges(config: config, zoom: 1, summaries: [summary(0, max: 4), summary(1, max: 9)])
        #expect(ranges.ranges["count"] == ValueRange(min: 0, max: 9))
        #expect(ranges.ranges["coverage"] == ValueRange(min: 0, max: 1))
    }

    @Test(
        "WMTS capabilities carry each tile matrix set's real matrix sizes",
        arguments: [
            ("WorldCRS84Quad", 2, 1), ("WebMercatorQuad", 1, 1),
        ])
    func capabilities(tms: String, width: Int, height: Int) throws {
        var config = try Self.config(directory: "/tmp")
        config.tmsID = tms
        let xml = try WMTSCapabilities().document(for: config)
        #expect(xml.contains("<MatrixWidth>\(width)</MatrixWidth>\n        <MatrixHeight>\(height)</MatrixHeight>"))
        #expect(xml.contains("<ows:Identifier>count</ows:Identifier>"))
        #expect(xml.contains("template=\"https://example.org/tiles/10.18739/XXXX/web_tiles/coverage/{TileMatrixSet}/{TileMatrix}/{TileCol}/{TileRow}.png\""))
        let parser = XMLParser(data: Data(xml.utf8))
        #expect(parser.parse())
    }
}
