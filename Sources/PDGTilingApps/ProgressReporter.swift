import Foundation
import Synchronization

/// Shows per-stage progress: a live bar on a terminal (tasks done/total, rate, ETA, failures), plain log
/// lines when stderr is not a terminal (CI, `kubectl logs`).
///
/// Stage changes are shown at once; between them, ``run()`` redraws the bars (or logs a line every
/// `logInterval`). The owner runs it in a child task for as long as the stages run:
///
/// ```swift
/// let progress = ProgressReporter()
/// async let ticking: Void = progress.run()
/// let report = try await plan.run()
/// progress.stop()
/// await ticking
/// ```
public final class ProgressReporter: Sendable {
    struct Stage {
        var name: String
        var total: Int
        var done = 0
        var failed = 0
        var started = ContinuousClock.now
        var finished: ContinuousClock.Instant?
    }

    private let state = Mutex<(stages: [Stage], lastPrint: ContinuousClock.Instant, lastLine: Int)>(([], .now, 0))
    private let isTerminal: Bool
    private let stopped = Atomic<Bool>(false)
    private let logInterval: Duration

    /// - Parameter isTerminal: whether stderr is a terminal (default: asks the OS).
    public init(isTerminal: Bool = isatty(2) == 1, logInterval: Duration = .seconds(5)) {
        self.isTerminal = isTerminal
        self.logInterval = logInterval
    }

    /// Redraws the bars five times a second (on a terminal) or logs the running stage every `logInterval`,
    /// until ``stop()`` is called or the calling task is cancelled (within 200 ms of either).
    public func run() async {
        while !Task.isCancelled, !stopped.load(ordering: .relaxed) {
            try? await Task.sleep(for: .milliseconds(200))
            guard !stopped.load(ordering: .relaxed) else { return }
            render(force: false)
        }
    }

    /// A new stage with `total` tasks.
    public func begin(_ name: String, total: Int) {
        state.withLock { $0.stages.append(Stage(name: name, total: total)) }
        render(force: true)
    }

    /// One task of `name` finished.
    public func taskFinished(_ name: String, failed: Bool) {
        state.withLock { s in
            guard let i = s.stages.lastIndex(where: { $0.name == name }) else { return }
            s.stages[i].done += 1
            if failed { s.stages[i].failed += 1 }
        }
    }

    /// The stage is over.
    public func end(_ name: String) {
        state.withLock { s in
            guard let i = s.stages.lastIndex(where: { $0.name == name }) else { return }
            s.stages[i].finished = .now
        }
        render(force: true)
    }

    /// Ends ``run()``: nothing more is drawn except stage changes.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    private func render(force: Bool) {
        let lines: [String]? = state.withLock { s in
            guard force || isTerminal || ContinuousClock.now - s.lastPrint >= logInterval else { return nil }
            s.lastPrint = .now
            if isTerminal {
                return s.stages.map(Self.bar)
            }
            // Log mode: only stages that are running, plus the one that just ended.
            return s.stages.filter { $0.finished == nil || force }.suffix(1).map(Self.logLine)
        }
        guard let lines, !lines.isEmpty else { return }
        if isTerminal {
            // Redraw the block of bars in place.
            let moveUp = state.withLock { s in
                defer { s.lastLine = lines.count }
                return s.lastLine
            }
            var text = moveUp > 0 ? "\u{1B}[\(moveUp)A" : ""
            for line in lines { text += "\r\u{1B}[2K" + line + "\n" }
            FileHandle.standardError.write(Data(text.utf8))
        } else {
            FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
    }

    static func elapsed(_ stage: Stage) -> Double {
        let d = (stage.finished ?? .now) - stage.started
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    static func bar(_ stage: Stage) -> String {
        let width = 24
        let fraction = stage.total == 0 ? 1 : Double(stage.done) / Double(stage.total)
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        return "\(stage.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(bar) " + numbers(stage)
    }

    static func logLine(_ stage: Stage) -> String {
        "[\(stage.name)] " + numbers(stage)
    }

    static func numbers(_ stage: Stage) -> String {
        let seconds = elapsed(stage)
        let rate = seconds > 0 ? Double(stage.done) / seconds : 0
        var text = "\(stage.done)/\(stage.total) tasks"
        text += String(format: "  %.1f/s", rate)
        if stage.finished != nil {
            text += String(format: "  done in %.1f s", seconds)
        } else if rate > 0 {
            text += String(format: "  ETA %.0f s", Double(stage.total - stage.done) / rate)
        }
        if stage.failed > 0 { text += "  failures \(stage.failed)" }
        return text
    }
}
