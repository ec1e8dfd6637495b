import CVizGDAL
import DataflowStorage
import Foundation
import PDGTiling
import Synchronization

/// Reads and writes tile GeoTIFFs through GDAL (GTiff, the tile matrix set's CRS, band descriptions,
/// `AREA_OR_POINT=Area`, no nodata, as pdgraster writes them; compression and layout from ``GeoTIFFCompression``).
/// Each call opens its own handles.
public enum GeoTIFFFile {
    private static let setUp: Bool = {
        CPLSetErrorHandler(CPLQuietErrorHandler)
        GDALAllRegister()
        return true
    }()

    /// WKT per CRS definition: parsing a CRS costs more than writing a small tile.
    private static let wktCache = Mutex<[String: String]>([:])

    /// The WKT GDAL writes for a tile matrix set's CRS (`EPSG:3857`, `EPSG:3413`, a URN or URI, or WKT).
    ///
    /// `OGC:CRS84` is labelled EPSG:4326, as pdgraster labels WorldCRS84Quad tiles: the datum is the same and a
    /// GeoTIFF's raster axes are (x, y) = (lon, lat) either way.
    static func wkt(for crs: String) throws(RasterizationError) -> String {
        let definition = TileMatrixSet.gdalCRS(crs).uppercased() == "OGC:CRS84" ? "EPSG:4326" : TileMatrixSet.gdalCRS(crs)
        if let cached = wktCache.withLock({ $0[definition] }) { return cached }
        let reference = OSRNewSpatialReference(nil)
        defer { OSRDestroySpatialReference(reference) }
        guard OSRSetFromUserInput(reference, definition) == OGRERR_NONE else {
            throw RasterizationError(.invalidConfiguration, "GDAL cannot parse the tile matrix set's CRS \"\(crs)\": \(lastError("unknown CRS"))")
        }
        var text: UnsafeMutablePointer<CChar>?
        OSRExportToWkt(reference, &text)
        defer { VSIFree(text) }
        guard let text, text.pointee != 0 else {
            throw RasterizationError(.invalidConfiguration, "GDAL cannot express the CRS \"\(crs)\" as WKT")
        }
        let wkt = String(cString: text)
        wktCache.withLock { $0[definition] = wkt }
        return wkt
    }

    private static func lastError(_ fallback: String) -> String {
        guard let message = CPLGetLastErrorMsg() else { return fallback }
        let text = String(cString: message)
        return text.isEmpty ? fallback : text
    }

    /// Writes `raster` to `path` atomically, georeferenced in `crs` (the tile matrix set's ``TileMatrixSet/crs``;
    /// the grid's bounds are in that CRS): GDAL writes a ``ScratchFile`` (beside the target on POSIX, local when
    /// the target is on a bucket), which is then published (renamed, or copied with one create-write-close).
    public static func write(
        _ raster: RasterTile, to path: String, crs: String, compression: GeoTIFFCompression = .none
    ) throws(RasterizationError) {
        _ = setUp
        let projection = try wkt(for: crs)
        let scratch: ScratchFile
        do {
            scratch = try FilePublisher().scratch(for: path)
        } catch {
            throw RasterizationError(.writeFailed, error.message)
        }
        let temporary = scratch.path
        guard let driver = GDALGetDriverByName("GTiff") else {
            throw RasterizationError(.writeFailed, "\(path): GDAL has no GTiff driver")
        }
        var options: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        for (key, value) in compression.creationOptions {
            options = CSLSetNameValue(options, key, value)
        }
        defer { CSLDestroy(options) }
        let rows = raster.grid.rows
        let columns = raster.grid.columns
        // Everything the pipeline writes fits in the TIFF itself: no `.aux.xml` sidecar to look for or write (GDAL's
        // PAM would probe for `.aux`, `.AUX`, `.tif.aux`… next to every new file). Thread-local, restored below.
        let previousPAM = CPLGetThreadLocalConfigOption("GDAL_PAM_ENABLED", nil).map { String(cString: $0) }
        CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", "NO")
        defer { CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", previousPAM) }
        guard let dataset = GDALCreate(driver, temporary, Int32(columns), Int32(rows), Int32(raster.bands.count), raster.dataType.gdalType, options)
        else {
            throw RasterizationError(.writeFailed, "\(path): GDALCreate failed: \(lastError("unknown error"))")
        }
        var failure: String?
        var transform = raster.grid.geoTransform
        GDALSetGeoTransform(dataset, &transform)
        GDALSetProjection(dataset, projection)
        GDALSetMetadataItem(dataset, "AREA_OR_POINT", "Area", nil)
        for (index, band) in raster.bands.enumerated() {
            let handle = GDALGetRasterBand(dataset, Int32(index + 1))
            GDALSetDescription(handle, raster.descriptions[index])
            let error: CPLErr
            switch raster.dataType {
            case .float64:
                // GDAL only reads the buffer on GF_Write: no copy of the band.
                error = band.withUnsafeBytes {
                    GDALRasterIO(
                        handle, GF_Write, 0, 0, Int32(columns), Int32(rows), UnsafeMutableRawPointer(mutating: $0.baseAddress), Int32(columns),
                        Int32(rows), GDT_Float64, 0, 0)
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
        do {
            try scratch.publish()
        } catch {
            throw RasterizationError(.writeFailed, error.message)
        }
    }

    /// Opens a GeoTIFF read-only with the GTiff driver alone, telling GDAL that the file is alone in its directory:
    /// GDAL then neither asks every other driver whether it knows the file, nor lists the directory (which holds every
    /// tile of the column, so an open would cost more the more tiles exist), nor probes for `.aux.xml`, `.aux`, `.ovr`
    /// or `.msk` sidecars, which the pipeline never writes. (An empty list would not do: GDAL takes it for "unknown"
    /// and probes each sidecar name.)
    static func openGeoTIFF(_ path: String) -> GDALDatasetH? {
        let name = (path as NSString).lastPathComponent
        return "GTiff".withCString { driver in
            name.withCString { name in
                let drivers: [UnsafePointer<CChar>?] = [driver, nil]
                let siblings: [UnsafePointer<CChar>?] = [name, nil]
                return drivers.withUnsafeBufferPointer { drivers in
                    siblings.withUnsafeBufferPointer { siblings in
                        GDALOpenEx(path, UInt32(GDAL_OF_RASTER | GDAL_OF_READONLY), drivers.baseAddress, nil, siblings.baseAddress)
                    }
                }
            }
        }
    }

    /// Reads a tile GeoTIFF: every band as doubles, descriptions, data type, size and geotransform.
    public static func read(path: String, tile: TileIndex) throws(RasterizationError) -> RasterTile {
        _ = setUp
        guard FileManager.default.fileExists(atPath: path) else {
            throw RasterizationError(.rasterUnreadable, "\(path): no such GeoTIFF")
        }
        guard let dataset = openGeoTIFF(path) else {
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
            // RasterIO fills every value (no zero-fill first).
            var error = CE_None
            let values = [Double](unsafeUninitializedCapacity: rows * columns) { buffer, initialized in
                error = GDALRasterIO(
                    handle, GF_Read, 0, 0, Int32(columns), Int32(rows), buffer.baseAddress, Int32(columns), Int32(rows), GDT_Float64, 0, 0)
                initialized = error == CE_None ? rows * columns : 0
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
