import Foundation
import PDGTiling

/// A WMTS 1.0.0 GetCapabilities document for the web-tile layers (one layer per statistic), modelled on pdgraster's
/// `WMTSCapabilitiesGenerator` but with MatrixWidth / MatrixHeight taken from the tile matrix set (pdgraster hard
/// codes 2^(z+1) × 2^z, right only for the geographic quads) and one layer per statistic.
public struct WMTSCapabilities: Sendable, Hashable, Codable {
    /// Service settings.
    public struct Configuration: Sendable, Hashable, Codable {
        /// Service title.
        public var title = "PDG web tiles"
        /// Base URL, e.g. `https://example.org/tiles`.
        public var baseURL = "https://example.org/tiles"
        /// Dataset DOI (path component after the base URL).
        public var doi = "10.18739/XXXX"
        /// Path from the DOI folder to the web-tile root (the stat directories live inside it).
        public var urlPostfix = "web_tiles"
        /// Layer bounding box `[left, bottom, right, top]` (WGS84); nil = the tile matrix set's.
        public var boundingBox: BoundingBox?

        /// The defaults.
        public init() {}

        /// The settings a PDG config gives: its `title` and `doi` (pdgworkflow 1.1.0 keys; placeholders when
        /// absent) and the web-tile folder's name as the URL postfix. The base URL and bounding box are the
        /// caller's.
        public init(for workflow: WorkflowConfiguration) {
            if let title = workflow.title { self.title = title }
            if let doi = workflow.doi { self.doi = doi }
            urlPostfix = (workflow.dirWebTiles as NSString).lastPathComponent
        }
    }

    /// The settings.
    public var configuration: Configuration

    /// The longitude/latitude box of the data: the union of the tiles of the highest zoom among `summaries` (the
    /// finest cover of the data), transformed from the set's CRS; nil when there are none.
    public static func dataBoundingBox(
        of summaries: [RasterTileSummary], tileMatrixSet: TileMatrixSet
    ) throws(RasterizationError) -> BoundingBox? {
        guard let zoom = summaries.map(\.tile.z).max() else { return nil }
        var box = BoundingBox.empty
        for summary in summaries where summary.tile.z == zoom { box.extend(summary.bounds) }
        guard !box.isEmpty else { return nil }
        return try RasterPipeline.wrap { () throws(TilingError) in try tileMatrixSet.geographicBounds(of: box) }
    }

