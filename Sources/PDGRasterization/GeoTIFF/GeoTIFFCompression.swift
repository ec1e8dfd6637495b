/// GeoTIFF compression. The default, DEFLATE with a predictor in 256×256 internal tiles, is lossless, read by
/// every GDAL (and so by pdgraster's readers), and makes a tile a single compressed block, as a Cloud-Optimized
/// GeoTIFF without overviews. `none` writes uncompressed strips, as pdgraster does, for byte comparisons.
public enum GeoTIFFCompression: String, Sendable, Hashable, Codable {
    case none, deflate, zstd

    /// GDAL creation options for this compression (floating-point predictor for Float64 data, horizontal for Int32).
    func creationOptions(for type: RasterDataType) -> [(String, String)] {
        let predictor = ("PREDICTOR", type == .float64 ? "3" : "2")
        let tiled = [("TILED", "YES"), ("BLOCKXSIZE", "256"), ("BLOCKYSIZE", "256")]
        switch self {
        case .none: return []
        case .deflate: return [("COMPRESS", "DEFLATE"), predictor] + tiled
        case .zstd: return [("COMPRESS", "ZSTD"), predictor] + tiled
        }
    }
}
