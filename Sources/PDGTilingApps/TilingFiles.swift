import Foundation
import PDGRasterization
import PDGTiling

/// The files each step of the pipeline reads, as the workflow plan declares them to the runtime
/// (``TilingBatch/files``, ``WebTileBatch/inputFiles``). Paths only: nothing here touches the disk.
public enum TilingFiles {
    /// What staging the `inputs` reads: each input with its companions and footprint.
    public static func stageInputs(_ stager: VectorTileStager, _ inputs: [String]) -> [String] {
        inputs.flatMap { stager.sourceFiles(forInputPath: $0) }.sorted()
    }

    /// The shards merging `tiles` reads: those the stagings of this run reported for each tile.
    public static func shards(_ stager: VectorTileStager, staged: [StagedShardSummary], tiles: [TileIndex]) -> [String] {
        let wanted = Set(tiles)
        var paths: [String] = []
        for summary in staged {
            for entry in summary.tiles where wanted.contains(entry.tile) {
                paths.append(stager.shardPath(filename: summary.filename, tile: entry.tile))
            }
        }
        return paths.sorted()
    }

    /// The staged GeoPackages rasterizing `tiles` reads.
    public static func stagedTiles(_ stager: VectorTileStager, _ tiles: [TileIndex]) -> [String] {
        tiles.map { stager.layout.path(for: $0) }.sorted()
    }

    /// The GeoTIFFs of `tiles` (what web tiles read).
    public static func geotiffs(_ configuration: WorkflowConfiguration, _ tiles: [TileIndex]) -> [String] {
        guard let layout = try? RasterPipeline.geotiffLayout(configuration) else { return [] }
        return tiles.map { layout.path(for: $0) }.sorted()
    }

    /// The child GeoTIFFs making the parents `tiles` reads, existing or not (a missing child is part of
    /// what the parent is).
    public static func childGeotiffs(_ configuration: WorkflowConfiguration, _ tiles: [TileIndex]) -> [String] {
        geotiffs(configuration, tiles.flatMap(\.children))
    }
}
