import ArgumentParser
import Foundation
import PDGRasterization
import PDGTiling

/// `viz-workflow rasterize --config FILE`: GeoTIFFs of every staged tile at max z, then every parent level down to
/// min z, in this process. Directories in the config resolve against the current directory, as PDG does.
/// Appends the rasters summary and events CSVs. Exits non-zero when any tile failed, after doing all the others.
struct RasterizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rasterize",
        abstract: "Rasterize staged tiles into GeoTIFFs, highest zoom and all parents (PDG pdgraster replacement)."
    )

    @Option(name: .long, help: "PDG workflow config JSON file.")
    var config: String

    @Option(name: .long, help: "Concurrent tiles (default: number of cores).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(
        name: .long,
        help: "GeoTIFF compression: zstd (default, lossless, 256x256 tiles, band-interleaved), deflate, or none (uncompressed strips, as pdgraster).")
    var compression: String = "zstd"

    @Flag(name: .long, help: "Refuse the config when it has unknown keys or keys of features not made here (3D tiles), instead of warning.")
    var strict = false

    @Flag(name: .long, help: "Print the full report as JSON on stdout.")
    var json = false

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard GeoTIFFCompression(rawValue: compression) != nil else { throw ValidationError("--compression must be none, deflate or zstd") }
    }

    func run() async throws {
        let workflow = try WorkflowConfigurationLoader.load(config, strict: strict)
        var settings = RasterizationRunner.Configuration()
        settings.workers = workers
        settings.options.compression = GeoTIFFCompression(rawValue: compression) ?? .zstd
        let report = try await RasterizationRunner(workflow: workflow, configuration: settings).rasterize()
        try RasterCommandOutput.print(report, json: json, what: "GeoTIFF(s) in \(workflow.dirGeotiff)")
    }
}
