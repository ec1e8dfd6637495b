/// What ``TileMerger/mergeTile(_:)`` wrote for one tile: the unit-of-work result the runtime records, and the
/// source of the staging summary CSV.
public struct TileMergeSummary: Sendable, Hashable, Codable {
    /// Rows of one input in the written tile (one staging-summary CSV row).
    public struct FileRows: Sendable, Hashable, Codable {
        /// `staging_filename`.
        public var filename: String
        /// Rows written (rows, not distinct polygons).
        public var rows: Int
        /// Sum of `staging_area` over those rows (deg² for geographic sets).
        public var area: Double
    }

    /// The tile.
    public var tile: TileIndex
    /// The staged GeoPackage path (absent when no row was left to write).
    public var path: String
    /// Shards merged.
    public var shards: Int
    /// Rows read from the shards.
    public var rowsRead: Int
    /// Rows written to the tile.
    public var rowsWritten: Int
    /// Rows labelled `staging_duplicated = true` (by clipping or by the dedup method), whether dropped or kept.
    public var rowsLabelledDuplicated: Int
    /// Rows dropped because `deduplicate_at` contains `staging`.
    public var rowsDropped: Int
    /// Per input, sorted by filename.
    public var files: [FileRows]
}
