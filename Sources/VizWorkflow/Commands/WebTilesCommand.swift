import ArgumentParser
import CVizSystemShims
import Foundation
import PDGRasterization
import PDGTiling

/// `viz-workflow webtiles --config FILE`: one PNG per statistic for every GeoTIFF under `dir_geotiff`, plus
/// `WMTSCapabilities.xml`, in this process. Null `val_range` ends are filled per zoom level (not per tile, the
/// pdgraster bug) unless `--per-tile-ranges` asks for the legacy behaviour.
struct WebTilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webtiles",
        abstract: "Render web tiles (PNG) from the GeoTIFFs (PDG pdgraster replacement)."
    )

    @Option(name: .long, help: "PDG workflow config JSON file.")
    var config: String

    @Option(name: .long, help: "Concurrent tiles (default: number of cores).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(name: .long, help: "Complete null value-range ends per tile, as pdgraster 0.9 effectively does.")
    var perTileRanges = false

    @Option(name: .long, help: "Base URL written into WMTSCapabilities.xml (default: https://example.org/tiles).")
    var baseURL: String?

    @Option(name: .long, help: "DOI path component written into WMTSCapabilities.xml (default: the config's doi).")
    var doi: String?

    @Flag(name: .long, help: "Refuse the config when it has unknown keys or keys of features not made here (3D tiles), instead of warning.")
    var strict = false

    @Flag(name: .long, help: "Print the full report as JSON on stdout.")
    var json = false

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
    }

    func run() async throws {
        // A worker process's malloc settings (`WorkerService`): these steps run here, in this process.
        system_keep_large_allocations_in_heap(256 << 20)
        let workflow = try WorkflowConfigurationLoader.load(config, strict: strict)
        var settings = RasterizationRunner.Configuration()
        settings.workers = workers
        settings.options.rangeMode = perTileRanges ? .perTileLegacy : .perZoom
        settings.capabilities = WMTSCapabilities.Configuration(for: workflow)
        if let baseURL { settings.capabilities.baseURL = baseURL }
        if let doi { settings.capabilities.doi = doi }
        let report = try await RasterizationRunner(workflow: workflow, configuration: settings).renderWebTiles()
        try RasterCommandOutput.print(report, json: json, what: "GeoTIFF(s) rendered into \(workflow.dirWebTiles)")
    }
}

/// Shared reporting of the raster commands.
enum RasterCommandOutput {
    static func print(_ report: RasterizationRunner.Report, json: Bool, what: String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            Swift.print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            Swift.print("\(report.summaries.count) \(what), \(report.failures.count) failure(s), \(String(format: "%.2f", report.wallSeconds)) s")
        }
        if !report.failures.isEmpty {
            var text = "\(report.failures.count) tile(s) failed:\n"
            for failure in report.failures { text += "  \(failure.tile.map { "\($0) " } ?? "")\(failure.path): \(failure.message)\n" }
            FileHandle.standardError.write(Data(text.utf8))
            throw ExitCode(1)
        }
    }
}
