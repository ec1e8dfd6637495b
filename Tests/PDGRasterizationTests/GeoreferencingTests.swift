import CVizGDAL
import Foundation
import PDGRasterization
import PDGTiling
import Testing

/// GeoTIFFs are georeferenced in their tile matrix set's CRS, checked by GDAL reading the files back, and the WMTS
/// document's matrices start where the GeoTIFFs do.
@Suite("Georeferencing follows the tile matrix set")
struct GeoreferencingTests {
    /// A custom polar set in the OGC TMS 2.0 form (EPSG:3413, 32 768 m pixels at zoom 0), as PDG's custom-TMS guide.
    static let polar3413JSON = """
        {"id": "Polar3413Quad", "crs": {"uri": "http://www.opengis.net/def/crs/EPSG/0/3413"},
         "tileMatrices": [
           {"id": "0", "scaleDenominator": 117028571.42857143, "cellSize": 32768, "pointOfOrigin": [-4194304, 4194304],
            "cornerOfOrigin": "topLeft", "tileWidth": 256, "tileHeight": 256, "matrixWidth": 1, "matrixHeight": 1},
           {"id": "1", "scaleDenominator": 58514285.714285715, "cellSize": 16384, "pointOfOrigin": [-4194304, 4194304],
            "cornerOfOrigin": "topLeft", "tileWidth": 256, "tileHeight": 256, "matrixWidth": 2, "matrixHeight": 2}]}
        """

    /// UPS North (EPSG:5041) in the OGC 17-083r2 form morecantile ships.
    static let upsJSON = """
        {"identifier": "UPSArcticWGS84Quad", "supportedCRS": "urn:ogc:def:crs:EPSG::5041",
         "tileMatrix": [
           {"identifier": "0", "scaleDenominator": 458726544.4, "topLeftCorner": [-14440759.350252, 18440759.350252],
            "tileWidth": 256, "tileHeight": 256, "matrixWidth": 1, "matrixHeight": 1},
           {"identifier": "1", "scaleDenominator": 229363272.2, "topLeftCorner": [-14440759.350252, 18440759.350252],
            "tileWidth": 256, "tileHeight": 256, "matrixWidth": 2, "matrixHeight": 2}]}
        """

    /// `tms_id` → the EPSG code GDAL must read back from the GeoTIFF.
    static let cases: [(tms: String, epsg: Int)] = [
        ("WGS1984Quad", 4326), ("WorldCRS84Quad", 4326), ("WebMercatorQuad", 3857), ("polar3413.json", 3413), ("ups.json", 5041),
    ]

    static func config(tms: String, directory: String) throws -> WorkflowConfiguration {
        try (polar3413JSON.data(using: .utf8)!).write(to: URL(fileURLWithPath: directory + "/polar3413.json"))
        try (upsJSON.data(using: .utf8)!).write(to: URL(fileURLWithPath: directory + "/ups.json"))
        let json = """
            {"tms_id": "\(tms)", "z_range": [0, 1], "tile_size": [4, 4], "dir_geotiff": "geotiff", "dir_web_tiles": "web",
             "statistics": [{"name": "count", "weight_by": "count", "property": "centroids_per_pixel", "aggregation_method": "sum",
               "resampling_method": "sum", "val_range": [0, null], "palette": ["black", "white"]}]}
            """
        return try WorkflowConfiguration(json: JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))).resolvingPaths(against: directory)
    }

    /// What GDAL itself reads from a GeoTIFF: its CRS's EPSG code (via `OSRAutoIdentifyEPSG`) and geotransform.
    static func gdalReads(_ path: String) throws -> (epsg: Int?, transform: [Double]) {
        GDALAllRegister()
        let dataset = try #require(GDALOpenEx(path, UInt32(GDAL_OF_RASTER | GDAL_OF_READONLY), nil, nil, nil), "GDAL cannot open \(path)")
        defer { GDALClose(dataset) }
        var transform = [Double](repeating: 0, count: 6)
        #expect(GDALGetGeoTransform(dataset, &transform) == CE_None)
        let wkt = try #require(GDALGetProjectionRef(dataset).map { String(cString: $0) })
        let reference = OSRNewSpatialReference(wkt)
        defer { OSRDestroySpatialReference(reference) }
        _ = OSRAutoIdentifyEPSG(reference)  // fills in the code when the WKT lacks an ID
        guard let code = OSRGetAuthorityCode(reference, nil) else { return (nil, transform) }
        return (Int(String(cString: code)), transform)
    }

    @Test("Every GeoTIFF carries its set's CRS and the tile's exact bounds in it", arguments: cases)
    func geotiffCRSAndBounds(tms: String, epsg: Int) throws {
        let directory = try RasterTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try Self.config(tms: tms, directory: directory)
        let set = try config.tileMatrixSet()
        let child = TileIndex(x: 0, y: 0, z: 1)
        let raster = RasterTile(
            tile: child, grid: try RasterPipeline.grid(config, child), bands: [[Double](repeating: 1, count: 16)], descriptions: ["count"],
            dataType: .float64
        )
        try GeoTIFFFile.write(raster, to: try RasterPipeline.geotiffLayout(config).path(for: child), crs: set.crs)
        // The parent goes through the pipeline, which picks the CRS from the config.
        let parent = try RasterPipeline.makeParent(config: config, tile: TileIndex(x: 0, y: 0, z: 0))
        for (tile, path) in [(child, try RasterPipeline.geotiffLayout(config).path(for: child)), (parent.tile, parent.geotiffPath)] {
            let read = try Self.gdalReads(path)
            #expect(read.epsg == epsg, "\(tms) \(tile): GDAL reads EPSG:\(read.epsg.map(String.init) ?? "none")")
            let bounds = try set.bounds(of: tile)
            #expect(read.transform == [bounds.left, (bounds.right - bounds.left) / 4, 0, bounds.top, 0, -(bounds.top - bounds.bottom) / 4])
        }
    }

    @Test("The WMTS TopLeftCorner of each matrix is the GeoTIFF origin of its tile (0, 0), in the CRS's axis order", arguments: cases)
    func wmtsMatricesAgree(tms: String, epsg: Int) throws {
        let directory = try RasterTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try Self.config(tms: tms, directory: directory)
        let set = try config.tileMatrixSet()
        let xml = try WMTSCapabilities().document(for: config)
        #expect(xml.contains("<ows:SupportedCRS>http://www.opengis.net/def/crs/\(tms == "WorldCRS84Quad" ? "OGC/1.3/CRS84" : "EPSG/0/\(epsg)")"))
        let corners = xml.components(separatedBy: "<TopLeftCorner>").dropFirst().map { $0.components(separatedBy: "</TopLeftCorner>")[0] }
        #expect(corners.count == 2)
        for zoom in 0..<corners.count {
            let numbers = corners[zoom].split(separator: " ").compactMap { Double($0) }
            let bounds = try set.bounds(of: TileIndex(x: 0, y: 0, z: zoom))
            // EPSG:4326 (WGS1984Quad) is latitude first; CRS84 and the projected sets easting first.
            let expected = tms == "WGS1984Quad" ? [bounds.top, bounds.left] : [bounds.left, bounds.top]
            #expect(numbers == expected, "\(tms) zoom \(zoom): \(corners[zoom])")
        }
    }
}
