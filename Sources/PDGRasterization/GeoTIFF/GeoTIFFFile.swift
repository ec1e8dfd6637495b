import CVizGDAL
import Foundation
import PDGTiling

/// Reads and writes tile GeoTIFFs through GDAL (GTiff, EPSG:4326, pixel-interleaved strips, band descriptions,
/// `AREA_OR_POINT=Area`, no nodata), the layout pdgraster writes. Each call opens its own handles.
public enum GeoTIFFFile {
    private static let setUp: Bool = {
        CPLSetErrorHandler(CPLQuietErrorHandler)
        GDALAllRegister()
        return true
    }()

    private static let wgs84WKT: String = {
        let reference = OSRNewSpatialReference(nil)
        defer { OSRDestroySpatialReference(reference) }
        OSRImportFromEPSG(reference, 4326)
        var text: UnsafeMutablePointer<CChar>?
        OSRExportToWkt(reference, &text)
        defer { VSIFree(text) }
        return text.map { String(cString: $0) } ?? ""
    }()

    private static func lastError(_ fallback: String) -> String {
        guard let message = CPLGetLastErrorMsg() else { return fallback }
        let text = String(cString: message)
        return text.isEmpty ? fallback : text
    }

    /// Writes `raster` to `path` atomically (temporary file in the same directory, then rename).
    public static func write(_ raster: RasterTile, to path: String, compression: GeoTIFFCompression = .none) throws(RasterizationError) {
        _ = setUp
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw RasterizationError(.writeFailed, "\(path): cannot create directory: \(error.localizedDescription)")
            }
        }
        let temporary = path + ".\(UUID().uuidString.prefix(8)).partial"
        guard let driver = GDALGetDriverByName("GTiff") else {
            throw RasterizationError(.writeFailed, "\(path): GDAL has no GTiff driver")
        }
        var options: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        options = CSLSetNameValue(options, "INTERLEAVE", "PIXEL")
        for (key, value) in compression.creationOptions(for: raster.dataType) {
            options = CSLSetNameValue(options, key, value)
        }
        defer { CSLDestroy(options) }
        let rows = raster.grid.rows
        let columns = raster.grid.columns
        guard let dataset = GDALCreate(driver, temporary, Int32(columns), Int32(rows), Int32(raster.bands.count), raster.dataType.gdalType, options)
        else {
            throw RasterizationError(.writeFailed, "\(path): GDALCreate failed: \(lastError("unknown error"))")
        }
        var failure: String?
        var transform = raster.grid.geoTransform
        GDALSetGeoTransform(dataset, &transform)
        GDALSetProjection(dataset, wgs84WKT)
        GDALSetMetadataItem(dataset, "AREA_OR_POINT", "Area", nil)
        for (index, band) in raster.bands.enumerated() {
            let handle = GDALGetRasterBand(dataset, Int32(index + 1))
            GDALSetDescription(handle, raster.descriptions[index])
            let error: CPLErr
            switch raster.dataType {
            case .float64:
                var values = band
                error = values.withUnsafeMutableBytes {
                    GDALRasterIO(handle, GF_Write, 0, 0, Int32(columns), Int32(rows), $0.baseAddress, Int32(columns), Int32(rows), GDT_Float64, 0, 0)
                }
            case .int32:
                var values = band.map { Int32(clamping: Int64($0.isFinite ? $0.rounded() : 0)) }
                error = values.withUnsafeMutableBytes {
                    GDALRasterIO(handle, GF_Write, 0, 0, Int32(columns), Int32(rows), $0.baseAddress, Int32(columns), Int32(rows), GDT_Int32, 0, 0)
                }
            }
            if error != CE_None, failure == nil { failure = lastError("RasterIO failed") }
        }
        GDALClose(dataset)  // flushes the file
        if let failure {
            unlink(temporary)
            throw RasterizationError(.writeFailed, "\(path): \(failure)")
        }
        // The same bytes as before: keep the file and its time, so that parents and web tiles are not redone.
        if AtomicFile.sameContent(temporary, path) {
            unlink(temporary)
            return
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw RasterizationError(.writeFailed, "\(path): rename failed: \(reason)")
        }
    }

    /// Reads a tile GeoTIFF: every band as doubles, descriptions, data type, size and geotransform.
    public static func read(path: String, tile: TileIndex) throws(RasterizationError) -> RasterTile {
        _ = setUp
        guard FileManager.default.fileExists(atPath: path) else {
            throw RasterizationError(.rasterUnreadable, "\(path): no such GeoTIFF")
        }
        guard let dataset = GDALOpenEx(path, UInt32(GDAL_OF_RASTER | GDAL_OF_READONLY), nil, nil, nil) else {
            throw RasterizationError(.rasterUnreadable, "\(path): GDAL cannot open it: \(lastError("unknown error"))")
        }
        defer { GDALClose(dataset) }
        let columns = Int(GDALGetRasterXSize(dataset))
        let rows = Int(GDALGetRasterYSize(dataset))
        let count = Int(GDALGetRasterCount(dataset))
        var transform = [Double](repeating: 0, count: 6)
        GDALGetGeoTransform(dataset, &transform)
        let bounds = BoundingBox(
            left: transform[0], bottom: transform[3] + transform[5] * Double(rows),
            right: transform[0] + transform[1] * Double(columns), top: transform[3]
        )
        var bands: [[Double]] = []
        var descriptions: [String] = []
        var dataType = RasterDataType.float64
        for index in 1...max(count, 1) where count > 0 {
            let handle = GDALGetRasterBand(dataset, Int32(index))
            descriptions.append(String(cString: GDALGetDescription(handle)))
            if index == 1 {
                let type = GDALGetRasterDataType(handle)
                dataType = (type == GDT_Float64 || type == GDT_Float32) ? .float64 : .int32
            }
            var values = [Double](repeating: 0, count: rows * columns)
            let error = values.withUnsafeMutableBytes {
                GDALRasterIO(handle, GF_Read, 0, 0, Int32(columns), Int32(rows), $0.baseAddress, Int32(columns), Int32(rows), GDT_Float64, 0, 0)
            }
            guard error == CE_None else {
                throw RasterizationError(.rasterUnreadable, "\(path): band \(index): \(lastError("RasterIO failed"))")
            }
            bands.append(values)
        }
        return RasterTile(
            tile: tile, grid: PixelGrid(bounds: bounds, rows: rows, columns: columns), bands: bands,
            descriptions: descriptions, dataType: dataType
        )
    }
}
