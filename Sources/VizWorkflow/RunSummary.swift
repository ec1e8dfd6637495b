import Dataflow
import Foundation
import PDGRasterization
import PDGTiling
import PDGTilingApps

/// The final summary of a run: per step tasks, items, failures and time; then every failure with its message.
struct RunSummary {
    var report: TilingWorkflowPlan.Report
    var kernel: DataFlowKernel
    var workflow: WorkflowConfiguration

    /// This process's high-water mark (VmHWM).
    static func leaderPeakMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return (line.split(separator: " ").compactMap { Double($0) }.first ?? 0) / 1024
        }
        return 0
    }

    /// The largest peak RSS among finished child processes (worker supervisors wait for their slots).
    static func childrenPeakMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// The repaired and dropped features per input file, and file warnings (empty inputs), each named.
    static func inputProblems(_ staged: [StagedShardSummary]) -> [String] {
        let repaired = staged.reduce(0) { $0 + $1.featuresRepaired }
        let dropped = staged.reduce(0) { $0 + $1.featuresDropped }
        let warned = staged.filter { !$0.warnings.isEmpty }
        guard repaired + dropped > 0 || !warned.isEmpty else { return [] }
        var lines = ["features repaired: \(repaired); dropped: \(dropped); inputs with warnings: \(warned.count)"]
        for file in staged where file.featuresRepaired + file.featuresDropped > 0 || !file.warnings.isEmpty {
            lines.append("  \(file.filename): \(file.featuresRepaired) repaired, \(file.featuresDropped) dropped")
            for line in file.warnings + file.notes { lines.append("    \(line)") }
        }
        return lines
    }

    var text: String {
        var lines = ["", "summary of run \(kernel.runID) (\(kernel.runDirectory))"]
        lines.append("step            tasks  failed  items  failed  seconds")
        for step in report.steps {
            lines.append(
                step.name.padding(toLength: 14, withPad: " ", startingAt: 0)
                    + String(format: "%7d %7d %6d %7d %8.2f", step.tasks, step.tasksFailed, step.items, step.itemsFailed, step.seconds)
            )
        }
        let s = kernel.summary
        lines.append("polygons staged: \(report.polygons); staged tiles: \(report.merged.count); rows: \(report.stagedRows)")
        lines += Self.inputProblems(report.staged)
        lines.append(
            "tasks: \(s.completed) run, \(s.memoized) reused from checkpoints, \(s.failed) failed, \(s.dependencyFailed) skipped, \(s.retries) retries")
        if s.rerunForMissingOutputs + s.rerunForChangedInputs > 0 {
            lines.append(
                "re-run instead of reused: \(s.rerunForMissingOutputs) because an output file was missing or changed, "
                    + "\(s.rerunForChangedInputs) because an input file changed")
        }
        if !report.tilesRemoved.isEmpty {
            lines.append("removed the outputs of \(report.tilesRemoved.count) tile(s) that no input touches any more")
        }
        let pngs = report.webTiles.reduce(0) { $0 + $1.webTilePaths.count }
        lines.append("GeoTIFFs: \(report.rasters.count) (z\(workflow.minZoom)–\(workflow.maxZoom)); web tiles: \(pngs) PNGs")
        lines.append("outputs: \(workflow.dirStaged), \(workflow.dirGeotiff), \(workflow.dirWebTiles)")
        lines.append("summaries: \(workflow.filenameStagingSummary), \(workflow.filenameRastersSummary), \(workflow.filenameRasterizationEvents)")
        lines.append(String(format: "peak RSS: leader %.0f MiB, largest worker process %.0f MiB", Self.leaderPeakMiB(), Self.childrenPeakMiB()))
        lines.append("look at the tiles: viz-workflow serve   (then open http://127.0.0.1:8000/)")
        if !report.failures.isEmpty {
            lines.append("")
            lines.append("\(report.failures.count) failure(s):")
            // A multi-line message (a traceback, the blocks that failed) is shown in full once; later
            // failures with the same detail show only their first line.
            var detailsShown: Set<Substring> = []
            for failure in report.failures.prefix(50) {
                let message = failure.message
                let newline = message.firstIndex(of: "\n") ?? message.endIndex
                let detail = message[newline...]
                let repeated = !detail.isEmpty && !detailsShown.insert(detail).inserted
                lines.append("  [\(failure.step.rawValue)] \(failure.path): \(repeated ? message[..<newline] + " (details as above)" : message)")
            }
            if report.failures.count > 50 { lines.append("  … and \(report.failures.count - 50) more (see viz-workflow status)") }
        }
        return lines.joined(separator: "\n")
    }
}
