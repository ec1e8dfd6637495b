import ArgumentParser
import Dataflow
import Foundation

/// `viz-workflow status [RUN_DIR]`: task counts per app and state, and failures, from the monitoring
/// database; works while the run is going and after it ended.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show progress and failures of a run from its monitoring database."
    )

    @Argument(help: "The run directory: the run_dir root holding monitoring.db (default: runinfo), or one numbered run in it.")
    var runDirectory: String = "runinfo"

    @Option(name: .customLong("run-id"), help: "Show this run instead of the latest one.")
    var runID: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: "List at most this many failures.")
    var failures: Int = 50

    func run() throws {
        let database = try Self.database(for: runDirectory)
        // A numbered run directory (runinfo/003) shows that run; the run_dir root shows the latest.
        var selected = runID
        if selected == nil, !FileManager.default.fileExists(atPath: (runDirectory as NSString).appendingPathComponent("monitoring.db")) {
            let runName = (runDirectory as NSString).standardizingPath
            selected = try StatusReport.runID(databasePath: database, runDirectory: runName)
            guard selected != nil else { throw ValidationError("no run recorded for \(runDirectory) in \(database)") }
        }
        let report = try StatusReport.load(databasePath: database, runID: selected, failureLimit: failures)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.render())
        }
    }

    /// `monitoring.db` in the directory or, for a numbered run directory, in its parent.
    static func database(for directory: String) throws -> String {
        let direct = (directory as NSString).appendingPathComponent("monitoring.db")
        if FileManager.default.fileExists(atPath: direct) { return direct }
        let parent = ((directory as NSString).deletingLastPathComponent as NSString).appendingPathComponent("monitoring.db")
        if FileManager.default.fileExists(atPath: parent) { return parent }
        throw ValidationError("no monitoring.db in \(directory) or its parent: is this a run directory (run_dir in parameters/parsl_config.json)?")
    }
}
