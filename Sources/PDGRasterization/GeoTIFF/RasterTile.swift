import PDGTiling

/// A tile's raster in memory: bands of `grid.rows × grid.columns` doubles (row 0 = north), their descriptions and
/// the data type they are stored with.
public struct RasterTile: Sendable {
    /// The tile.
    public var tile: TileIndex
    /// Its pixel grid.
    public var grid: PixelGrid
    /// Band values, row-major, one array per band.
    public var bands: [[Double]]
    /// Band descriptions (statistic names).
    public var descriptions: [String]
    /// The stored data type.
    public var dataType: RasterDataType

    /// Creates a raster tile.
    public init(tile: TileIndex, grid: PixelGrid, bands: [[Double]], descriptions: [String], dataType: RasterDataType) {
        self.tile = tile
        self.grid = grid
        self.bands = bands
        self.descriptions = descriptions
        self.dataType = dataType
    }

    /// Summaries of every band.
    public func summaries() -> [BandSummary] {
        zip(descriptions, bands).map { BandSummary(stat: $0, values: $1) }
    }
}
