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
    /// Features whose invalid polygon(s) GEOS's make-valid repaired before staging.
    public var featuresRepaired = 0
    /// Features dropped because their geometry was unusable: unreadable rings, an invalid polygon make-valid
    /// reduces to nothing, or coordinates that cannot be reprojected into the tile matrix set's CRS.
    public var featuresDropped = 0
    /// What happened to the repaired and dropped features, one line each (`feature 7: repaired: Self-intersection
    /// [0.5 0.5]`), at most ``noteLimit``.
    public var notes: [String] = []
    /// File-level warnings (an input with no features).
    public var warnings: [String] = []

    /// The most feature notes kept per file; the counts are always complete.
    public static let noteLimit = 20

    /// Creates a summary.
    public init(
        inputPath: String, filename: String, inputKey: String, featuresRead: Int, featuresSkipped: Int, polygonsStaged: Int,
        polygonsOutsideFootprint: Int, rowsWritten: Int, tiles: [TileRows], tilesDropped: [TileIndex]? = nil, featuresRepaired: Int = 0,
        featuresDropped: Int = 0, notes: [String] = [], warnings: [String] = []
    ) {
        self.inputPath = inputPath
        self.filename = filename
        self.inputKey = inputKey
        self.featuresRead = featuresRead
        self.featuresSkipped = featuresSkipped
        self.polygonsStaged = polygonsStaged
        self.polygonsOutsideFootprint = polygonsOutsideFootprint
        self.rowsWritten = rowsWritten
        self.tiles = tiles
        self.tilesDropped = tilesDropped
        self.featuresRepaired = featuresRepaired
        self.featuresDropped = featuresDropped
        self.notes = notes
        self.warnings = warnings
    }

    private enum CodingKeys: String, CodingKey {
        case inputPath, filename, inputKey, featuresRead, featuresSkipped, polygonsStaged, polygonsOutsideFootprint, rowsWritten, tiles, tilesDropped
        case featuresRepaired, featuresDropped, notes, warnings
    }

    /// Decodes a summary; the repair counts of manifests written before they existed read as zero.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        inputPath = try c.decode(String.self, forKey: .inputPath)
        filename = try c.decode(String.self, forKey: .filename)
        inputKey = try c.decode(String.self, forKey: .inputKey)
        featuresRead = try c.decode(Int.self, forKey: .featuresRead)
        featuresSkipped = try c.decode(Int.self, forKey: .featuresSkipped)
        polygonsStaged = try c.decode(Int.self, forKey: .polygonsStaged)
        polygonsOutsideFootprint = try c.decode(Int.self, forKey: .polygonsOutsideFootprint)
        rowsWritten = try c.decode(Int.self, forKey: .rowsWritten)
        tiles = try c.decode([TileRows].self, forKey: .tiles)
        tilesDropped = try c.decodeIfPresent([TileIndex].self, forKey: .tilesDropped)
        featuresRepaired = try c.decodeIfPresent(Int.self, forKey: .featuresRepaired) ?? 0
        featuresDropped = try c.decodeIfPresent(Int.self, forKey: .featuresDropped) ?? 0
        notes = try c.decodeIfPresent([String].self, forKey: .notes) ?? []
        warnings = try c.decodeIfPresent([String].self, forKey: .warnings) ?? []
    }
}
