import PDGTiling

/// What one unit of raster work produced: a GeoTIFF (highest zoom or parent) or the web tiles of one GeoTIFF.
public struct RasterTileSummary: Sendable, Hashable, Codable {
    /// Which step produced it (``PipelineStep/highestZoom``, ``PipelineStep/parent`` or ``PipelineStep/webTiles``).
    public typealias Step = PipelineStep

    /// The step.
    public var step: Step
    /// The tile.
    public var tile: TileIndex
    /// The GeoTIFF written (or, for web tiles, read).
    public var geotiffPath: String
    /// PNGs written (web tiles only), one per statistic.
    public var webTilePaths: [String]
    /// `[left, right, bottom, top]` of the raster.
    public var bounds: BoundingBox
    /// Per-band statistics.
    public var bands: [BandSummary]
    /// Staged rows read (highest zoom only).
    public var rowsRead: Int
    /// Staged rows dropped as duplicates (highest zoom with dedup at `raster`).
    public var rowsDroppedAsDuplicates: Int
    /// Unix time the work started.
    public var startTime: Double
    /// Unix time it ended.
    public var endTime: Double
    /// Thread CPU seconds spent.
    public var cpuSeconds: Double

    /// Wall seconds spent.
    public var totalTime: Double { endTime - startTime }

    /// Creates a summary.
    public init(
        step: Step, tile: TileIndex, geotiffPath: String, webTilePaths: [String], bounds: BoundingBox, bands: [BandSummary],
        rowsRead: Int, rowsDroppedAsDuplicates: Int, startTime: Double, endTime: Double, cpuSeconds: Double
    ) {
        self.step = step
        self.tile = tile
        self.geotiffPath = geotiffPath
        self.webTilePaths = webTilePaths
        self.bounds = bounds
        self.bands = bands
        self.rowsRead = rowsRead
        self.rowsDroppedAsDuplicates = rowsDroppedAsDuplicates
        self.startTime = startTime
        self.endTime = endTime
        self.cpuSeconds = cpuSeconds
    }
}

/// A raster unit of work that failed: the pipeline's one failure type.
public typealias RasterTileFailure = PipelineFailure

extension PipelineFailure {
    /// The failure of a tile step.
    public init(step: PipelineStep, tile: TileIndex, path: String, message: String, startTime: Double, endTime: Double) {
        self.init(step: step, path: path, message: message, tile: tile, startTime: startTime, endTime: endTime)
    }
}
