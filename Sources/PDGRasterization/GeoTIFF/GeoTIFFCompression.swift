/// GeoTIFF compression. The pipeline's default, ZSTD level 1 in 256×256 internal tiles, one band after the other
/// (`INTERLEAVE=BAND`), no predictor, is lossless, read by GDAL (and so by rasterio and pdgraster's readers), and
/// makes each band of a tile a single compressed block, as a Cloud-Optimized GeoTIFF without overviews. `deflate`
/// (level 1, same layout) is there for readers without ZSTD; `none` writes uncompressed pixel-interleaved strips,
/// as pdgraster does, for byte comparisons.
///
/// Why no predictor: PDG bands are mostly zeros with sparse counts and coverage fractions, where differencing turns
/// runs of zeros next to values into more distinct bytes. On 171 z0–z15 tiles of a 200k-polygon set (2 Float64
/// bands) ZSTD level 1 gave 35.3 MB with the floating-point predictor (3) and pixel interleaving, 25.9 MB with the
/// horizontal predictor (2), 23.5 MB with none, 21.9 MB with none and band interleaving; the count band as Int32:
/// 0.41 MB without a predictor, 0.58 MB with predictor 2. Without the predictor libtiff also skips its byte
/// shuffle of every row, which cost more CPU than ZSTD itself (BENCHMARKS.md, Rasterization).
public enum GeoTIFFCompression: String, Sendable, Hashable, Codable {
    case none, deflate, zstd

    /// GDAL creation options for this compression (the same for every data type: no predictor, see above).
    var creationOptions: [(String, String)] {
        let layout = [("TILED", "YES"), ("BLOCKXSIZE", "256"), ("BLOCKYSIZE", "256"), ("INTERLEAVE", "BAND")]
        switch self {
        case .none: return [("INTERLEAVE", "PIXEL")]
        case .deflate: return [("COMPRESS", "DEFLATE"), ("ZLEVEL", "1")] + layout
        case .zstd: return [("COMPRESS", "ZSTD"), ("ZSTD_LEVEL", "1")] + layout
        }
    }
}
