import Dataflow
import Foundation
import Tiling

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

    /// Registers every pipeline app; call it the same way in the leader and in workers.
    public static func register(in builder: inout AppRegistry.Builder) -> TilingApps {
        let cacheable = AppOptions(cacheable: true)
        let stage = builder.register("stage_files", options: cacheable) { (batch: TilingBatch<String>) in
            try Self.stage(batch)
        }
        let merge = builder.register("merge_tiles", options: cacheable) { (batch: TilingBatch<TileIndex>) in
            try Self.merge(batch)
        }
        return TilingApps(stageFiles: stage, mergeTiles: merge)
    }

    /// The registry with only the pipeline's apps.
    public static func registry() throws -> (AppRegistry, TilingApps) {
        var builder = AppRegistry.Builder()
        let apps = register(in: &builder)
        return (try builder.build(), apps)
    }

    static func stage(_ batch: TilingBatch<String>) throws -> TilingBatchResult<StagedShardSummary> {
        let stager = try VectorTileStager(configuration: batch.configuration)
        var result = TilingBatchResult<StagedShardSummary>()
        for input in batch.items {
            do {
                result.outputs.append(try stager.stageFile(input))
            } catch {
                result.failures.append(ItemFailure(step: "stage", item: input, message: error.description))
            }
        }
        return result
    }

    static func merge(_ batch: TilingBatch<TileIndex>) throws -> TilingBatchResult<TileMergeSummary> {
        let merger = try TileMerger(configuration: batch.configuration)
        var result = TilingBatchResult<TileMergeSummary>()
        for tile in batch.items {
            do {
                result.outputs.append(try merger.mergeTile(tile))
            } catch {
                result.failures.append(ItemFailure(step: "merge", item: merger.layout.path(for: tile), message: error.description))
            }
        }
        return result
    }
}