    /// Creates a generator.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The XML for a config's statistics, zoom levels 0…max_z.
    public func document(for config: WorkflowConfiguration) throws(RasterizationError) -> String {
        let tms = try RasterPipeline.wrap { () throws(TilingError) in try config.tileMatrixSet() }
        let maxZoom = min(config.maxZoom, tms.matrices.count - 1)
        let world = try RasterPipeline.wrap { () throws(TilingError) in try tms.worldBounds(zoom: 0) }
        // The WGS84BoundingBox is longitude/latitude whatever the set's CRS (metres for WebMercatorQuad); the
        // world's bounds are transformed only when no box is configured.
        let box: BoundingBox
        if let configured = configuration.boundingBox {
            box = configured
        } else {
            box = try RasterPipeline.wrap { () throws(TilingError) in try tms.geographicBounds(of: world) }
        }
        let root = "\(configuration.baseURL)/\(configuration.doi)"
        let format = Self.mediaType(extension: config.extWebTiles)
        let crsURI = Self.crsURI(tms.crs)
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Capabilities xmlns="http://www.opengis.net/wmts/1.0" xmlns:ows="http://www.opengis.net/ows/1.1" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:gml="http://www.opengis.net/gml" xsi:schemaLocation="http://www.opengis.net/wmts/1.0 http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd" version="1.0.0">
              <ows:ServiceIdentification>
                <ows:Title>\(Self.escape(configuration.title))</ows:Title>
                <ows:ServiceType>OGC WMTS</ows:ServiceType>
                <ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion>
              </ows:ServiceIdentification>
              <ows:OperationsMetadata>
                <ows:Operation name="GetCapabilities">
                  <ows:DCP><ows:HTTP><ows:Get xlink:href="\(Self.escape(root))/WMTSCapabilities.xml"><ows:Constraint name="GetEncoding"><ows:AllowedValues><ows:Value>RESTful</ows:Value></ows:AllowedValues></ows:Constraint></ows:Get></ows:HTTP></ows:DCP>
                </ows:Operation>
                <ows:Operation name="GetTile">
                  <ows:DCP><ows:HTTP><ows:Get xlink:href="\(Self.escape(root))/"><ows:Constraint name="GetEncoding"><ows:AllowedValues><ows:Value>RESTful</ows:Value></ows:AllowedValues></ows:Constraint></ows:Get></ows:HTTP></ows:DCP>
                </ows:Operation>
              </ows:OperationsMetadata>
              <Contents>

            """
        for statistic in config.statistics {
            let template = "\(root)/\(configuration.urlPostfix)/" + Self.pathTemplate(config.tilePathStructure, style: statistic.name) + config.extWebTiles
            xml += """
                    <Layer>
                      <ows:Title>\(Self.escape(statistic.name))</ows:Title>
                      <ows:Identifier>\(Self.escape(statistic.name))</ows:Identifier>
                      <ows:WGS84BoundingBox crs="urn:ogc:def:crs:OGC:2:84">
                        <ows:LowerCorner>\(Self.number(box.left)) \(Self.number(box.bottom))</ows:LowerCorner>
                        <ows:UpperCorner>\(Self.number(box.right)) \(Self.number(box.top))</ows:UpperCorner>
                      </ows:WGS84BoundingBox>
                      <Style isDefault="true"><ows:Identifier>default</ows:Identifier></Style>
                      <Format>\(format)</Format>
                      <TileMatrixSetLink><TileMatrixSet>\(Self.escape(tms.identifier))</TileMatrixSet></TileMatrixSetLink>
                      <ResourceURL format="\(format)" resourceType="tile" template="\(Self.escape(template))"/>
                    </Layer>

                """
        }
        xml += """
                <TileMatrixSet>
                  <ows:Title>\(Self.escape(tms.identifier))</ows:Title>
                  <ows:Identifier>\(Self.escape(tms.identifier))</ows:Identifier>
                  <ows:BoundingBox crs="\(crsURI)">
                    <ows:LowerCorner>\(Self.number(world.left)) \(Self.number(world.bottom))</ows:LowerCorner>
                    <ows:UpperCorner>\(Self.number(world.right)) \(Self.number(world.top))</ows:UpperCorner>
                  </ows:BoundingBox>
                  <ows:SupportedCRS>\(crsURI)</ows:SupportedCRS>

            """
        // WMTS writes TopLeftCorner in the CRS's axis order: "lat lon" for EPSG:4326, "x y" for CRS84 and most
        // projected CRSs, "northing easting" where the authority says so.
        let latitudeFirst = tms.crsAxisOrderIsYX
        for zoom in 0...maxZoom {
            let matrix = tms.matrices[zoom]
            let corner =
                latitudeFirst
                ? "\(Self.number(matrix.originY)) \(Self.number(matrix.originX))" : "\(Self.number(matrix.originX)) \(Self.number(matrix.originY))"
            xml += """
                      <TileMatrix>
                        <ows:Identifier>\(zoom)</ows:Identifier>
                        <ScaleDenominator>\(Self.number(matrix.scaleDenominator))</ScaleDenominator>
                        <TopLeftCorner>\(corner)</TopLeftCorner>
                        <TileWidth>\(matrix.tileWidth)</TileWidth>
                        <TileHeight>\(matrix.tileHeight)</TileHeight>
                        <MatrixWidth>\(matrix.matrixWidth)</MatrixWidth>
                        <MatrixHeight>\(matrix.matrixHeight)</MatrixHeight>
                      </TileMatrix>

                """
        }
        xml += """
                </TileMatrixSet>
              </Contents>
              <ServiceMetadataURL xlink:href="\(Self.escape(root))/WMTSCapabilities.xml"/>
            </Capabilities>

            """
        return xml
    }

    /// The `tile_path_structure` as a RESTful template: `style` is the layer's folder, the others WMTS variables.
    static func pathTemplate(_ structure: [String], style: String) -> String {
        structure.map { key in
            switch key {
            case "style": style
            case "tms": "{TileMatrixSet}"
            case "z": "{TileMatrix}"
            case "x": "{TileCol}"
            default: "{TileRow}"
            }
        }.joined(separator: "/")
    }

    static func mediaType(extension ext: String) -> String {
        switch ext.lowercased() {
        case ".png": "image/png"
        case ".jpg", ".jpeg": "image/jpeg"
        case ".tif", ".tiff": "image/tiff"
        case ".webp": "image/webp"
        default: "application/octet-stream"
        }
    }

    static func crsURI(_ crs: String) -> String {
        let upper = crs.uppercased()
        if upper.contains("CRS84") { return "http://www.opengis.net/def/crs/OGC/1.3/CRS84" }
        if upper.hasPrefix("EPSG:") { return "http://www.opengis.net/def/crs/EPSG/0/\(crs.dropFirst(5))" }
        return escape(crs)
    }

    static func number(_ value: Double) -> String { "\(value)" }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
