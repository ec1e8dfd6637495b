/// Options of the raster steps that are not part of a PDG config.
public struct RasterPipelineOptions: Sendable, Hashable, Codable {
    /// How value ranges with null ends are completed from data.
    public enum RangeMode: String, Sendable, Hashable, Codable {
        /// Per zoom level over all tiles of the level (the fix of spec §9: neighbouring tiles share colours).
        case perZoom
        /// Per tile, as pdgraster 0.9.3 effectively does (its per-zoom ranges are never found, bug §9).
        case perTileLegacy
    }

    /// GeoTIFF compression (default ZSTD level 1, 256 × 256 tiles, band-interleaved, no predictor; `.none` for pdgraster's uncompressed strips).
    public var compression: GeoTIFFCompression = .zstd
    /// Range completion for web tiles (default per zoom).
    public var rangeMode: RangeMode = .perZoom
    /// zlib level of PNGs (default 1: ~2× faster than 6 for ~14 % larger files, still smaller than pdgraster's).
    public var pngCompressionLevel: Int32 = 1

    /// The defaults.
    public init() {}
}
