import CVizGDAL
import Foundation

/// An owned GDAL vector dataset opened read-only. Not thread-safe: each task opens its own.
final class VectorDataset {
    let handle: GDALDatasetH
    let path: String

    /// Opens `path` with whatever vector driver GDAL picks.
    init(openingForReading path: String) throws(TilingError) {
        GDALLibrary.ensureInitialized()
        GDALLibrary.resetError()
        guard FileManager.default.fileExists(atPath: path) else {
            throw TilingError(.inputUnreadable, "\(path): no such file")
        }
        guard let handle = GDALOpenEx(path, UInt32(GDAL_OF_VECTOR | GDAL_OF_READONLY), nil, nil, nil) else {
            throw TilingError(.inputUnreadable, "\(path): GDAL cannot open it as vector data: \(GDALLibrary.lastErrorMessage())")
        }
        self.handle = handle
        self.path = path
    }

    deinit {
        GDALClose(handle)
    }

    /// The first field of the first row of an SQL query (run by the driver; SQLite for GeoPackages).
    func firstValue(ofSQL sql: String) -> String? {
        guard let result = GDALDatasetExecuteSQL(handle, sql, nil, nil) else { return nil }
        defer { GDALDatasetReleaseResultSet(handle, result) }
        guard let feature = OGR_L_GetNextFeature(result) else { return nil }
        defer { OGR_F_Destroy(feature) }
        return String(cString: OGR_F_GetFieldAsString(feature, 0))
    }

    /// The number of features whose envelope intersects a rectangle, through the layer's spatial index.
    func count(intersecting box: BoundingBox) throws(TilingError) -> Int {
        let layer = try firstLayer()
        OGR_L_SetSpatialFilterRect(layer.handle, box.left, box.bottom, box.right, box.top)
        defer { OGR_L_SetSpatialFilter(layer.handle, nil) }
        return Int(OGR_L_GetFeatureCount(layer.handle, 1))
    }

    /// The first (default) layer, as geopandas reads it.
    func firstLayer() throws(TilingError) -> VectorLayer {
        guard GDALDatasetGetLayerCount(handle) > 0, let layer = GDALDatasetGetLayer(handle, 0) else {
            throw TilingError(.inputEmpty, "\(path): no layer")
        }
        return VectorLayer(dataset: self, handle: layer)
    }
}

/// A layer borrowed from a ``VectorDataset`` (which it keeps alive).
final class VectorLayer {
    let dataset: VectorDataset
    let handle: OGRLayerH
    /// The attribute columns in file order.
    let fields: [FieldDefinition]
    /// GDAL's type of each column (`fields` reduces them).
    let ogrTypes: [OGRFieldType]

    init(dataset: VectorDataset, handle: OGRLayerH) {
        self.dataset = dataset
        self.handle = handle
        var fields: [FieldDefinition] = []
        var ogrTypes: [OGRFieldType] = []
        let definition = OGR_L_GetLayerDefn(handle)
        for index in 0..<OGR_FD_GetFieldCount(definition) {
            let field = OGR_FD_GetFieldDefn(definition, index)
            let name = String(cString: OGR_Fld_GetNameRef(field))
            let ogrType = OGR_Fld_GetType(field)
            let type: FieldType
            switch ogrType {
            case OFTInteger, OFTInteger64:
                type = OGR_Fld_GetSubType(field) == OFSTBoolean ? .boolean : .integer
            case OFTReal: type = .real
            default: type = .string
            }
            fields.append(FieldDefinition(name: name, type: type))
            ogrTypes.append(ogrType)
        }
        self.fields = fields
        self.ogrTypes = ogrTypes
    }

    /// The layer's CRS (cloned, traditional axis order), or nil when the file has none.
    func spatialReference() throws(TilingError) -> SpatialReference? {
        guard let borrowed = OGR_L_GetSpatialRef(handle) else { return nil }
        return try SpatialReference(cloning: borrowed)
    }

    /// Feature count if the driver knows it cheaply, else nil.
    var fastFeatureCount: Int? {
        let count = OGR_L_GetFeatureCount(handle, 0)
        return count >= 0 ? Int(count) : nil
    }

    /// Streams the features in file order. `body` receives the feature id, the attribute values and the
    /// feature's polygons (a MultiPolygon gives its parts; other geometry types give `nil`). A geometry that cannot
    /// be read as polygons (a ring of fewer than 4 points, non-finite coordinates) goes to `unreadableGeometry`
    /// instead, when given, and the feature is skipped; without it, it fails the whole read.
    func forEachFeature(
        unreadableGeometry: ((_ fid: Int64, _ error: TilingError) -> Void)? = nil,
        _ body: (_ fid: Int64, _ values: [FieldValue], _ polygons: [Polygon]?) throws(TilingError) -> Void
    ) throws(TilingError) {
        OGR_L_ResetReading(handle)
        var values = [FieldValue](repeating: .null, count: fields.count)
        // The error state read after the loop must be the last OGR_L_GetNextFeature's, not that of a feature the
        // body handled (a PROJ failure on one dropped feature sets it too).
        CPLErrorReset()
        while let feature = OGR_L_GetNextFeature(handle) {
            defer {
                OGR_F_Destroy(feature)
                CPLErrorReset()
            }
            let fid = OGR_F_GetFID(feature)
            readValues(of: feature, into: &values)
            let polygons: [Polygon]?
            do {
                polygons = try Self.polygons(of: OGR_F_GetGeometryRef(feature), fid: fid, path: dataset.path)
            } catch {
                guard let unreadableGeometry, error.code == .invalidGeometry else { throw error }
                unreadableGeometry(fid, error)
                continue
            }
            try body(fid, values, polygons)
        }
        let error = CPLGetLastErrorType()
        if error == CE_Failure || error == CE_Fatal {
            throw TilingError(.inputUnreadable, "\(dataset.path): read error: \(GDALLibrary.lastErrorMessage())")
        }
    }

