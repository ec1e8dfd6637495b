/// Optional GeoTIFF compression. Off by default: pdgraster writes uncompressed striped files and the default keeps
/// our files byte-comparable with theirs.
public enum GeoTIFFCompression: String, Sendable, Hashable, Codable {
    case none, deflate, zstd

    /// GDAL creation options for this compression (floating-point predictor for Float64 data, horizontal for Int32).
    func creationOptions(for type: RasterDataType) -> [(String, String)] {
        switch self {
        case .none: return []
        case .deflate: return [("COMPRESS", "DEFLATE"), ("PREDICTOR", type == .float64 ? "3" : "2")]
        case .zstd: return [("COMPRESS", "ZSTD"), ("PREDICTOR", type == .float64 ? "3" : "2")]
        }
    }
}
