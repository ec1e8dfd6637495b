import DataflowCore
import Foundation
import PDGRasterization
import PDGTiling

/// The PDG pipeline's steps as runtime apps. The leader and every worker build the registry with
/// ``register(in:)``, so a worker can run any step by name.
///
/// Every app takes a ``TilingBatch`` and returns a ``TilingBatchResult``. Each is cacheable: a resumed run
/// answers finished batches from the checkpoint and redoes only the rest. Each writes only files it owns,
/// atomically, so a re-run or a second try never tears or duplicates anything.
public struct TilingApps: Sendable {
    /// Stage input files into per-input shards (`VectorTileStager.stageFile`).
    public let stageFiles: App<TilingBatch<String>, TilingBatchResult<StagedShardSummary>>
    /// Merge and deduplicate the shards of tiles into staged GeoPackages (`TileMerger.mergeTile`).
    public let mergeTiles: App<TilingBatch<TileIndex>, TilingBatchResult<TileMergeSummary>>
    /// Rasterize staged tiles into highest-zoom GeoTIFFs (`RasterPipeline.rasterizeTile`).
    public let rasterizeTiles: App<TilingBatch<TileIndex>, TilingBatchResult<RasterTileSummary>>
    /// Build parent GeoTIFFs from their children (`RasterPipeline.makeParent`).
    public let makeParents: App<TilingBatch<TileIndex>, TilingBatchResult<RasterTileSummary>>
    /// Render PNG web tiles from GeoTIFFs with the level's ranges (`RasterPipeline.renderWebTile`).
    public let renderWebTiles: App<WebTileBatch, TilingBatchResult<RasterTileSummary>>

    /// Registers every pipeline app; call it the same way in the leader and in workers.
    public static func register(in builder: inout AppRegistry.Builder) -> TilingApps {
        let cacheable = AppOptions(cacheable: true)
        let stage = builder.register("stage_files", options: cacheable) { (batch: TilingBatch<String>) in
            try Self.stage(batch)
        }
        let merge = builder.register("merge_tiles", options: cacheable) { (batch: TilingBatch<TileIndex>) in
            try Self.merge(batch)
        }
        let rasterize = builder.register("rasterize_tiles", options: cacheable) { (batch: TilingBatch<TileIndex>) in
            Self.each(batch.items, step: .highestZoom, configuration: batch.configuration) { tile throws(RasterizationError) in
                try RasterPipeline.rasterizeTile(config: batch.configuration, tile: tile)
            }
        }
        let parents = builder.register("make_parents", options: cacheable) { (batch: TilingBatch<TileIndex>) in
            Self.each(batch.items, step: .parent, configuration: batch.configuration) { tile throws(RasterizationError) in
                try RasterPipeline.makeParent(config: batch.configuration, tile: tile)
            }
        }
        let webTiles = builder.register("render_web_tiles", options: cacheable) { (batch: WebTileBatch) in
            Self.each(batch.items, step: .webTiles, configuration: batch.configuration) { tile throws(RasterizationError) in
                try RasterPipeline.renderWebTile(config: batch.configuration, tile: tile, ranges: batch.ranges)
            }
        }
        return TilingApps(stageFiles: stage, mergeTiles: merge, rasterizeTiles: rasterize, makeParents: parents, renderWebTiles: webTiles)
    }

    /// The registry with only the pipeline's apps.
    public static func registry() throws -> (AppRegistry, TilingApps) {
        var builder = AppRegistry.Builder()
        let apps = register(in: &builder)
        return (try builder.build(), apps)
    }

    /// Runs `work` for each tile; a tile that fails is reported with its GeoTIFF path and skipped.
    static func each(
        _ tiles: [TileIndex],
        step: PipelineStep,
        configuration: WorkflowConfiguration,
        _ work: (TileIndex) throws(RasterizationError) -> RasterTileSummary
    ) -> TilingBatchResult<RasterTileSummary> {
        var result = TilingBatchResult<RasterTileSummary>()
        let layout = try? RasterPipeline.geotiffLayout(configuration)
        for tile in tiles {
            do {
                let summary = try work(tile)
                result.outputs.append(summary)
                result.written += summary.step == .webTiles ? summary.webTilePaths : [summary.geotiffPath]
            } catch {
                result.failures.append(ItemFailure(step: step, path: layout?.path(for: tile) ?? "\(tile)", message: error.description, tile: tile))
            }
        }
        return result
    }

    static func stage(_ batch: TilingBatch<String>) throws -> TilingBatchResult<StagedShardSummary> {
        let stager = try VectorTileStager(configuration: batch.configuration)
        var result = TilingBatchResult<StagedShardSummary>()
        for input in batch.items {
            do {
                let summary = try stager.stageFile(input)
                result.outputs.append(summary)
                result.written += summary.tiles.map { stager.shardPath(filename: summary.filename, tile: $0.tile) }
                result.written.append(stager.manifestPath(inputKey: summary.inputKey))
            } catch {
                result.failures.append(ItemFailure(step: .stage, path: input, message: error.description))
            }
        }
        return result
    }

    static func merge(_ batch: TilingBatch<TileIndex>) throws -> TilingBatchResult<TileMergeSummary> {
        let merger = try TileMerger(configuration: batch.configuration)
        var result = TilingBatchResult<TileMergeSummary>()
        // The shards this run's stagings reported, by tile directory: shards of inputs no longer in the set are
        // not merged.
        let shardsByDirectory = Dictionary(grouping: batch.files) { ($0 as NSString).deletingLastPathComponent }
        for tile in batch.items {
            do {
                let directory = "\(merger.stager.shardRoot)/\(merger.layout.relativeStem(for: tile))"
                let summary = try merger.mergeTile(tile, shards: batch.files.isEmpty ? nil : shardsByDirectory[directory] ?? [])
                result.outputs.append(summary)
                if FileManager.default.fileExists(atPath: summary.path) { result.written.append(summary.path) }
            } catch {
                result.failures.append(ItemFailure(step: .merge, path: merger.layout.path(for: tile), message: error.description, tile: tile))
            }
        }
        return result
    }
}
