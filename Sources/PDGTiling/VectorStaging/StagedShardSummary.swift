/// What ``VectorTileStager/stageFile(_:)`` did for one input: the unit-of-work result the runtime records.
public struct StagedShardSummary: Sendable, Hashable, Codable {
    /// Rows written for one tile.
    public struct TileRows: Sendable, Hashable, Codable {
        /// The max-z tile.
        public var tile: TileIndex
        /// Rows in this input's shard of the tile.
        public var rows: Int
    }

    /// The input path as given.
    public var inputPath: String
    /// `staging_filename` (path relative to `dir_input`).
    public var filename: String
    /// The shard file stem this input owns (`<key>.shard` in every tile directory).
    public var inputKey: String
    /// Features read from the input.
    public var featuresRead: Int
    /// Features skipped because their geometry is not a (Multi)Polygon, or is null/empty.
    public var featuresSkipped: Int
    /// Polygons staged (MultiPolygon parts count separately).
    public var polygonsStaged: Int
    /// Polygons labelled duplicated because they fall outside the input's footprint.
    public var polygonsOutsideFootprint: Int
    /// Total rows written over all tiles (a polygon crossing a tile edge counts once per tile).
    public var rowsWritten: Int
    /// The tiles touched, ascending.
    public var tiles: [TileRows]
    /// Tiles an earlier staging of this input touched and this one does not (its shards there were deleted),
    /// accumulated over re-stagings, ascending; `nil` when none. A tile here that no other input touches has
    /// outputs that must go.
    public var tilesDropped: [TileIndex]?
}
