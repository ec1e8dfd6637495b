import CGDAL
import Foundation

/// Writes one polygon layer into a new GeoPackage through OGR, inside a single transaction.
///
/// The file is created at a temporary name beside the target and renamed over it by ``commit()``, so readers
/// never see a half-written tile and a killed writer leaves at most a `*.partial` file.
final class GeoPackageWriter {
    private let dataset: GDALDatasetH
    private let layer: OGRLayerH
    private let definition: OGRFeatureDefnH
    private let temporaryPath: String
    private let finalPath: String
    private var committed = false
    private var ringScratch: [Double] = []

    /// Creates the (temporary) file and the layer with the given columns.
    /// - Parameters:
    ///   - path: The final path of the tile.
    ///   - layerName: The layer name (PDG uses the file stem, e.g. `908`).
    ///   - spatialReference: The layer CRS.
    ///   - fields: The attribute columns in order.
    init(path: String, layerName: String, spatialReference: SpatialReference, fields: [FieldDefinition]) throws(TilingError) {
        GDALLibrary.ensureInitialized()
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw TilingError(.writeFailed, "\(directory): cannot create directory: \(error.localizedDescription)")
        }
        finalPath = path
        temporaryPath = path + ".\(UUID().uuidString.prefix(8)).partial"
        GDALLibrary.resetError()
        guard let driver = GDALGetDriverByName("GPKG"),
            let dataset = GDALCreate(driver, temporaryPath, 0, 0, 0, GDT_Unknown, nil)
        else {
            throw TilingError(.writeFailed, "\(path): cannot create GeoPackage: \(GDALLibrary.lastErrorMessage())")
        }
        self.dataset = dataset
        guard let layer = GDALDatasetCreateLayer(dataset, layerName, spatialReference.handle, wkbPolygon, nil) else {
            GDALClose(dataset)
            unlink(temporaryPath)
            throw TilingError(.writeFailed, "\(path): cannot create layer: \(GDALLibrary.lastErrorMessage())")
        }
        self.layer = layer
        for field in fields {
            let ogrType: OGRFieldType
            switch field.type {
            case .integer, .boolean: ogrType = OFTInteger64
            case .real: ogrType = OFTReal
            case .string: ogrType = OFTString
            }
            let definition = OGR_Fld_Create(field.name, field.type == .boolean ? OFTInteger : ogrType)
            if field.type == .boolean { OGR_Fld_SetSubType(definition, OFSTBoolean) }
            let status = OGR_L_CreateField(layer, definition, 1)
            OGR_Fld_Destroy(definition)
            guard status == OGRERR_NONE else {
                GDALClose(dataset)
                unlink(temporaryPath)
                throw TilingError(.writeFailed, "\(path): cannot create field \(field.name): \(GDALLibrary.lastErrorMessage())")
            }
        }
        definition = OGR_L_GetLayerDefn(layer)
        _ = GDALDatasetStartTransaction(dataset, 0)
    }

    deinit {
        if !committed {
            GDALClose(dataset)
            unlink(temporaryPath)
        }
    }

    /// Appends one feature; `values` follow the field order given at creation.
    func write(values: [FieldValue], polygon: Polygon) throws(TilingError) {
        guard let feature = OGR_F_Create(definition) else {
            throw TilingError(.writeFailed, "\(finalPath): cannot allocate a feature")
        }
        defer { OGR_F_Destroy(feature) }
        for (index, value) in values.enumerated() {
            let field = Int32(index)
            switch value {
            case .null: OGR_F_SetFieldNull(feature, field)
            case .integer(let number): OGR_F_SetFieldInteger64(feature, field, number)
            case .real(let number): OGR_F_SetFieldDouble(feature, field, number)
            case .string(let text): OGR_F_SetFieldString(feature, field, text)
            }
        }
        let geometry = OGR_G_CreateGeometry(wkbPolygon)
        for ring in polygon.rings {
            let ringGeometry = OGR_G_CreateGeometry(wkbLinearRing)
            ring.withUnsafeBytes { bytes in
                let base = UnsafeMutableRawPointer(mutating: bytes.baseAddress!)
                OGR_G_SetPoints(ringGeometry, Int32(ring.count / 2), base, 16, base + 8, 16, nil, 0)
            }
            OGR_G_AddGeometryDirectly(geometry, ringGeometry)
        }
        OGR_F_SetGeometryDirectly(feature, geometry)
        guard OGR_L_CreateFeature(layer, feature) == OGRERR_NONE else {
            throw TilingError(.writeFailed, "\(finalPath): cannot write a feature: \(GDALLibrary.lastErrorMessage())")
        }
    }

    /// Commits, closes and renames the temporary file over the final path.
    func commit() throws(TilingError) {
        guard GDALDatasetCommitTransaction(dataset) == OGRERR_NONE else {
            throw TilingError(.writeFailed, "\(finalPath): commit failed: \(GDALLibrary.lastErrorMessage())")
        }
        committed = true
        GDALClose(dataset)
        guard rename(temporaryPath, finalPath) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw TilingError(.writeFailed, "\(finalPath): rename of the finished tile failed: \(reason)")
        }
    }
}
