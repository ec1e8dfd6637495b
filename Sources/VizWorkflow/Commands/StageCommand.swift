import ArgumentParser
import Foundation
import PDGTiling

/// `viz-workflow stage --config FILE [--workers N]`: runs PDG staging for a config in this process.
///
/// Directories in the config resolve against the current directory, as PDG does. Writes `dir_staged` (the
/// per-input shards under `dir_staged/.shards` and the merged tile GeoPackages) and the staging summary CSV.
/// Exits non-zero when any input failed, after staging all the others.
struct StageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stage",
        abstract: "Stage vector inputs into max-zoom tiles (PDG pdgstaging replacement)."
    )

    @Option(name: .long, help: "PDG workflow config JSON file.")
    var config: String

    @Option(name: .long, help: "Concurrent units of work (default: number of cores).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: "A JSON file listing the input files (an array of paths, relative ones under dir_input) instead of scanning dir_input.")
    var inputs: String?

    @Flag(name: .long, help: "Refuse the config when it has unknown keys or keys of features not made here (3D tiles), instead of warning.")
    var strict = false

    @Flag(name: .long, help: "Print the full report as JSON on stdout.")
    var json = false

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
    }

    func run() async throws {
        let workflow = try WorkflowConfigurationLoader.load(config, strict: strict)
        var options = StagingRunner.Configuration()
        options.workers = workers
        let listed = try inputs.map { path throws(TilingError) in try VectorTileStager(configuration: workflow).inputs(listedIn: path) }
        let report = try await StagingRunner(workflow: workflow, configuration: options).run(inputs: listed)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            let polygons = report.staged.reduce(0) { $0 + $1.polygonsStaged }
            let rows = report.merged.reduce(0) { $0 + $1.rowsWritten }
            print("staged \(report.staged.count) input(s), \(polygons) polygons → \(report.merged.count) tile(s), \(rows) rows in \(workflow.dirStaged)")
            print("summary: \(workflow.filenameStagingSummary)")
        }
        let problems = RunSummary.inputProblems(report.staged)
        if !problems.isEmpty { FileHandle.standardError.write(Data((problems.joined(separator: "\n") + "\n").utf8)) }
        if !report.failures.isEmpty {
            var text = "\(report.failures.count) input(s) failed:\n"
            for failure in report.failures {
                text += "  \(failure.path): \(failure.message)\n"
            }
            FileHandle.standardError.write(Data(text.utf8))
            throw ExitCode(1)
        }
    }
}
