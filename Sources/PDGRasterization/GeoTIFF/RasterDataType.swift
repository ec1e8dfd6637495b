import CVizGDAL

/// The one data type of all bands of a GeoTIFF (pdgraster: float64 as soon as any band is floating, else int32).
public enum RasterDataType: String, Sendable, Hashable, Codable {
    case float64, int32

    var gdalType: GDALDataType {
        switch self {
        case .float64: GDT_Float64
        case .int32: GDT_Int32
        }
    }
}
