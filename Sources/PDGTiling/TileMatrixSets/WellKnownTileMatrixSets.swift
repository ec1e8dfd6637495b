import Foundation

extension TileMatrixSet {
    /// Identifiers of the built-in sets.
    public static let wellKnownIdentifiers = ["WGS1984Quad", "WorldCRS84Quad", "WebMercatorQuad"]

    /// A built-in tile matrix set by identifier: `WGS1984Quad`, `WorldCRS84Quad` or `WebMercatorQuad`.
    /// - Throws: `TilingError.unknownTileMatrixSet` for any other identifier.
    public static func wellKnown(_ identifier: String) throws(TilingError) -> TileMatrixSet {
        switch identifier {
        case "WorldCRS84Quad": return worldCRS84Quad
        case "WGS1984Quad": return wgs1984Quad
        case "WebMercatorQuad": return webMercatorQuad
        default:
            throw TilingError(
                .unknownTileMatrixSet,
                "tms_id \"\(identifier)\" is not one of \(wellKnownIdentifiers.joined(separator: ", ")) and not a path to an OGC TileMatrixSet JSON file"
            )
        }
    }

    /// `WorldCRS84Quad` (OGC:CRS84, lon/lat), zoom 0…17, the numbers of morecantile 3.4's definition.
    public static let worldCRS84Quad = geographicQuad(identifier: "WorldCRS84Quad", crs: "OGC:CRS84")

    /// `WGS1984Quad` (EPSG:4326). Numerically identical to `WorldCRS84Quad`; only the CRS and the name differ.
    public static let wgs1984Quad = geographicQuad(identifier: "WGS1984Quad", crs: "EPSG:4326")

    /// `WebMercatorQuad` (EPSG:3857), zoom 0…24, the numbers of morecantile 3.4's definition.
    public static let webMercatorQuad: TileMatrixSet = {
        let origin = 20037508.342789244
        let matrices = webMercatorScaleDenominators.enumerated().map { zoom, denominator in
            TileMatrix(
                zoom: zoom,
                scaleDenominator: denominator,
                originX: -origin,
                originY: origin,
                tileWidth: 256,
                tileHeight: 256,
                matrixWidth: 1 << zoom,
                matrixHeight: 1 << zoom,
                metersPerUnit: 1
            )
        }
        return TileMatrixSet(identifier: "WebMercatorQuad", crs: "EPSG:3857", matrices: matrices)
    }()

    /// Metres per degree on the WGS 84 ellipsoid's semi-major axis (`2π·6378137/360`), as morecantile computes it.
    public static let wgs84MetersPerDegree = 2 * Double.pi * 6_378_137 / 360.0

    private static func geographicQuad(identifier: String, crs: String) -> TileMatrixSet {
        let matrices = geographicQuadScaleDenominators.enumerated().map { zoom, denominator in
            TileMatrix(
                zoom: zoom,
                scaleDenominator: denominator,
                originX: -180,
                originY: 90,
                tileWidth: 256,
                tileHeight: 256,
                matrixWidth: 2 << zoom,
                matrixHeight: 1 << zoom,
                metersPerUnit: wgs84MetersPerDegree
            )
        }
        return TileMatrixSet(identifier: identifier, crs: crs, matrices: matrices)
    }

    // Decimal literals copied from the OGC definitions as shipped in morecantile 3.4 (WorldCRS84Quad.json,
    // WGS1984Quad.json): these, not 180/2^z, are what the Python outputs were computed from.
    private static let geographicQuadScaleDenominators: [Double] = [
        279541132.014358, 139770566.007179, 69885283.0035897, 34942641.5017948, 17471320.7508974,
        8735660.37544871, 4367830.18772435, 2183915.09386217, 1091957.54693108, 545978.773465544,
        272989.386732772, 136494.693366386, 68247.346683193, 34123.6733415964, 17061.8366707982,
        8530.91833539913, 4265.45916769956, 2132.72958384978,
    ]

    private static let webMercatorScaleDenominators: [Double] = [
        559082264.0287178, 279541132.0143589, 139770566.00717944, 69885283.00358972, 34942641.50179486,
        17471320.75089743, 8735660.375448715, 4367830.1877243575, 2183915.0938621787, 1091957.5469310894,
        545978.7734655447, 272989.38673277234, 136494.69336638617, 68247.34668319309, 34123.67334159654,
        17061.83667079827, 8530.918335399136, 4265.459167699568, 2132.729583849784, 1066.364791924892,
        533.182395962446, 266.591197981223, 133.2955989906115, 66.64779949530575, 33.323899747652874,
    ]
}
