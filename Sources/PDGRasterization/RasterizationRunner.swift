import Foundation
import PDGTiling

/// Runs the raster steps for a whole config in this process (what `viz-workflow rasterize` / `webtiles` do):
/// every tile is an independent task, at most `workers` at a time; failures are collected, never abort the batch.
public struct RasterizationRunner: Sendable {
    /// Runner settings.
    public struct Configuration: Sendable, Hashable, Codable {
        /// Concurrent tiles.
        public var workers = ProcessInfo.processInfo.activeProcessorCount
        /// Options of the raster steps.
        public var options = RasterPipelineOptions()
        /// Whether `webtiles` also writes `<dir_web_tiles>/WMTSCapabilities.xml`.
        public var writesCapabilities = true
        /// The capabilities settings.
        public var capabilities = WMTSCapabilities.Configuration()

        /// The defaults.
        public init() {}
    }

    /// What a run did.
    public struct Report: Sendable, Codable {
        /// Successful units of work in completion order.
        public var summaries: [RasterTileSummary] = []
        /// Failed units of work.
        public var failures: [RasterTileFailure] = []
        /// Wall seconds.
        public var wallSeconds = 0.0
    }

    /// The workflow config (paths resolved as the caller wants them).
    public var workflow: WorkflowConfiguration
    /// Settings.
    public var configuration: Configuration

    /// Creates a runner.
    public init(workflow: WorkflowConfiguration, configuration: Configuration = Configuration()) {
        self.workflow = workflow
        self.configuration = configuration
    }

    /// Highest zoom from every staged tile, then every parent level down to `min_z`; appends both CSVs once.
    public func rasterize() async throws(RasterizationError) -> Report {
        let start = ThreadClock.now()
        var report = Report()
        let stagedLayout = try RasterPipeline.wrap { () throws(TilingError) in try workflow.stagedTileLayout(tileMatrixSet: try workflow.tileMatrixSet()) }
        let staged = Self.listTiles(under: workflow.dirStaged, extension: workflow.extStaged, layout: stagedLayout).filter { $0.z == workflow.maxZoom }
        let config = workflow
        let options = configuration.options
        var level = await run(staged, step: .highestZoom, path: { stagedLayout.path(for: $0) }) { tile throws(RasterizationError) in
            try RasterPipeline.rasterizeTile(config: config, tile: tile, options: options)
        }
        try record(level, into: &report)
        var zoom = workflow.maxZoom - 1
        let geotiffs = try RasterPipeline.geotiffLayout(workflow)
        while workflow.enableRasterParents, zoom >= workflow.minZoom {
            let parents = Array(Set(level.summaries.map(\.tile.parent))).sorted()
            level = await run(parents, step: .parent, path: { geotiffs.path(for: $0) }) { tile throws(RasterizationError) in
                try RasterPipeline.makeParent(config: config, tile: tile, options: options)
            }
            try record(level, into: &report)
            zoom -= 1
        }
        try appendCSVs(report)
        report.wallSeconds = ThreadClock.now() - start
        return report
    }

