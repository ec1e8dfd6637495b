import DataflowCore
import Foundation
import PDGRasterization
import PDGTiling

/// The PDG pipeline on a kernel: stage → merge → (rasterize highest → parents level by level → web tiles).
///
/// What to do at each step comes from the results of the step before (the tiles staging touched, the
/// parents of the tiles just made), never from listing a bucket directory, which on GCS-fuse is slow and
/// eventually consistent. Batches are deterministic, so a resumed run finds finished ones in its checkpoint.
public struct TilingWorkflowPlan: Sendable {
    /// How many items each task gets.
    public struct Configuration: Sendable, Hashable, Codable {
        /// Input files per staging task. Default 1.
        public var stageFilesPerTask: Int
        /// Tiles per merge task. Default 16.
        public var mergeTilesPerTask: Int
        /// Tiles per highest-zoom rasterization task. Default 8.
        public var rasterizeTilesPerTask: Int
        /// Tiles per parent task. Default 32.
        public var parentTilesPerTask: Int
        /// Tiles per web-tile task. Default 32.
        public var webTilesPerTask: Int
        /// The base URL of `WMTSCapabilities.xml` (`viz-workflow run --base-url`); nil = the placeholder.
        public var wmtsBaseURL: String?
        /// A JSON file listing the input files (`viz-workflow run --inputs`); nil = scan `dir_input`.
        public var inputList: String?

        public init(
            stageFilesPerTask: Int = 1,
            mergeTilesPerTask: Int = 16,
            rasterizeTilesPerTask: Int = 8,
            parentTilesPerTask: Int = 32,
            webTilesPerTask: Int = 32
        ) {
            self.stageFilesPerTask = max(1, stageFilesPerTask)
            self.mergeTilesPerTask = max(1, mergeTilesPerTask)
            self.rasterizeTilesPerTask = max(1, rasterizeTilesPerTask)
            self.parentTilesPerTask = max(1, parentTilesPerTask)
            self.webTilesPerTask = max(1, webTilesPerTask)
        }
    }

    /// One step's numbers for the final summary.
    public struct StepReport: Sendable, Codable, Hashable {
        public var name: String
        public var tasks: Int
        public var tasksFailed: Int
        public var items: Int
        public var itemsFailed: Int
        public var seconds: Double
    }

    /// What a run did.
    public struct Report: Sendable, Codable {
        public var steps: [StepReport] = []
        public var failures: [ItemFailure] = []
        public var staged: [StagedShardSummary] = []
        public var merged: [TileMergeSummary] = []
        /// Every GeoTIFF made (highest zoom and parents) and every web tile rendered.
        public var rasters: [RasterTileSummary] = []
        public var webTiles: [RasterTileSummary] = []
        /// Tiles, at any zoom, whose outputs were deleted because no input touches them any more (an input
        /// changed or was removed).
        public var tilesRemoved: [TileIndex] = []
        /// Rows written to staged tiles (a polygon crossing tile edges counts once per tile).
        public var stagedRows: Int { merged.reduce(0) { $0 + $1.rowsWritten } }
        public var polygons: Int { staged.reduce(0) { $0 + $1.polygonsStaged } }
    }

    public let kernel: DataFlowKernel
    public let apps: TilingApps
    public let workflow: WorkflowConfiguration
    public let configuration: Configuration
    public let progress: ProgressReporter

    public init(kernel: DataFlowKernel, apps: TilingApps, workflow: WorkflowConfiguration, configuration: Configuration, progress: ProgressReporter) {
        self.kernel = kernel
        self.apps = apps
        self.workflow = workflow
        self.configuration = configuration
        self.progress = progress
    }

    public func run() async throws -> Report {
        var report = Report()
        let stager = try VectorTileStager(configuration: workflow)
        var stagedTiles: [TileIndex]
        var dropped: Set<TileIndex> = []
        if workflow.enableStager {
            (stagedTiles, dropped) = try await stage(stager, into: &report)
        } else {
            // enable_stager false (pdgworkflow 1.1.0): start from the staged tiles already in dir_staged.
            let layout = try workflow.stagedTileLayout(tileMatrixSet: try workflow.tileMatrixSet())
            stagedTiles = RasterizationRunner.listTiles(under: workflow.dirStaged, extension: workflow.extStaged, layout: layout)
                .filter { $0.z == workflow.maxZoom }
        }
        if workflow.enableRaster {
            try await rasterize(stagedTiles: stagedTiles, stager: stager, dropped: dropped, into: &report)
        }
        return report
    }

