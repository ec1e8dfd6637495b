import Foundation

extension TileMatrixSet {
    /// Loads an OGC TileMatrixSet JSON file (OGC 17-083r2 "tileMatrix"/"supportedCRS" form as shipped by
    /// morecantile 3.x, or the 2.0 "tileMatrices"/"crs" form), e.g. a polar UPS set.
    public init(contentsOf path: String) throws(TilingError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TilingError(.unknownTileMatrixSet, "\(path): cannot read tile matrix set file: \(error.localizedDescription)")
        }
        do {
            try self.init(ogcJSON: data)
        } catch {
            throw TilingError(.invalidTileMatrixSet, "\(path): \(error.message)")
        }
    }

    /// Parses OGC TileMatrixSet JSON. Corners are swapped into (x, y) order when the CRS's authority axis order is
    /// latitude/northing first (EPSG:4326, EPSG:5041 …); metres per unit follow morecantile.
    public init(ogcJSON data: Data) throws(TilingError) {
        let json: JSONValue
        do {
            json = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw TilingError(.invalidTileMatrixSet, "not valid JSON: \(error)")
        }
        guard case .object(let object) = json else {
            throw TilingError(.invalidTileMatrixSet, "a tile matrix set must be a JSON object")
        }
        guard case .string(let identifier)? = object["identifier"] ?? object["id"] else {
            throw TilingError(.invalidTileMatrixSet, "missing \"identifier\" (or \"id\")")
        }
        let crsValue = object["supportedCRS"] ?? object["crs"]
        let crs: String
        switch crsValue {
        case .string(let text)?: crs = text
        case .object(let crsObject)?:
            guard case .string(let uri)? = crsObject["uri"] else {
                throw TilingError(.invalidTileMatrixSet, "\"crs\" object without \"uri\"")
            }
            crs = uri
        default: throw TilingError(.invalidTileMatrixSet, "missing \"supportedCRS\" (or \"crs\")")
        }
        let reference = try SpatialReference(definition: Self.gdalCRS(crs))
        let swapAxes = reference.authorityAxisOrderIsYX
        let metersPerUnit = reference.metersPerUnit
        guard case .array(let items)? = object["tileMatrix"] ?? object["tileMatrices"] else {
            throw TilingError(.invalidTileMatrixSet, "missing \"tileMatrix\" (or \"tileMatrices\") list")
        }
        var matrices: [TileMatrix] = []
        for (index, item) in items.enumerated() {
            guard case .object(let matrix) = item else {
                throw TilingError(.invalidTileMatrixSet, "tileMatrix[\(index)] is not an object")
            }
            func number(_ key: String) throws(TilingError) -> Double {
                guard case .number(let value)? = matrix[key] else {
                    throw TilingError(.invalidTileMatrixSet, "tileMatrix[\(index)] lacks number \"\(key)\"")
                }
                return value
            }
            guard case .array(let corner)? = matrix["topLeftCorner"] ?? matrix["pointOfOrigin"], corner.count == 2,
                case .number(let first) = corner[0], case .number(let second) = corner[1]
            else {
                throw TilingError(.invalidTileMatrixSet, "tileMatrix[\(index)] lacks \"topLeftCorner\" [a, b]")
            }
            if case .string(let origin)? = matrix["cornerOfOrigin"], origin != "topLeft" {
                throw TilingError(.invalidTileMatrixSet, "tileMatrix[\(index)]: only cornerOfOrigin \"topLeft\" is supported")
            }
            var zoom = index
            if case .string(let id)? = matrix["identifier"] ?? matrix["id"], let parsed = Int(id) { zoom = parsed }
            guard zoom == index else {
                throw TilingError(.invalidTileMatrixSet, "tile matrices must be identified 0, 1, 2 … in order; found \(zoom) at \(index)")
            }
            matrices.append(
                TileMatrix(
                    zoom: zoom,
                    scaleDenominator: try number("scaleDenominator"),
                    originX: swapAxes ? second : first,
                    originY: swapAxes ? first : second,
                    tileWidth: Int(try number("tileWidth")),
                    tileHeight: Int(try number("tileHeight")),
                    matrixWidth: Int(try number("matrixWidth")),
                    matrixHeight: Int(try number("matrixHeight")),
                    metersPerUnit: metersPerUnit
                )
            )
        }
        guard !matrices.isEmpty else { throw TilingError(.invalidTileMatrixSet, "no tile matrices") }
        self.init(identifier: identifier, crs: Self.gdalCRS(crs), matrices: matrices)
    }

    /// Whether the CRS's authority axis order is latitude/northing first (EPSG:4326, EPSG:5041 …), so that OGC
    /// documents (TMS JSON, WMTS `TopLeftCorner`) write corners as (y, x); false for CRS84 and unparsable CRSs.
    public var crsAxisOrderIsYX: Bool {
        guard let reference = try? SpatialReference(definition: crs) else { return false }
        return reference.authorityAxisOrderIsYX
    }

    /// OGC CRS URIs/URNs → strings GDAL parses (`urn:ogc:def:crs:EPSG::5041` → `EPSG:5041`).
    public static func gdalCRS(_ text: String) -> String {
        let lowered = text.lowercased()
        for prefix in ["urn:ogc:def:crs:epsg::", "http://www.opengis.net/def/crs/epsg/0/"] where lowered.hasPrefix(prefix) {
            return "EPSG:" + text.dropFirst(prefix.count)
        }
        if lowered == "urn:ogc:def:crs:ogc::crs84" || lowered == "http://www.opengis.net/def/crs/ogc/1.3/crs84" {
            return "OGC:CRS84"
        }
        return text
    }
}
