import Foundation

/// Runs a whole staging in this process: `stageFile` for every input, then `mergeTile` for every touched tile,
/// each phase on a bounded task group, then the summary CSV. This is what `viz-workflow stage` does; the
/// distributed runtime schedules the same two units of work as tasks instead.
public struct StagingRunner: Sendable {
    /// Options of a run.
    public struct Configuration: Sendable {
        /// Concurrent units of work, default the number of active cores.
        public var workers: Int = ProcessInfo.processInfo.activeProcessorCount
        /// Whether to write `filename_staging_summary`, default true.
        public var writesSummary = true

        /// The defaults.
        public init() {}
    }

    /// An input or tile that failed: the pipeline's one failure type.
    public typealias Failure = PipelineFailure

    /// The report of a run.
    public struct Report: Sendable, Codable {
        /// Per staged input.
        public var staged: [StagedShardSummary]
        /// Per merged tile.
        public var merged: [TileMergeSummary]
        /// Inputs (or tiles) that failed, with their errors.
        public var failures: [Failure]
        /// Wall-clock seconds of the staging phase.
        public var stageSeconds: Double
        /// Wall-clock seconds of the merge phase.
        public var mergeSeconds: Double
        /// Process CPU seconds (user + system) spent in the staging phase.
        public var stageCPUSeconds: Double
        /// Process CPU seconds (user + system) spent in the merge phase.
        public var mergeCPUSeconds: Double
    }

    /// The workflow configuration.
    public let workflow: WorkflowConfiguration
    /// The run options.
    public let configuration: Configuration

    /// - Parameters:
    ///   - workflow: The PDG configuration (relative paths resolve against the current directory).
    ///   - configuration: Run options.
    public init(workflow: WorkflowConfiguration, configuration: Configuration = .init()) {
        self.workflow = workflow
        self.configuration = configuration
    }

    /// Stages the given inputs (default: all inputs found under `dir_input`).
    public func run(inputs explicitInputs: [String]? = nil) async throws(TilingError) -> Report {
        let stager = try VectorTileStager(configuration: workflow)
        let merger = try TileMerger(configuration: workflow)
        let inputs: [String]
        if let explicitInputs { inputs = explicitInputs } else { inputs = try stager.discoverInputs() }
        let workers = max(1, configuration.workers)

        let stageStart = ContinuousClock.now
        let stageCPUStart = Self.processCPUSeconds()
        let stageResults = await Self.boundedMap(inputs, workers: workers) { input in
            Result { () throws(TilingError) -> StagedShardSummary in try stager.stageFile(input) }
        }
        let stageSeconds = Self.seconds(since: stageStart)
        let stageCPUSeconds = Self.processCPUSeconds() - stageCPUStart

        var staged: [StagedShardSummary] = []
        var failures: [Failure] = []
        for (input, result) in zip(inputs, stageResults) {
            switch result {
            case .success(let summary): staged.append(summary)
            case .failure(let error): failures.append(Failure(step: .stage, path: input, message: error.description))
            }
        }

        let tiles = Set(staged.flatMap { $0.tiles.map(\.tile) }).sorted()
        let mergeStart = ContinuousClock.now
        let mergeCPUStart = Self.processCPUSeconds()
        let mergeResults = await Self.boundedMap(tiles, workers: workers) { tile in
            Result { () throws(TilingError) -> TileMergeSummary in try merger.mergeTile(tile) }
        }
        let mergeSeconds = Self.seconds(since: mergeStart)
        let mergeCPUSeconds = Self.processCPUSeconds() - mergeCPUStart
        var merged: [TileMergeSummary] = []
        for (tile, result) in zip(tiles, mergeResults) {
            switch result {
            case .success(let summary): merged.append(summary)
            case .failure(let error): failures.append(Failure(step: .merge, path: merger.layout.path(for: tile), message: error.description, tile: tile))
            }
        }
        if configuration.writesSummary {
            try StagingSummaryCSV.write(merged, tileMatrixSet: merger.tileMatrixSet, to: workflow.filenameStagingSummary)
        }
        return Report(
            staged: staged,
            merged: merged,
            failures: failures,
            stageSeconds: stageSeconds,
            mergeSeconds: mergeSeconds,
            stageCPUSeconds: stageCPUSeconds,
            mergeCPUSeconds: mergeCPUSeconds
        )
    }

    /// Runs `body` over `items` with at most `workers` at once; results keep the order of `items`.
    static func boundedMap<Item: Sendable, Output: Sendable>(
        _ items: [Item],
        workers: Int,
        _ body: @escaping @Sendable (Item) -> Output
    ) async -> [Output] {
        await withTaskGroup(of: (Int, Output).self) { group in
            var results = [Output?](repeating: nil, count: items.count)
            var next = 0
            while next < min(workers, items.count) {
                let index = next
                group.addTask { (index, body(items[index])) }
                next += 1
            }
            while let (index, output) = await group.next() {
                results[index] = output
                if next < items.count {
                    let index = next
                    group.addTask { (index, body(items[index])) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }

    /// User + system CPU time of the whole process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