    /// Stage and merge; the staged tiles that received rows, and the tiles no input touches any more.
    private func stage(_ stager: VectorTileStager, into report: inout Report) async throws -> (tiles: [TileIndex], dropped: Set<TileIndex>) {
        let inputs = try configuration.inputList.map { path throws(TilingError) in try stager.inputs(listedIn: path) } ?? stager.discoverInputs().sorted()

        let workflow = self.workflow
        let (staged, stageStep, stageFailures) = await runStep("stage", .stage, apps.stageFiles, items: inputs, perTask: configuration.stageFilesPerTask) {
            TilingBatch(configuration: workflow, items: $0, files: TilingFiles.stageInputs(stager, $0))
        }
        report.staged = staged
        report.steps.append(stageStep)
        report.failures += stageFailures

        // An input that failed this time keeps what its last successful staging wrote: nothing done is lost.
        let stagedNow = Set(staged.map(\.inputPath))
        let kept = inputs.filter { !stagedNow.contains($0) }.compactMap { stager.previousSummary(forInputPath: $0) }
        let contributing = staged + kept
        let tiles = Set(contributing.flatMap { $0.tiles.map(\.tile) }).sorted()
        let (merged, mergeStep, mergeFailures) = await runStep("merge", .merge, apps.mergeTiles, items: tiles, perTask: configuration.mergeTilesPerTask) {
            TilingBatch(configuration: workflow, items: $0, files: TilingFiles.shards(stager, staged: contributing, tiles: $0))
        }
        report.merged = merged
        report.steps.append(mergeStep)
        report.failures += mergeFailures
        try StagingSummaryCSV.write(merged, tileMatrixSet: try workflow.tileMatrixSet(), to: workflow.filenameStagingSummary)

        // Tiles that no input touches any more lose their outputs.
        var dropped = Set(staged.flatMap { $0.tilesDropped ?? [] })
        dropped.formUnion(stager.forgetInputs(notIn: inputs))
        dropped.subtract(tiles)
        return (merged.filter { $0.rowsWritten > 0 }.map(\.tile).sorted(), dropped)
    }

    /// Deletes every output of `tiles` (staged tile, GeoTIFF, web tiles); missing ones are fine.
    private func removeOutputs(of tiles: some Sequence<TileIndex>, stager: VectorTileStager, into report: inout Report) {
        let geotiffs = try? RasterPipeline.geotiffLayout(workflow)
        let webTiles = try? RasterPipeline.webTileLayout(workflow)
        for tile in tiles {
            report.tilesRemoved.append(tile)
            var paths = [stager.layout.path(for: tile)]
            if let geotiffs { paths.append(geotiffs.path(for: tile)) }
            if let webTiles { paths += workflow.statistics.map { webTiles.path(for: tile, style: $0.name) } }
            for path in paths { unlink(path) }
        }
    }

    /// Highest zoom, then each parent level from the one below; each level's web tiles start as soon as the
    /// level is complete (they need only its GeoTIFFs and its value ranges), overlapping the next level.
    /// `enable_raster_parents`, `enable_web_tiles` and `enable_web_tiles_parents` skip their steps.
    private func rasterize(stagedTiles: [TileIndex], stager: VectorTileStager, dropped: Set<TileIndex>, into report: inout Report) async throws {
        var level = stagedTiles.sorted()
        removeOutputs(of: dropped.sorted(), stager: stager, into: &report)
        var droppedLevel = dropped
        let workflow = self.workflow
        let (highest, rasterStep, rasterFailures) = await runStep(
            "rasterize",
            .highestZoom,
            apps.rasterizeTiles,
            items: level,
            perTask: configuration.rasterizeTilesPerTask
        ) { TilingBatch(configuration: workflow, items: $0, files: TilingFiles.stagedTiles(stager, $0)) }
        report.steps.append(rasterStep)
        report.failures += rasterFailures
        report.rasters += highest

        var webTileSteps: [Task<([RasterTileSummary], StepReport, [ItemFailure]), Never>] = []
        var usedRanges: [ZoomValueRanges] = []
        func startWebTiles(_ summaries: [RasterTileSummary], zoom: Int) {
            guard workflow.enableWebTiles, zoom == workflow.maxZoom || workflow.enableWebTilesParents else { return }
            let ranges = RasterPipeline.computeRanges(config: workflow, zoom: zoom, summaries: summaries)
            usedRanges.append(ranges)
            let tiles = summaries.map(\.tile).sorted()
            let plan = self
            webTileSteps.append(
                Task {
                    await plan.runStep("web tiles z\(zoom)", .webTiles, plan.apps.renderWebTiles, items: tiles, perTask: plan.configuration.webTilesPerTask) {
                        WebTileBatch(configuration: plan.workflow, items: $0, ranges: ranges)
                    }
                }
            )
        }
        startWebTiles(highest, zoom: workflow.maxZoom)
        level = highest.map(\.tile)
        var zoom = workflow.maxZoom - 1
        while workflow.enableRasterParents, zoom >= workflow.minZoom, !level.isEmpty {
            let parents = Set(level.map(\.parent)).sorted()
            // A parent of a removed tile with no child left goes too; one with children is made again.
            droppedLevel = Set(droppedLevel.map(\.parent)).subtracting(parents)
            removeOutputs(of: droppedLevel.sorted(), stager: stager, into: &report)
            let (made, step, failures) = await runStep(
                "parents z\(zoom)",
                .parent,
                apps.makeParents,
                items: parents,
                perTask: configuration.parentTilesPerTask
            ) { TilingBatch(configuration: workflow, items: $0, files: TilingFiles.childGeotiffs(workflow, $0)) }
            report.steps.append(step)
            report.failures += failures
            report.rasters += made
            startWebTiles(made, zoom: zoom)
            level = made.map(\.tile)
            zoom -= 1
        }
        for task in webTileSteps {
            let (rendered, step, failures) = await task.value
            report.steps.append(step)
            report.failures += failures
            report.webTiles += rendered
        }
        // Every raster failure, whole-task ones included (they carry their tiles), is an event.
        let rasterFailureRows = report.failures.filter { $0.step.isRaster }
        // This run's CSVs describe this run, each written once, whole (PDG appends across runs; a bucket
        // cannot append).
        try RastersSummaryCSV.write(report.rasters + report.webTiles, to: workflow.filenameRastersSummary)
        try RasterizationEventsCSV.write(summaries: report.rasters + report.webTiles, failures: rasterFailureRows, to: workflow.filenameRasterizationEvents)
        if !report.webTiles.isEmpty {
            // PDG's update_ranges: the ranges the web tiles used, for a later run over more data.
            try UpdatedConfiguration.write(usedRanges, config: workflow)
        }
        if workflow.generateWMTSCapabilities, !report.webTiles.isEmpty {
            // The config's title and DOI, the data's extent, and the configured tile_path_structure.
            var capabilities = WMTSCapabilities.Configuration(for: workflow)
            if let base = configuration.wmtsBaseURL { capabilities.baseURL = base }
            capabilities.boundingBox = try WMTSCapabilities.dataBoundingBox(of: report.rasters, tileMatrixSet: try workflow.tileMatrixSet())
            let xml = try WMTSCapabilities(configuration: capabilities).document(for: workflow)
            try AtomicFile.write(Data(xml.utf8), to: (workflow.dirWebTiles as NSString).appendingPathComponent("WMTSCapabilities.xml"))
        }
    }

