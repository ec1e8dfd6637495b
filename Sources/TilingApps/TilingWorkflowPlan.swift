import Dataflow
import Foundation
import Tiling

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

        public init(stageFilesPerTask: Int = 1, mergeTilesPerTask: Int = 16) {
            self.stageFilesPerTask = max(1, stageFilesPerTask)
            self.mergeTilesPerTask = max(1, mergeTilesPerTask)
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
        let inputs = try stager.discoverInputs().sorted()

        let (staged, stageStep, stageFailures) = await runStep("stage", apps.stageFiles, items: inputs, perTask: configuration.stageFilesPerTask)
        report.staged = staged
        report.steps.append(stageStep)
        report.failures += stageFailures

        let tiles = Set(staged.flatMap { $0.tiles.map(\.tile) }).sorted()
        let (merged, mergeStep, mergeFailures) = await runStep("merge", apps.mergeTiles, items: tiles, perTask: configuration.mergeTilesPerTask)
        report.merged = merged
        report.steps.append(mergeStep)
        report.failures += mergeFailures
        try StagingSummaryCSV.write(merged, tileMatrixSet: try workflow.tileMatrixSet(), to: workflow.filenameStagingSummary)
        return report
    }

    /// Submits `items` in batches of `perTask` and gathers the outputs; a failed task counts all its items
    /// as failed, with the task's error.
    func runStep<Item: Codable & Sendable & Hashable, Output: Codable & Sendable & Hashable>(
        _ name: String,
        _ app: App<TilingBatch<Item>, TilingBatchResult<Output>>,
        items: [Item],
        perTask: Int
    ) async -> ([Output], StepReport, [ItemFailure]) {
        let start = ContinuousClock.now
        let batches = stride(from: 0, to: items.count, by: perTask).map { Array(items[$0..<min(items.count, $0 + perTask)]) }
        progress.begin(name, total: batches.count)
        let progress = self.progress
        let futures = batches.map { batch in
            let future = kernel.submit(app, TilingBatch(configuration: workflow, items: batch))
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
                failures += batch.map { ItemFailure(step: name, item: "\($0)", message: "\(error)") }
            }
        }
        progress.end(name)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let step = StepReport(name: name, tasks: batches.count, tasksFailed: tasksFailed, items: items.count, itemsFailed: failures.count, seconds: seconds)
        return (outputs, step, failures)
    }
}
