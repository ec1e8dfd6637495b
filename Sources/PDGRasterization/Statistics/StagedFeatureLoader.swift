import PDGTiling

/// Public access to a staged tile's features as the rasterizer reads them (benchmarks, embedders that rasterize
/// in memory with ``RasterPipeline/rasterize(features:config:tile:valueColumnTypes:)``).
public enum StagedFeatureLoader {
    /// Reads the staged tile of `tile` (dedup at `raster` applied) with the property columns the config's
    /// statistics need.
    public static func load(config: WorkflowConfiguration, tile: TileIndex) throws(RasterizationError) -> [StagedFeature] {
        let (_, columns) = try StatisticPlan.plans(for: config)
        let path = try RasterPipeline.wrap { () throws(TilingError) in try config.stagedTileLayout(tileMatrixSet: try config.tileMatrixSet()).path(for: tile) }
        let dedup = config.deduplicateMethod != nil && config.deduplicateAt.contains(.raster)
        return try StagedTileReader.read(
            path: path,
            request: .init(
                valueColumns: columns, centroidColumns: (config.properties.centroidX, config.properties.centroidY),
                duplicatedColumn: dedup ? config.properties.duplicated : nil)
        ).features
    }
}
