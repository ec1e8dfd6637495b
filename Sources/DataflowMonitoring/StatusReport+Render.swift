import Foundation

extension StatusReport {
    /// A human-readable summary: run info, a table of apps × current states, and the failures.
    ///
    /// ```
    /// run 3f2a…  workflow viz 1.0  running
    /// ...
    /// app        pending  launched  exec_done  failed  total
    /// rasterize        2         4        120       1    127
    /// total            2         4        120       1    127
    /// ```
    public func render() -> String {
        var lines: [String] = []
        let name = [self.workflowName, self.workflowVersion].compactMap { $0 }.joined(separator: " ")
        lines.append(
            "run \(self.runID)  workflow \(name.isEmpty ? "?" : name)  \(self.isRunning ? "running" : "finished")"
        )
        if let host, let user {
            lines.append("  host \(host)  user \(user)")
        }
        if let runDirectory {
            lines.append("  directory \(runDirectory)")
        }
        let elapsed = (self.ended ?? self.generated) - self.started
        lines.append(
            "  started \(Self.format(time: self.started))  ended \(self.ended.map(Self.format(time:)) ?? "-")"
                + "  elapsed \(String(format: "%.1f", elapsed)) s"
        )
        lines.append("  tasks \(self.taskCount)")
        lines.append("")
        lines.append(contentsOf: self.renderCounts())
        if !self.reruns.isEmpty {
            let missing = self.reruns["output_missing", default: 0] + self.reruns["output_changed", default: 0]
            let changed = self.reruns["input_changed", default: 0]
            lines.append(
                "  re-ran instead of reusing a checkpoint: \(missing) because an output file was missing or changed, "
                    + "\(changed) because an input file changed")
        }
        if !self.blocks.isEmpty {
            lines.append("")
            lines.append(contentsOf: self.renderBlocks())
        }
        if self.failureCount > 0 {
            lines.append("")
            lines.append(contentsOf: self.renderFailures())
        }
        if self.partialFailureCount > 0 {
            lines.append("")
            lines.append(contentsOf: self.renderPartialFailures())
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func renderCounts() -> [String] {
        let states = self.stateColumns
        var rows: [[String]] = [["app"] + states + ["total"]]
        for app in self.countsByApp.keys.sorted() {
            let counts = self.countsByApp[app, default: [:]]
            let values = states.map { counts[$0, default: 0] }
            rows.append([app] + values.map(String.init) + [String(counts.values.reduce(0, +))])
        }
        rows.append(["total"] + states.map { String(self.totals[$0, default: 0]) } + [String(self.taskCount)])
        return Self.table(rows, rightAligned: true)
    }

    /// One row per block; why a block failed (exit status, stderr tail or pod reason) or waits (a batch queue's
    /// pending reason) under it.
    private func renderBlocks() -> [String] {
        var rows: [[String]] = [["block", "executor", "job", "state", "since"]]
        for block in self.blocks {
            rows.append([block.blockID, block.executor, block.jobID ?? "-", block.state, Self.format(time: block.time)])
        }
        var lines = ["blocks"] + Self.table(rows, rightAligned: false)
        for block in self.blocks where !["RUNNING", "SUBMITTED"].contains(block.state) {
            guard let reason = block.reason, !reason.isEmpty else { continue }
            let text = reason.split(whereSeparator: \.isNewline).suffix(12).joined(separator: "\n    ")
            lines.append("  block \(block.blockID) \(block.state.lowercased()): \(text)")
        }
        return lines
    }

    private func renderFailures() -> [String] {
        var lines = ["failures (\(self.failures.count) of \(self.failureCount) shown)"]
        var rows: [[String]] = [["task", "app", "try", "state", "host", "message"]]
        for failure in self.failures {
            rows.append([
                String(failure.taskID), failure.appName, failure.tryID.map(String.init) ?? "-",
                failure.currentState, failure.hostname ?? "-", Self.oneLine(failure.message),
            ])
        }
        lines.append(contentsOf: Self.table(rows, rightAligned: false))
        return lines
    }

    private func renderPartialFailures() -> [String] {
        var lines = [
            "items that failed inside tasks that succeeded (\(self.partialFailures.count) of \(self.partialFailureCount) shown)"
        ]
        var rows: [[String]] = [["task", "app", "item", "message"]]
        for failure in self.partialFailures {
            rows.append([String(failure.taskID), failure.appName, failure.item, Self.oneLine(failure.message)])
        }
        lines.append(contentsOf: Self.table(rows, rightAligned: false))
        return lines
    }

    /// One line per failure: tracebacks are folded and cut; the JSON keeps the whole message.
    private static func oneLine(_ message: String) -> String {
        let line = message.split(whereSeparator: \.isNewline).joined(separator: " | ")
        return line.count > 160 ? String(line.prefix(159)) + "…" : line
    }

    /// Pads cells into columns; numbers right-aligned when `rightAligned` (all but the first column).
    private static func table(_ rows: [[String]], rightAligned: Bool) -> [String] {
        let columnCount = rows.map(\.count).max() ?? 0
        var widths = Array(repeating: 0, count: columnCount)
        for row in rows {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.count)
            }
        }
        return rows.map { row in
            var line = ""
            for (column, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                let isLast = column == row.count - 1
                if column > 0 { line += "  " }
                if rightAligned && column > 0 {
                    line += padding + cell
                } else {
                    line += isLast ? cell : cell + padding
                }
            }
            return line
        }
    }

    /// UTC, millisecond precision: `2025-06-01T12:00:00.123Z`.
    static func format(time: Double) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date(timeIntervalSince1970: time))
    }
}
