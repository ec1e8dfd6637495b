import Foundation

/// The steps of the PDG pipeline: one vocabulary for staging, rasterization, the workflow plan and their reports.
/// The raw values of the raster steps are the `type` column of `rasterization_events.csv`.
public enum PipelineStep: String, Sendable, Hashable, Codable, CaseIterable {
    /// Staging one input file into shards.
    case stage
    /// Merging a tile's shards into its staged GeoPackage.
    case merge
    /// The GeoTIFF of a staged tile (`max_z`).
    case highestZoom = "geotiff_highest_zoom"
    /// A parent GeoTIFF from its children.
    case parent = "geotiff_parent"
    /// The web tiles of one GeoTIFF.
    case webTiles = "web_tiles"

    /// Whether the step belongs to rasterization (its events go to `rasterization_events.csv`).
    public var isRaster: Bool { self == .highestZoom || self == .parent || self == .webTiles }
}

/// An input file or tile that could not be processed, in any step, and why: the one failure type of staging,
/// rasterization and the workflow plan. A whole task that fails (a lost worker, a walltime) gives one per item of
/// its batch, with the task's error.
public struct PipelineFailure: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The step.
    public var step: PipelineStep
    /// The input file, or the tile's output (staged tile or GeoTIFF).
    public var path: String
    /// The tile, for tile steps.
    public var tile: TileIndex?
    /// The error text (code and message), naming the file or tile.
    public var message: String
    /// Unix time the work started.
    public var startTime: Double
    /// Unix time it ended.
    public var endTime: Double

    /// Creates a failure; the times default to now.
    public init(
        step: PipelineStep, path: String, message: String, tile: TileIndex? = nil, startTime: Double = Date().timeIntervalSince1970,
        endTime: Double? = nil
    ) {
        self.step = step
        self.path = path
        self.tile = tile
        self.message = message
        self.startTime = startTime
        self.endTime = endTime ?? startTime
    }

    /// `[step] path: message`.
    public var description: String { "[\(step.rawValue)] \(path): \(message)" }
}
