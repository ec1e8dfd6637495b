import Foundation
import PDGRasterization
import PDGTiling
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// pdgworkflow 1.1.0's `overwrite`, and the WMTS document's title, DOI, extent and path template.
@Suite("Overwrite and WMTS settings")
struct OverwriteAndCapabilitiesTests {
    /// Sets a file's modification time `seconds` into the past.
    static func age(_ path: String, by seconds: Int) {
        var times = [timespec(tv_sec: time(nil) - seconds, tv_nsec: 0), timespec(tv_sec: time(nil) - seconds, tv_nsec: 0)]
        _ = utimensat(AT_FDCWD, path, &times, 0)
    }

    @Test("overwrite false keeps valid, up-to-date GeoTIFFs and web tiles; rebuilds broken or out-of-date ones; overwrite true rebuilds")
    func overwriteKeepsValidOutputs() throws {
        let directory = try RasterTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var config = try PyramidAndWebTileTests.config(directory: directory)
        #expect(config.overwrite == false)
        let child = TileIndex(x: 0, y: 0, z: 1)
        let parent = TileIndex(x: 0, y: 0, z: 0)
        let childPath = try RasterPipeline.geotiffLayout(config).path(for: child)
        func writeChild(_ count: Double) throws {
            let raster = RasterTile(
                tile: child, grid: try RasterPipeline.grid(config, child), bands: [[count, 0, 0, 0], [1, 1, 1, 1]],
                descriptions: ["count", "coverage"], dataType: .float64)
            try GeoTIFFFile.write(raster, to: childPath, crs: "OGC:CRS84")
        }
        try writeChild(4)
        Self.age(childPath, by: 100)
        let first = try RasterPipeline.makeParent(config: config, tile: parent)
        #expect(first.bands[0].max == 4)
        // Kept: the parent is valid and newer than its child, whose content changed behind the pipeline's back.
        try writeChild(8)
        Self.age(childPath, by: 50)
        #expect(try RasterPipeline.makeParent(config: config, tile: parent).bands[0].max == 4)
        // A child newer than the parent (a re-run changed it): rebuilt.
        try writeChild(16)
        #expect(try RasterPipeline.makeParent(config: config, tile: parent).bands[0].max == 16)
        // A torn file is not valid: rebuilt.
        Self.age(childPath, by: 50)
        try Data("not a tiff".utf8).write(to: URL(fileURLWithPath: first.geotiffPath))
        #expect(try RasterPipeline.makeParent(config: config, tile: parent).bands[0].max == 16)
        try writeChild(32)
        Self.age(childPath, by: 50)
        config.overwrite = true
        #expect(try RasterPipeline.makeParent(config: config, tile: parent).bands[0].max == 32)

        // Web tiles with fixed ranges: a kept tile's bytes are not rewritten; a truncated one is.
        config.overwrite = false
        config.statistics[0].valueRange = [0, 64]
        Self.age(first.geotiffPath, by: 50)
        let rendered = try RasterPipeline.renderWebTile(config: config, tile: parent, ranges: nil)
        let path = rendered.webTilePaths[0]
        let before = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        usleep(20_000)
        _ = try RasterPipeline.renderWebTile(config: config, tile: parent, ranges: nil)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == before)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(20).write(to: URL(fileURLWithPath: path))
        _ = try RasterPipeline.renderWebTile(config: config, tile: parent, ranges: nil)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        // A valid, up-to-date PNG with other content (the tile drawn with another fixed range, [0, 1000]) stands
        // in for it: with fixed ranges it is kept, as the pipeline cannot tell...
        var other = config
        other.overwrite = true
        other.statistics[0].valueRange = [0, 1000]
        _ = try RasterPipeline.renderWebTile(config: other, tile: parent, ranges: nil)
        let stranger = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(stranger != bytes)
        _ = try RasterPipeline.renderWebTile(config: config, tile: parent, ranges: nil)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == stranger)
        // ...but a range left to the data may move with other tiles: such web tiles are always drawn again.
        config.statistics[0].valueRange = [0, nil]
        _ = try RasterPipeline.renderWebTile(config: config, tile: parent, ranges: nil)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) != stranger)
    }

    @Test("WMTS: the config's title and DOI, the data's extent in longitude/latitude, tile_path_structure in the template")
    func capabilitiesFollowTheConfig() throws {
        let json = """
            {"tms_id": "WebMercatorQuad", "z_range": [0, 2], "title": "Ice & wedges", "doi": "10.18739/A2KW57K57",
             "dir_web_tiles": "/tmp/x/tiles", "tile_path_structure": ["tms", "style", "z", "y", "x"],
             "statistics": [{"name": "count", "weight_by": "count", "property": "centroids_per_pixel", "aggregation_method": "sum",
               "resampling_method": "sum", "palette": ["black", "white"]}]}
            """
        let config = try WorkflowConfiguration(json: JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)))
        let tms = try config.tileMatrixSet()
        // Two tiles of zoom 2 (north-west quarter of the world) and a parent, which is ignored for the extent.
        let summaries = [TileIndex(x: 0, y: 0, z: 2), TileIndex(x: 1, y: 1, z: 2), TileIndex(x: 0, y: 0, z: 1)].map { tile in
            RasterTileSummary(
                step: .highestZoom, tile: tile, geotiffPath: "", webTilePaths: [], bounds: try! tms.bounds(of: tile), bands: [], rowsRead: 0,
                rowsDroppedAsDuplicates: 0, startTime: 0, endTime: 0, cpuSeconds: 0)
        }
        var settings = WMTSCapabilities.Configuration(for: config)
        settings.baseURL = "https://arcticdata.io/data/tiles"
        settings.boundingBox = try WMTSCapabilities.dataBoundingBox(of: summaries, tileMatrixSet: tms)
        let box = try #require(settings.boundingBox)
        #expect(abs(box.left + 180) < 1e-9 && abs(box.right) < 1e-9)
        #expect(abs(box.bottom) < 1e-9 && abs(box.top - 85.0511287798066) < 1e-9)
        let xml = try WMTSCapabilities(configuration: settings).document(for: config)
        #expect(xml.contains("<ows:Title>Ice &amp; wedges</ows:Title>"))
        #expect(
            xml.contains(
                "template=\"https://arcticdata.io/data/tiles/10.18739/A2KW57K57/tiles/{TileMatrixSet}/count/{TileMatrix}/{TileRow}/{TileCol}.png\""))
        #expect(!xml.contains("10.18739/XXXX"))
        #expect(XMLParser(data: Data(xml.utf8)).parse())
        // Without data, the layer's box is the set's extent in degrees, not in metres.
        let world = try WMTSCapabilities().document(for: config)
        let layerBox = try #require(world.components(separatedBy: "<ows:WGS84BoundingBox").dropFirst().first?.components(separatedBy: "</ows:WGS84").first)
        #expect(layerBox.contains("<ows:UpperCorner>180.0 85.0511287798"), "\(layerBox)")
    }
}
