import Dataflow
import Foundation
import Tiling
import TilingApps

/// The final summary of a run: per step tasks, items, failures and time; then every failure with its message.
struct RunSummary {
    var report: TilingWorkflowPlan.Report
    var kernel: DataFlowKernel
    var workflow: WorkflowConfiguration

    var text: String {
        var lines = ["", "summary of run \(kernel.runID) (\(kernel.runDirectory))"]
        lines.append("step          tasks  failed  items  failed  seconds")
        for step in report.steps {
            lines.append(
                step.name.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + String(format: "%7d %7d %6d %7d %8.2f", step.tasks, step.tasksFailed, step.items, step.itemsFailed, step.seconds)
            )
        }
        let s = kernel.summary
        lines.append("polygons staged: \(report.polygons); staged tiles: \(report.merged.count); rows: \(report.stagedRows)")
        lines.append("tasks: \(s.completed) run, \(s.memoized) reused from checkpoints, \(s.failed) failed, \(s.dependencyFailed) skipped, \(s.retries) retries")
        lines.append("outputs: staged tiles in \(workflow.dirStaged); summary \(workflow.filenameStagingSummary)")
        if !report.failures.isEmpty {
            lines.append("")
            lines.append("\(report.failures.count) failure(s):")
            for failure in report.failures.prefix(50) { lines.append("  [\(failure.step)] \(failure.item): \(failure.message)") }
            if report.failures.count > 50 { lines.append("  … and \(report.failures.count - 50) more (see viz-workflow status)") }
        }
        return lines.joined(separator: "\n")
    }
}
