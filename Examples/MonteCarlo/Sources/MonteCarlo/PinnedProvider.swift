import Dataflow
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A provider of our own, written against the public `ExecutionProvider` protocol: it runs each block's
/// worker on this machine pinned to some CPUs (`taskset -c <cpus>`), so a long sweep leaves the other cores
/// to the people sharing the machine. CPU affinity is inherited by every thread and child process, so the
/// worker's slot processes stay on those CPUs too. (A `nice` level would not: on Linux it is per thread, and
/// the threads Swift concurrency runs on set their own.)
///
/// A block is one process group (the worker supervisor and its slot processes). `cancel` sends SIGTERM to
/// the group, then SIGKILL after a grace period. Output goes to `<logDirectory>/block-<id>.log`.
final class PinnedProvider: ExecutionProvider {
    let label = "pinned"
    /// A CPU list as `taskset -c` reads it, e.g. `"1"` or `"0,2-3"`.
    let cpus: String
    let blockLimits: BlockLimits
    let logDirectory: String
    let gracePeriod: Duration

    private struct Job {
        var pid: pid_t
        var logPath: String
        var exitStatus: Int32?  // raw waitpid status once reaped
        var cancelled = false
    }
    private struct State {
        var jobs: [String: Job] = [:]
        var next = 0
        var stopped = false
    }
    private let state = Mutex(State())

    init(cpus: String, blocks: BlockLimits = BlockLimits(), logDirectory: String, gracePeriod: Duration = .seconds(5)) {
        self.cpus = cpus
        self.blockLimits = blocks
        self.logDirectory = logDirectory
        self.gracePeriod = gracePeriod
    }

    func submit(command: [String], environment: [String: String], blockID: String) async throws -> String {
        guard !command.isEmpty else { throw ProvidersError(.submitFailed, "block \(blockID): empty launch command") }
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        let logPath = "\(logDirectory)/block-\(blockID).log"
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }  // the run secret arrives here, never on the command line
        let pid = try Self.spawn(["taskset", "-c", cpus] + command, environment: env, log: logPath)
        let jobID: String? = state.withLock { s in
            guard !s.stopped else { return nil }
            s.next += 1
            s.jobs["pinned-\(s.next)"] = Job(pid: pid, logPath: logPath)
            return "pinned-\(s.next)"
        }
        guard let jobID else {
            kill(-pid, SIGKILL)
            _ = await reap(pid)
            throw ProvidersError(.shutDown, "provider \(label) is shut down")
        }
        return jobID
    }

    func status(jobIDs: [String]) async throws -> [String: JobStatus] {
        var result: [String: JobStatus] = [:]
        for id in jobIDs {
            let job: Job? = state.withLock { s in
                guard var job = s.jobs[id] else { return nil }
                if job.exitStatus == nil { job.exitStatus = Self.reapIfExited(job.pid) }
                s.jobs[id] = job
                return job
            }
            guard let job else {
                result[id] = JobStatus(state: .missing, message: "no such job in provider \(label)")
                continue
            }
            result[id] = Self.status(of: job)
        }
        return result
    }

    func cancel(jobIDs: [String]) async throws {
        let pids: [pid_t] = state.withLock { s in
            var pids: [pid_t] = []
            for id in jobIDs where s.jobs[id] != nil {
                s.jobs[id]!.cancelled = true
                if s.jobs[id]!.exitStatus == nil { pids.append(s.jobs[id]!.pid) }
            }
            return pids
        }
        for pid in pids { kill(-pid, SIGTERM) }  // the whole group: supervisor and slots
        for pid in pids { _ = await reap(pid) }
    }

    func shutdown() async {
        let running: [String] = state.withLock { s in
            s.stopped = true
            return s.jobs.filter { $0.value.exitStatus == nil }.map(\.key)
        }
        try? await cancel(jobIDs: running)
    }

    // MARK: Processes

    /// Waits for a signalled group leader: SIGKILL to the group after the grace period, then reaps.
    private func reap(_ pid: pid_t) async -> Int32? {
        let deadline = ContinuousClock.now + gracePeriod
        var killed = false
        while true {
            if let status = Self.reapIfExited(pid) {
                state.withLock { s in
                    for (id, job) in s.jobs where job.pid == pid { s.jobs[id]!.exitStatus = status }
                }
                return status
            }
            if !killed && ContinuousClock.now >= deadline {
                kill(-pid, SIGKILL)
                killed = true
            }
            if killed && ContinuousClock.now >= deadline + .seconds(5) { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private static func reapIfExited(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid ? status : nil
    }

    private static func status(of job: Job) -> JobStatus {
        guard let raw = job.exitStatus else { return JobStatus(state: .running, stdoutPath: job.logPath, stderrPath: job.logPath) }
        let signal = raw & 0x7f
        let code = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        if job.cancelled { return JobStatus(state: .cancelled, message: "cancelled", exitCode: code) }
        if code == 0 { return JobStatus(state: .completed, exitCode: 0, stdoutPath: job.logPath) }
        let log = (try? String(contentsOfFile: job.logPath, encoding: .utf8)) ?? ""
        let how = signal == 0 ? "exited with code \(code)" : "killed by signal \(signal)"
        return JobStatus(
            state: .failed, message: "\(how); log ends with:\n\(log.suffix(2048))", exitCode: code,
            stdoutPath: job.logPath, stderrPath: job.logPath
        )
    }

    /// posix_spawnp in a new process group, stdout and stderr appended to `log`.
    private static func spawn(_ argv: [String], environment: [String: String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid: pid_t = 0
        let error = posix_spawnp(&pid, argv[0], &actions, &attributes, cArguments, cEnvironment)
        guard error == 0 else {
            throw ProvidersError(.submitFailed, "cannot start \(argv[0]): \(String(cString: strerror(error)))")
        }
        return pid
    }
}