    /// Web tiles for every GeoTIFF under `dir_geotiff`, level by level (ranges per level first); appends both CSVs
    /// once and writes the WMTS capabilities.
    public func renderWebTiles() async throws(RasterizationError) -> Report {
        let start = ThreadClock.now()
        var report = Report()
        let layout = try RasterPipeline.geotiffLayout(workflow)
        let tiles = Self.listTiles(under: workflow.dirGeotiff, extension: ".tif", layout: layout)
        let config = workflow
        let options = configuration.options
        var usedRanges: [ZoomValueRanges] = []
        for zoom in Set(tiles.map(\.z)).sorted(by: >) where zoom == workflow.maxZoom || workflow.enableWebTilesParents {
            let level = tiles.filter { $0.z == zoom }
            var ranges: ZoomValueRanges?
            var bands: [TileIndex: [BandSummary]] = [:]
            if options.rangeMode == .perZoom {
                let summaries = await run(level, step: .webTiles, path: { layout.path(for: $0) }) { tile throws(RasterizationError) in
                    try RasterPipeline.summarizeGeoTIFF(config: config, tile: tile)
                }
                ranges = RasterPipeline.computeRanges(config: workflow, zoom: zoom, summaries: summaries.summaries)
                if let ranges { usedRanges.append(ranges) }
                for summary in summaries.summaries { bands[summary.tile] = summary.bands }
            }
            let levelRanges = ranges
            let levelBands = bands
            let result = await run(level, step: .webTiles, path: { layout.path(for: $0) }) { tile throws(RasterizationError) in
                try RasterPipeline.renderWebTile(config: config, tile: tile, ranges: levelRanges, options: options, bandSummaries: levelBands[tile])
            }
            try record(result, into: &report)
        }
        if !usedRanges.isEmpty {
            // PDG's update_ranges: the per-level ranges the web tiles used.
            try UpdatedConfiguration.write(usedRanges, config: workflow)
        }
        if configuration.writesCapabilities, workflow.generateWMTSCapabilities, !tiles.isEmpty {
            var capabilities = configuration.capabilities
            if capabilities.boundingBox == nil {
                capabilities.boundingBox = try WMTSCapabilities.dataBoundingBox(of: report.summaries, tileMatrixSet: RasterPipeline.tileMatrixSet(workflow))
            }
            let xml = try WMTSCapabilities(configuration: capabilities).document(for: workflow)
            try AtomicWrite.write(Data(xml.utf8), to: (workflow.dirWebTiles as NSString).appendingPathComponent("WMTSCapabilities.xml"))
        }
        try appendCSVs(report)
        report.wallSeconds = ThreadClock.now() - start
        return report
    }

    private func record(_ level: Report, into report: inout Report) throws(RasterizationError) {
        report.summaries += level.summaries
        report.failures += level.failures
    }

    /// Appends this command's rows to both CSVs, once at its end: PDG appends across commands (`rasterize`, then
    /// `webtiles`), and on a bucket every append re-uploads the whole object, so once per command, not per level.
    private func appendCSVs(_ report: Report) throws(RasterizationError) {
        try RastersSummaryCSV.append(report.summaries, to: workflow.filenameRastersSummary)
        try RasterizationEventsCSV.append(summaries: report.summaries, failures: report.failures, to: workflow.filenameRasterizationEvents)
    }

    /// Runs `work` for every tile, `workers` at a time; results sorted by tile.
    private func run(
        _ tiles: [TileIndex], step: RasterTileSummary.Step, path: @escaping @Sendable (TileIndex) -> String,
        work: @escaping @Sendable (TileIndex) throws(RasterizationError) -> RasterTileSummary
    ) async -> Report {
        var report = Report()
        await withTaskGroup(of: Result<RasterTileSummary, RasterTileFailure>.self) { group in
            var next = 0
            func submit() {
                guard next < tiles.count else { return }
                let tile = tiles[next]
                next += 1
                group.addTask {
                    let start = ThreadClock.now()
                    do throws(RasterizationError) {
                        return .success(try work(tile))
                    } catch {
                        return .failure(
                            RasterTileFailure(
                                step: step, tile: tile, path: path(tile), message: error.description, startTime: start, endTime: ThreadClock.now()))
                    }
                }
            }
            for _ in 0..<max(1, configuration.workers) { submit() }
            for await result in group {
                switch result {
                case .success(let summary): report.summaries.append(summary)
                case .failure(let failure): report.failures.append(failure)
                }
                submit()
            }
        }
        report.summaries.sort { $0.tile < $1.tile }
        return report
    }

    /// Tiles of the files under `directory` ending with `ext` (recursive walk, parsed with `layout`), sorted.
    public static func listTiles(under directory: String, extension ext: String, layout: TilePathLayout) -> [TileIndex] {
        // Resolve a symlinked root: FileManager does not descend into it otherwise.
        var root = directory
        if let resolved = realpath(directory, nil) {
            root = String(cString: resolved)
            free(resolved)
        }
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var tiles: Set<TileIndex> = []
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(ext), !relative.hasSuffix(".partial") else { continue }
            let path = (directory as NSString).appendingPathComponent(relative)
            if let parsed = try? layout.tile(fromPath: path), parsed.tms == nil || parsed.tms == layout.tmsIdentifier {
                tiles.insert(parsed.tile)
            }
        }
        return tiles.sorted()
    }
}