    /// Submits `items` in batches of `perTask` and gathers the outputs; a failed task counts all its items
    /// as failed, with the task's error, under `step` and with their tiles, like the failures items report.
    func runStep<Item: Codable & Sendable & Hashable, Input: Codable & Sendable, Output: Codable & Sendable & Hashable>(
        _ name: String,
        _ step: PipelineStep,
        _ app: App<Input, TilingBatchResult<Output>>,
        items: [Item],
        perTask: Int,
        makeInput: @Sendable ([Item]) -> Input
    ) async -> ([Output], StepReport, [ItemFailure]) {
        let start = ContinuousClock.now
        let batches = stride(from: 0, to: items.count, by: perTask).map { Array(items[$0..<min(items.count, $0 + perTask)]) }
        progress.begin(name, total: batches.count)
        let progress = self.progress
        let futures = batches.map { batch in
            let future = kernel.submit(app, makeInput(batch))
            future.whenDone { result in
                let failed: Bool
                switch result {
                case .success(let r): failed = !r.failures.isEmpty
                case .failure: failed = true
                }
                progress.taskFinished(name, failed: failed)
            }
            return future
        }
        var outputs: [Output] = []
        var failures: [ItemFailure] = []
        var tasksFailed = 0
        for (future, batch) in zip(futures, batches) {
            switch await future.result {
            case .success(let result):
                outputs += result.outputs
                failures += result.failures
                if !result.failures.isEmpty { tasksFailed += 1 }
            case .failure(let error):
                tasksFailed += 1
                failures += batch.map { item in
                    let tile = item as? TileIndex
                    return ItemFailure(step: step, path: tile.map { itemPath(of: $0, step: step) } ?? "\(item)", message: "\(error)", tile: tile)
                }
            }
        }
        progress.end(name)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let report = StepReport(name: name, tasks: batches.count, tasksFailed: tasksFailed, items: items.count, itemsFailed: failures.count, seconds: seconds)
        return (outputs, report, failures)
    }

    /// The file a tile step writes (merge: the staged tile; raster steps: the GeoTIFF made or rendered), as an
    /// item that fails inside a task names it.
    private func itemPath(of tile: TileIndex, step: PipelineStep) -> String {
        switch step {
        case .merge: return (try? workflow.stagedTileLayout(tileMatrixSet: workflow.tileMatrixSet()).path(for: tile)) ?? "\(tile)"
        default: return (try? RasterPipeline.geotiffLayout(workflow).path(for: tile)) ?? "\(tile)"
        }
    }
}
