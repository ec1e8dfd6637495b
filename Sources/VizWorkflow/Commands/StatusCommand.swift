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

    @Flag(help: "On a bucket, read the published snapshot even on the leader's host (as another pod would).")
    var snapshot = false

    func run() throws {
        let source = try Self.database(for: runDirectory, preferLive: !snapshot)
        let database = source.path
        // A numbered run directory (runinfo/003) shows that run; the run_dir root shows the latest.
        var selected = runID
        if selected == nil, !Self.isRoot(runDirectory) {
            let runName = (runDirectory as NSString).standardizingPath
            selected = try StatusReport.runID(databasePath: database, runDirectory: runName, immutable: source.immutable)
            guard selected != nil else { throw ValidationError("no run recorded for \(runDirectory) in \(database)") }
        }
        let report = try StatusReport.load(databasePath: database, runID: selected, failureLimit: failures, immutable: source.immutable)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            if let note = source.note { FileHandle.standardError.write(Data((note + "\n").utf8)) }
        } else {
            print(report.render())
            if let note = source.note { print(note) }
        }
    }

    /// Where the report comes from: a live database (POSIX, or the leader's own pod) or a published snapshot
    /// on a bucket, which is opened immutable (no locks, `-shm` or WAL written next to it).
    struct Source {
        var path: String
        var immutable: Bool
        /// Says which snapshot and how old it is.
        var note: String?
    }

    /// Whether `directory` is a run_dir root (holds the database or the snapshot pointer) rather than a run.
    static func isRoot(_ directory: String) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: (directory as NSString).appendingPathComponent("monitoring.db"))
            || fm.fileExists(atPath: (directory as NSString).appendingPathComponent(MonitoringSnapshots.pointerName))
    }

    /// `monitoring.db` in the directory or, for a numbered run directory, in its parent; else, on object
    /// storage, the snapshot that `monitoring.latest` names (or the leader's live database when this is its host).
    static func database(for directory: String, preferLive: Bool = true) throws -> Source {
        let parent = (directory as NSString).deletingLastPathComponent
        for root in [directory, parent] {
            let direct = (root as NSString).appendingPathComponent("monitoring.db")
            if FileManager.default.fileExists(atPath: direct) { return Source(path: direct, immutable: false) }
        }
        for root in [directory, parent] {
            guard var pointer = MonitoringSnapshots.latest(in: root) ?? newestSnapshot(in: root) else { continue }
            if !FileManager.default.fileExists(atPath: (root as NSString).appendingPathComponent(pointer.snapshot)),
                let newest = newestSnapshot(in: root)
            {
                // A stale pointer (a cached stat on this pod) may name a snapshot already replaced.
                pointer = newest
            }
            if preferLive, pointer.host == ProcessInfo.processInfo.hostName, FileManager.default.fileExists(atPath: pointer.live) {
                return Source(path: pointer.live, immutable: false, note: "live database of the leader on this host: \(pointer.live)")
            }
            let age = max(0, Date().timeIntervalSince1970 - pointer.time)
            return Source(
                path: (root as NSString).appendingPathComponent(pointer.snapshot),
                immutable: true,
                note: "snapshot \(pointer.snapshot) from \(pointer.host), taken \(String(format: "%.1f", age)) s ago"
            )
        }
        throw ValidationError(
            "no monitoring.db, \(MonitoringSnapshots.snapshotFolder)/ or \(MonitoringSnapshots.pointerName) in \(directory) or its parent: is this a run directory (run_dir in parameters/parsl_config.json)?"
        )
    }

    /// The newest snapshot in `root/monitoring-snapshots` by name (`<run>-<id>-<seq>.db` sorts by run, then
    /// sequence), with its file time: for a missing or stale pointer.
    static func newestSnapshot(in root: String) -> MonitoringSnapshots.Pointer? {
        let folder = (root as NSString).appendingPathComponent(MonitoringSnapshots.snapshotFolder)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder),
            let newest = names.filter({ $0.hasSuffix(".db") }).max()
        else { return nil }
        let modified = (try? FileManager.default.attributesOfItem(atPath: (folder as NSString).appendingPathComponent(newest)))?[.modificationDate] as? Date
        return MonitoringSnapshots.Pointer(
            snapshot: MonitoringSnapshots.snapshotFolder + "/" + newest, time: modified?.timeIntervalSince1970 ?? 0, host: "?", live: "")
    }
}
