import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs blocks as child processes of this one (Parsl `LocalProvider`), the embedded default.
///
/// Each block is ``Configuration/nodesPerBlock`` copies of the launch command, each the leader of its own
/// process group so that cancelling a block also stops everything it started. Output goes to
/// `<logDirectory>/block-<id>/stdout` and `stderr` (node `n > 0` writes `stdout.<n>`, `stderr.<n>`).
/// Status is found by reaping children with `waitpid(WNOHANG)`: nothing here ever blocks a thread.
public final class LocalProvider: ExecutionProvider {
    /// Options with Parsl's names.
    public struct Configuration: Sendable, Codable, Hashable {
        /// Names the provider in logs. Default `"local"`.
        public var label: String
        /// Copies of the launch command per block (Parsl `nodes_per_block`). Default 1.
        public var nodesPerBlock: Int
        /// Blocks started at once (Parsl `init_blocks`). Default 1.
        public var initBlocks: Int
        /// Fewest blocks (Parsl `min_blocks`). Default 0.
        public var minBlocks: Int
        /// Most blocks (Parsl `max_blocks`). Default 1.
        public var maxBlocks: Int
        /// Slots-to-tasks ratio the scaler aims for (Parsl `parallelism`). Default 1.
        public var parallelism: Double
        /// Shell text run by `/bin/sh` before the command, e.g. `ulimit -n 4096` (Parsl `worker_init`).
        /// Default `nil`: the command is started directly.
        public var workerInit: String?
        /// Where each block's `block-<id>/` log directory goes; the executor passes `<run_dir>/<label>`.
        /// Default `"runinfo/local"`.
        public var logDirectory: String
        /// Seconds between SIGTERM and SIGKILL when cancelling. Default 5.
        public var cancelGracePeriod: Double

        /// Creates a configuration with the defaults listed on each property, clamping out-of-range numbers
        /// (`maxBlocks` at least `minBlocks`, `parallelism` within 0...1).
        public init(
            label: String = "local",
            nodesPerBlock: Int = 1,
            initBlocks: Int = 1,
            minBlocks: Int = 0,
            maxBlocks: Int = 1,
            parallelism: Double = 1,
            workerInit: String? = nil,
            logDirectory: String = "runinfo/local",
            cancelGracePeriod: Double = 5
        ) {
            self.label = label
            self.nodesPerBlock = Swift.max(1, nodesPerBlock)
            self.initBlocks = Swift.max(0, initBlocks)
            self.minBlocks = Swift.max(0, minBlocks)
            self.maxBlocks = Swift.max(self.minBlocks, maxBlocks)
            self.parallelism = Swift.min(1, Swift.max(0, parallelism))
            self.workerInit = workerInit
            self.logDirectory = logDirectory
            self.cancelGracePeriod = Swift.max(0, cancelGracePeriod)
        }
    }

    /// The options this provider was made with.
    public let configuration: Configuration
    /// ``Configuration/label``, `"local"` by default.
    public var label: String { configuration.label }
    /// The block counts and parallelism from the configuration, for the scaler.
    public var blockLimits: BlockLimits {
        BlockLimits(
            nodesPerBlock: configuration.nodesPerBlock,
            initBlocks: configuration.initBlocks,
            minBlocks: configuration.minBlocks,
            maxBlocks: configuration.maxBlocks,
            parallelism: configuration.parallelism
        )
    }

    private struct Node {
        let pid: pid_t
        let stdoutPath: String
        let stderrPath: String
        var exit: ProcessGroup.Exit?
    }

    private struct Job {
        let blockID: String
        var nodes: [Node]
        var cancelled = false
    }

    private struct State {
        var jobs: [String: Job] = [:]
        var nextJob = 0
        var stopped = false
    }

    private let state = Mutex(State())

    /// Creates a provider; no process starts before the first submit.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The pids (each also a process group id) of a job's nodes, for diagnostics and tests.
    public func processIDs(jobID: String) -> [Int32] {
        state.withLock { $0.jobs[jobID]?.nodes.map(\.pid) ?? [] }
    }

    /// Starts the block's processes (one per node, each in its own process group) with `environment` added to
    /// this process's; returns a job id `local-<n>`. Throws ``ProvidersError`` `.io` when the log directory
    /// cannot be made, `.submitFailed` when a process cannot start (the rest are killed).
    public func submit(command: [String], environment: [String: String], blockID: String) async throws -> String {
        guard !command.isEmpty else { throw ProvidersError(.submitFailed, "block \(blockID): empty launch command") }
        if state.withLock({ $0.stopped }) { throw ProvidersError(.shutDown, "provider \(label) is shut down") }

        let directory = "\(configuration.logDirectory)/block-\(blockID)"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ProvidersError(.io, "block \(blockID): cannot create log directory \(directory): \(error)")
        }
        var argv = command
        if let workerInit = configuration.workerInit, !workerInit.isEmpty {
            // The command travels as positional parameters, so no quoting can break it.
            argv = ["/bin/sh", "-c", workerInit + "\nexec \"$@\"", "sh"] + command
        }
        var fullEnvironment = ProcessInfo.processInfo.environment
        fullEnvironment.merge(environment) { _, new in new }