    /// Reads one feature by its id (random access, as the shapefile driver offers it): its attribute values and
    /// polygons, as ``forEachFeature(unreadableGeometry:_:)`` gives them; nil when there is no such feature.
    func feature(at fid: Int64) throws(TilingError) -> (values: [FieldValue], polygons: [Polygon]?)? {
        GDALLibrary.resetError()
        guard let feature = OGR_L_GetFeature(handle, fid) else {
            let error = CPLGetLastErrorType()
            if error == CE_Failure || error == CE_Fatal {
                throw TilingError(.inputUnreadable, "\(dataset.path): read error: \(GDALLibrary.lastErrorMessage())")
            }
            return nil
        }
        defer { OGR_F_Destroy(feature) }
        var values = [FieldValue](repeating: .null, count: fields.count)
        readValues(of: feature, into: &values)
        return (values, try Self.polygons(of: OGR_F_GetGeometryRef(feature), fid: fid, path: dataset.path))
    }

    private func readValues(of feature: OGRFeatureH, into values: inout [FieldValue]) {
        for index in 0..<fields.count {
            let field = Int32(index)
            if OGR_F_IsFieldSetAndNotNull(feature, field) == 0 {
                values[index] = .null
                continue
            }
            switch fields[index].type {
            case .integer, .boolean: values[index] = .integer(OGR_F_GetFieldAsInteger64(feature, field))
            case .real: values[index] = .real(OGR_F_GetFieldAsDouble(feature, field))
            case .string: values[index] = .string(String(cString: OGR_F_GetFieldAsString(feature, field)))
            }
        }
    }

    /// Polygon or MultiPolygon → plain polygons; nil for anything else (including null and empty geometries).
    static func polygons(of geometry: OGRGeometryH?, fid: Int64, path: String) throws(TilingError) -> [Polygon]? {
        guard let geometry, OGR_G_IsEmpty(geometry) == 0 else { return nil }
        switch OGR_GT_Flatten(OGR_G_GetGeometryType(geometry)) {
        case wkbPolygon:
            return [try polygon(of: geometry, fid: fid, path: path)]
        case wkbMultiPolygon:
            var parts: [Polygon] = []
            for index in 0..<OGR_G_GetGeometryCount(geometry) {
                guard let part = OGR_G_GetGeometryRef(geometry, index), OGR_G_IsEmpty(part) == 0 else { continue }
                parts.append(try polygon(of: part, fid: fid, path: path))
            }
            return parts
        default:
            return nil
        }
    }

    private static func polygon(of geometry: OGRGeometryH, fid: Int64, path: String) throws(TilingError) -> Polygon {
        var rings: [[Double]] = []
        let ringCount = OGR_G_GetGeometryCount(geometry)
        rings.reserveCapacity(Int(ringCount))
        for index in 0..<ringCount {
            guard let ring = OGR_G_GetGeometryRef(geometry, index) else { continue }
            let count = Int(OGR_G_GetPointCount(ring))
            if count == 0 && index > 0 { continue }
            guard count >= 4 else {
                throw TilingError(.invalidGeometry, "\(path): feature \(fid): ring \(index) has \(count) points (a ring needs at least 4)")
            }
            var coordinates = [Double](repeating: 0, count: count * 2)
            coordinates.withUnsafeMutableBytes { bytes in
                // Interleaved output: x at offset 0, y at offset 8, both with a 16-byte stride.
                _ = OGR_G_GetPoints(ring, bytes.baseAddress, 16, bytes.baseAddress! + 8, 16, nil, 0)
            }
            try closeRing(&coordinates, fid: fid, path: path)
            rings.append(coordinates)
        }
        guard !rings.isEmpty else {
            throw TilingError(.invalidGeometry, "\(path): feature \(fid): polygon without a shell")
        }
        return Polygon(rings: rings)
    }

    /// Checks a ring's coordinates (at least 4 points, all finite; the count is checked by the caller) and closes it.
    static func closeRing(_ coordinates: inout [Double], fid: Int64, path: String) throws(TilingError) {
        for value in coordinates where !value.isFinite {
            throw TilingError(.invalidGeometry, "\(path): feature \(fid): non-finite coordinate")
        }
        // GEOS needs closed rings; some GeoJSON writers leave them open.
        let count = coordinates.count / 2
        if coordinates[0] != coordinates[2 * count - 2] || coordinates[1] != coordinates[2 * count - 1] {
            coordinates.append(coordinates[0])
            coordinates.append(coordinates[1])
        }
    }
}