        var nodes: [Node] = []
        for index in 0..<configuration.nodesPerBlock {
            let suffix = index == 0 ? "" : ".\(index)"
            let node = (stdout: "\(directory)/stdout\(suffix)", stderr: "\(directory)/stderr\(suffix)")
            do {
                let pid = try ProcessGroup.spawn(argv: argv, environment: fullEnvironment, stdoutPath: node.stdout, stderrPath: node.stderr)
                nodes.append(Node(pid: pid, stdoutPath: node.stdout, stderrPath: node.stderr))
            } catch {
                // Do not leave half a block behind.
                for started in nodes { kill(-started.pid, SIGKILL) }
                for started in nodes { _ = await Self.reapAfterKill(started.pid) }
                throw ProvidersError(.submitFailed, "block \(blockID), node \(index): \(error)")
            }
        }
        let (jobID, accepted) = state.withLock { s -> (String, Bool) in
            guard !s.stopped else { return ("", false) }
            s.nextJob += 1
            let jobID = "local-\(s.nextJob)"
            s.jobs[jobID] = Job(blockID: blockID, nodes: nodes)
            return (jobID, true)
        }
        if !accepted {
            for node in nodes { kill(-node.pid, SIGKILL) }
            for node in nodes { _ = await Self.reapAfterKill(node.pid) }
            throw ProvidersError(.shutDown, "provider \(label) shut down during submit")
        }
        return jobID
    }

    /// Reaps exited processes without blocking and reports each job: running until every node exits, then
    /// completed, cancelled, or failed with the exit code and the tail of the failing node's stderr.
    public func status(jobIDs: [String]) async throws -> [String: JobStatus] {
        // Reap under the lock (non-blocking), read stderr tails outside it.
        let snapshot: [String: Job?] = state.withLock { s in
            var result: [String: Job?] = [:]
            for id in jobIDs {
                guard var job = s.jobs[id] else {
                    result[id] = .some(nil)
                    continue
                }
                Self.reap(&job)
                s.jobs[id] = job
                result[id] = job
            }
            return result
        }
        var statuses: [String: JobStatus] = [:]
        for (id, job) in snapshot {
            statuses[id] = job.map(Self.status(of:)) ?? JobStatus(state: .missing, message: "no such job in provider \(label)")
        }
        return statuses
    }

    /// Sends SIGTERM to each node's process group, SIGKILL after ``Configuration/cancelGracePeriod`` seconds,
    /// and reaps them.
    public func cancel(jobIDs: [String]) async throws {
        let pids: [pid_t] = state.withLock { s in
            var pids: [pid_t] = []
            for id in jobIDs {
                guard var job = s.jobs[id] else { continue }
                job.cancelled = true
                s.jobs[id] = job
                pids += job.nodes.filter { $0.exit == nil }.map(\.pid)
            }
            // Only signal leaders not yet reaped: their pids (and so the group ids) cannot have been reused.
            for pid in pids { kill(-pid, SIGTERM) }
            return pids
        }
        guard !pids.isEmpty else { return }

        let deadline = ContinuousClock.now + .milliseconds(Int(configuration.cancelGracePeriod * 1000))
        while ContinuousClock.now < deadline, !pids.allSatisfy(ProcessGroup.hasExited) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        // Whatever is left of each group gets SIGKILL; reaping (which also SIGKILLs the group) follows.
        state.withLock { s in
            for id in jobIDs {
                guard let job = s.jobs[id] else { continue }
                for node in job.nodes where node.exit == nil { kill(-node.pid, SIGKILL) }
            }
        }
        for _ in 0..<250 {
            let done = state.withLock { s in
                var done = true
                for id in jobIDs {
                    guard var job = s.jobs[id] else { continue }
                    Self.reap(&job)
                    s.jobs[id] = job
                    done = done && job.nodes.allSatisfy { $0.exit != nil }
                }
                return done
            }
            if done { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Cancels every job still running and refuses new submissions.
    public func shutdown() async {
        let running = state.withLock { s -> [String] in
            s.stopped = true
            return s.jobs.filter { $0.value.nodes.contains { $0.exit == nil } }.map(\.key)
        }
        try? await cancel(jobIDs: running)
    }

    // MARK: Helpers

    private static func reap(_ job: inout Job) {
        for index in job.nodes.indices where job.nodes[index].exit == nil {
            job.nodes[index].exit = ProcessGroup.reapIfExited(job.nodes[index].pid)
        }
    }

    /// Reaps a child that was just sent SIGKILL, polling so no thread blocks (gives up after ~5 s).
    private static func reapAfterKill(_ pid: pid_t) async -> ProcessGroup.Exit? {
        for _ in 0..<250 {
            if let exit = ProcessGroup.reapIfExited(pid) { return exit }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    private static let tailBytes = 2048

    private static func status(of job: Job) -> JobStatus {
        let first = job.nodes[0]
        var status = JobStatus(state: .running, stdoutPath: first.stdoutPath, stderrPath: first.stderrPath)
        let exited = job.nodes.filter { $0.exit != nil }
        if exited.count < job.nodes.count {
            status.state = .running
            if !exited.isEmpty { status.message = "\(exited.count) of \(job.nodes.count) nodes exited" }
            return status
        }
        let failedNode = job.nodes.firstIndex { $0.exit?.code != 0 }
        if job.cancelled {
            status.state = .cancelled
            status.exitCode = first.exit?.code
            status.message = "cancelled"
        } else if let index = failedNode, let exit = job.nodes[index].exit {
            let node = job.nodes[index]
            status.state = .failed
            status.exitCode = exit.code
            let how = exit.signal.map { "killed by signal \($0)" } ?? "exited with code \(exit.code)"
            let tail = ProcessGroup.tail(of: node.stderrPath, bytes: tailBytes)
            let who = job.nodes.count > 1 ? "node \(index) " : ""
            status.message = "\(who)\(how)" + (tail.isEmpty ? "" : "; stderr tail:\n\(tail)")
            status.stderrPath = node.stderrPath
            status.stdoutPath = node.stdoutPath
        } else {
            status.state = .completed
            status.exitCode = 0
        }
        return status
    }
}
