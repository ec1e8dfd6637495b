import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs blocks as Slurm batch jobs (Parsl `SlurmProvider`): `sbatch` to submit, `squeue` (then `sacct`, or
/// `scontrol` where accounting is off) to watch, `scancel` to stop.
///
/// Each block is one job of ``Configuration/nodesPerBlock`` nodes named `<jobName>-<instance>-block-<id>`,
/// so `squeue` shows whose it is. Its script is written to `<scriptDirectory>/<job name>.sbatch` (mode 0644,
/// for the user to read; ``batchScript(_:_:)`` makes it) and its output goes next to it (`.out`, `.err`).
/// The run secret the executor passes in `environment` never appears in the script or on a command line:
/// see ``Configuration/SecretDelivery``.
///
/// Job states carry Slurm's reason in ``JobStatus/message`` (`PENDING: Resources: waiting for nodes…`,
/// `FAILED (exit 3): NonZeroExitCode; stderr tail: …`, `TIMEOUT (exit 143): the walltime ran out`). Every command runs
/// through a ``CommandRunner/Run`` with ``Configuration/cmdTimeout``, on a thread of its own.
///
/// At the first submission the provider looks for jobs of an earlier leader with the same
/// ``Configuration/jobName`` and cancels (or reports) them. ``shutdown()`` cancels every job of this
/// instance, found by name too, and removes the secret file.
public final class SlurmProvider: ExecutionProvider {
    /// The options.
    public let configuration: Configuration
    /// Names the provider in logs.
    public var label: String { configuration.label }
    /// The block counts and parallelism from the configuration.
    public var blockLimits: BlockLimits {
        BlockLimits(
            nodesPerBlock: configuration.nodesPerBlock,
            initBlocks: configuration.initBlocks,
            minBlocks: configuration.minBlocks,
            maxBlocks: configuration.maxBlocks,
            parallelism: configuration.parallelism
        )
    }
    /// Batch jobs wait in the queue for as long as the cluster is busy: a pending block is not stuck.
    public var blocksMayQueue: Bool { true }
    /// Eight hex digits that tell this leader's jobs from those of earlier leaders (in every job name).
    public let instance: String

    private struct Job {
        let blockID: String
        let name: String
        let submittedAt: ContinuousClock.Instant
        let stdoutPath: String
        let stderrPath: String
        var cancelled = false
        /// Set once the job is over; it is not asked about again.
        var final: JobStatus?
    }

    private struct Prepared: Sendable {
        var directory: String
        var user: String
    }

    private struct State {
        var jobs: [String: Job] = [:]
        var stopped = false
        var orphans: [String] = []
        /// The last statuses read from Slurm, and when.
        var cache: [String: JobStatus] = [:]
        var cachedAt: ContinuousClock.Instant?
        /// Whether `sacct` works here; `nil` until tried.
        var sacctWorks: Bool?
        /// What the secret file holds now.
        var environmentFileText: String?
    }

    private let state = Mutex(State())
    private let preparation = Mutex<Task<Prepared, any Error>?>(nil)
    private let runner: CommandRunner.Run
    private let environment: [String: String]
    private let messageHandler = Mutex<@Sendable (String) -> Void>({ message in
        FileHandle.standardError.write(Data("slurm provider: \(message)\n".utf8))
    })

    /// - Parameters:
    ///   - runner: runs the Slurm commands; tests pass one that answers with recorded output.
    ///   - environment: the environment `sbatch` runs with (its `SLURM_*` variables are dropped, but
    ///     `SLURM_CONF`, so a leader that itself runs in a job does not pass its allocation on); this
    ///     process's by default.
    public init(
        configuration: Configuration, runner: @escaping CommandRunner.Run = CommandRunner.system,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.configuration = configuration
        self.runner = runner
        self.environment = environment
        self.instance = String(format: "%08x", UInt32.random(in: 0...UInt32.max))
    }

    /// Receives notices (jobs of an earlier leader found, sacct not available); default: standard error.
    public func onMessage(_ handler: @escaping @Sendable (String) -> Void) {
        messageHandler.withLock { $0 = handler }
    }

    /// Job ids of an earlier leader's jobs found at the first submission (cancelled or only reported, per
    /// ``Configuration/orphanPolicy``).
    public var orphans: [String] { state.withLock { $0.orphans } }

    /// The start of every job name of this instance: `<jobName>-<instance>-block-`.
    public var jobNamePrefix: String { "\(configuration.jobName)-\(instance)-block-" }

    /// The job name of a block.
    public func jobName(blockID: String) -> String { jobNamePrefix + blockID }

    /// The address workers should dial, from ``Configuration/addressByInterface``; `nil` when that is not
    /// set. Throws when the interface does not exist or has no IPv4 address, naming the ones that do.
    public func interchangeAddress() throws -> String? {
        guard let name = configuration.addressByInterface else { return nil }
        if let address = NetworkInterfaceAddress.ipv4(interface: name) { return address }
        let known = NetworkInterfaceAddress.addresses().map { "\($0.interface) (\($0.address))" }.joined(separator: ", ")
        throw ProvidersError(.invalidConfiguration, "address_by_interface: no IPv4 address on interface '\(name)'; this host has: \(known)")
    }

    private func note(_ message: String) { messageHandler.withLock { $0 }(message) }

    // MARK: Preparation

    /// Checks the configuration, makes the script directory and handles the jobs of an earlier leader. Runs
    /// once; ``submit(command:environment:blockID:)`` calls it.
    public func prepare() async throws {
        _ = try await prepared()
    }

    private func prepared() async throws -> Prepared {
        let task = preparation.withLock { slot -> Task<Prepared, any Error> in
            if let existing = slot { return existing }
            let created = Task { try await self.doPrepare() }
            slot = created
            return created
        }
        do {
            return try await task.value
        } catch {
            preparation.withLock { $0 = nil }  // let a later submit try again
            throw error
        }
    }

    private func doPrepare() async throws -> Prepared {
        if let problem = configuration.problem { throw ProvidersError(.invalidConfiguration, problem) }
        var directory = configuration.scriptDirectory
        if !directory.hasPrefix("/") { directory = FileManager.default.currentDirectoryPath + "/" + directory }
        directory = (directory as NSString).standardizingPath
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ProvidersError(.io, "cannot create the script directory \(directory): \(error)")
        }
        let user = Self.userName()
        let prepared = Prepared(directory: directory, user: user)
        try await handleOrphans(prepared)
        return prepared
    }

    private static func userName() -> String {
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return String(getuid())
    }

    /// Jobs of this user named `<jobName>-<8 hex digits>-block-…` whose instance is not ours.
    private func handleOrphans(_ p: Prepared) async throws {
        let output = try await run(["squeue", "--noheader", "--user=\(p.user)", "--format=\(SlurmJobRecord.squeueFormat)"])
        guard output.status == 0 else { throw failure(["squeue", "--user=\(p.user)"], output) }
        let found = SlurmJobRecord.parseSqueue(output.stdout).filter { record in
            guard let instance = Self.instance(ofJobNamed: record.name ?? "", jobName: configuration.jobName) else { return false }
            return instance != self.instance && !record.isFinished
        }
        // Secret files of earlier leaders are of no use to anyone now.
        let stale = ((try? FileManager.default.contentsOfDirectory(atPath: p.directory)) ?? []).filter { file in
            guard file.hasSuffix(".env"), file != environmentFileName else { return false }
            return Self.instance(ofJobNamed: String(file.dropLast(4)) + "-block-", jobName: configuration.jobName) != nil
        }
        for file in stale { try? FileManager.default.removeItem(atPath: p.directory + "/" + file) }
        guard !found.isEmpty else { return }
        let ids = found.map(\.jobID).sorted { (Int($0) ?? 0, $0) < (Int($1) ?? 0, $1) }
        let listing = found.map { "\($0.jobID) (\($0.name ?? "?"), \($0.state))" }.joined(separator: ", ")
        state.withLock { $0.orphans = ids }
        switch configuration.orphanPolicy {
        case .report:
            note("\(ids.count) job(s) of an earlier leader of '\(configuration.jobName)' are still queued or running: \(listing)")
        case .cancel:
            note("cancelling \(ids.count) job(s) left by an earlier leader of '\(configuration.jobName)': \(listing)")
            try await scancel(ids)
        }
    }

    /// The instance part of a job name `<jobName>-<instance>-block-<id>`, if the name has that form.
    static func instance(ofJobNamed name: String, jobName: String) -> String? {
        guard name.hasPrefix(jobName + "-") else { return nil }
        let rest = name.dropFirst(jobName.count + 1)
        let hex = rest.prefix(8)
        guard hex.count == 8, hex.allSatisfy(\.isHexDigit), rest.dropFirst(8).hasPrefix("-block-") else { return nil }
        return String(hex)
    }

    private var environmentFileName: String { "\(configuration.jobName)-\(instance).env" }

    // MARK: ExecutionProvider

    /// Writes the block's script and submits it with `sbatch --parsable`; returns Slurm's job id.
    public func submit(command: [String], environment submitted: [String: String], blockID: String) async throws -> String {
        guard !command.isEmpty else { throw ProvidersError(.submitFailed, "block \(blockID): empty launch command") }
        if state.withLock({ $0.stopped }) { throw ProvidersError(.shutDown, "provider \(label) is shut down") }
        for key in submitted.keys where !Self.isVariableName(key) {
            throw ProvidersError(.invalidConfiguration, "block \(blockID): '\(key)' is not a shell variable name")
        }
        let p = try await prepared()
        let name = jobName(blockID: blockID)
        let base = "\(p.directory)/\(name)"
        var environmentFile: String?
        if configuration.secretDelivery == .file, !submitted.isEmpty {
            let path = "\(p.directory)/\(environmentFileName)"
            try writeEnvironmentFile(Self.environmentFileText(submitted), to: path)
            environmentFile = path
        }
        let request = BatchScriptRequest(
            jobName: name, blockID: blockID, command: command, stdoutPath: base + ".out", stderrPath: base + ".err", environmentFile: environmentFile
        )
        let scriptPath = base + ".sbatch"
        do {
            try Self.writeAtomically(Self.batchScript(configuration, request), to: scriptPath, mode: 0o644)
        } catch {
            throw ProvidersError(.io, "block \(blockID): cannot write \(scriptPath): \(error)")
        }

        var sbatchEnvironment = Self.submissionEnvironment(environment)
        var argv = ["sbatch", "--parsable"]
        if configuration.secretDelivery == .export {
            argv.append("--export=ALL")
            sbatchEnvironment.merge(submitted) { _, new in new }
        }
        argv.append(scriptPath)
        let output: CommandRunner.Output
        do {
            output = try await runner(argv, sbatchEnvironment, timeout)
        } catch let error as ProvidersError where error.code == .timedOut {
            // sbatch may have got through before it was killed: leave no job without a block behind.
            await cancelByName(name, user: p.user)
            throw error
        }
        guard output.status == 0 else { throw failure(argv, output) }
        guard let jobID = SlurmJobRecord.parseSbatch(output.stdout) else {
            await cancelByName(name, user: p.user)
            throw ProvidersError(.unparsableOutput, "`\(CommandRunner.display(argv))` printed no job id: \(output.stdout) \(output.stderr)")
        }
        let accepted = state.withLock { s -> Bool in
            guard !s.stopped else { return false }
            s.jobs[jobID] = Job(blockID: blockID, name: name, submittedAt: .now, stdoutPath: request.stdoutPath, stderrPath: request.stderrPath)
            return true
        }
        if !accepted {
            try? await scancel([jobID])
            throw ProvidersError(.shutDown, "provider \(label) shut down during submit")
        }
        return jobID
    }

    /// One `squeue` for every job asked about (at most every ``Configuration/statusPollingInterval`` unless a
    /// job is new to it); finished jobs are read once more with `sacct`, or `scontrol show job` where
    /// accounting is off, for their exit code, then never again.
    public func status(jobIDs: [String]) async throws -> [String: JobStatus] {
        let (known, live, cached) = state.withLock { s -> ([String: Job], [String], [String: JobStatus]?) in
            var known: [String: Job] = [:]
            for id in jobIDs { known[id] = s.jobs[id] }
            let live = jobIDs.filter { s.jobs[$0] != nil && s.jobs[$0]?.final == nil }
            let fresh = s.cachedAt.map { ContinuousClock.now - $0 < .milliseconds(Int(configuration.statusPollingInterval * 1000)) } ?? false
            let covered = live.allSatisfy { s.cache[$0] != nil }
            return (known, live, fresh && covered ? s.cache : nil)
        }
        var statuses: [String: JobStatus] = [:]
        for id in jobIDs {
            guard let job = known[id] else {
                statuses[id] = JobStatus(state: .missing, message: "no such job in provider \(label)")
                continue
            }
            if let final = job.final { statuses[id] = final }
        }
        guard !live.isEmpty else { return statuses }
        if let cached {
            for id in live { statuses[id] = cached[id] }
            return statuses
        }

        let records = try await query(live)
        let now = ContinuousClock.now
        var fresh: [String: JobStatus] = [:]
        for id in live {
            let job = known[id]!
            var status: JobStatus
            if let record = records[id] {
                status = record.jobStatus
                if job.cancelled, status.state.isTerminal {
                    status = JobStatus(state: .cancelled, message: "cancelled by the provider", exitCode: status.exitCode)
                }
            } else if job.cancelled {
                status = JobStatus(state: .cancelled, message: "cancelled by the provider")
            } else if now - job.submittedAt < .seconds(30) {
                status = JobStatus(state: .pending, message: "submitted; not listed by squeue yet")
            } else {
                status = JobStatus(
                    state: .missing, message: "Slurm no longer knows job \(id) (it ended longer ago than the controller keeps jobs, MinJobAge)")
            }
            if status.state == .failed || status.state == .timeout {
                let tail = ProcessGroup.tail(of: job.stderrPath, bytes: 2048)
                if !tail.isEmpty { status.message = (status.message.map { $0 + "; " } ?? "") + "stderr tail:\n\(tail)" }
            }
            status.stdoutPath = job.stdoutPath
            status.stderrPath = job.stderrPath
            fresh[id] = status
        }
        state.withLock { s in
            s.cache = fresh
            s.cachedAt = now
            for (id, status) in fresh where status.state.isTerminal { s.jobs[id]?.final = status }
        }
        statuses.merge(fresh) { _, new in new }
        return statuses
    }

    /// `scancel`, then waits (up to ``Configuration/cancelTimeout``) until the jobs have left the queue.
    /// Cancelling a job that already ended is not an error.
    public func cancel(jobIDs: [String]) async throws {
        let ids = state.withLock { s -> [String] in
            var ids: [String] = []
            for id in jobIDs {
                guard var job = s.jobs[id] else { continue }
                job.cancelled = true
                if job.final == nil {
                    ids.append(id)
                    job.final = JobStatus(state: .cancelled, message: "cancelled by the provider", stdoutPath: job.stdoutPath, stderrPath: job.stderrPath)
                }
                s.jobs[id] = job
            }
            s.cachedAt = nil
            return ids
        }
        guard !ids.isEmpty else { return }
        try await scancel(ids)
    }

    /// Cancels every job of this instance (those in the job table and any other `squeue` lists under this
    /// instance's name prefix), waits until they have left the queue, removes the secret file, and refuses
    /// new submissions.
    public func shutdown() async {
        let ids = state.withLock { s -> [String] in
            s.stopped = true
            return s.jobs.filter { $0.value.final == nil }.map(\.key)
        }
        guard let task = preparation.withLock({ $0 }), let p = try? await task.value else { return }
        var all = Set(ids)
        if let output = try? await run(["squeue", "--noheader", "--user=\(p.user)", "--format=\(SlurmJobRecord.squeueFormat)"]), output.status == 0 {
            let prefix = jobNamePrefix
            all.formUnion(SlurmJobRecord.parseSqueue(output.stdout).filter { ($0.name ?? "").hasPrefix(prefix) && !$0.isFinished }.map(\.jobID))
        }
        do {
            try await cancel(jobIDs: ids)
            let others = all.subtracting(ids)
            if !others.isEmpty { try await scancel(Array(others).sorted()) }
        } catch {
            note("shutdown: \(error)")
        }
        try? FileManager.default.removeItem(atPath: "\(p.directory)/\(environmentFileName)")
    }

    // MARK: Commands

    private var timeout: Duration { .milliseconds(Int(configuration.cmdTimeout * 1000)) }

    private func run(_ argv: [String]) async throws -> CommandRunner.Output {
        try await runner(argv, Self.submissionEnvironment(environment), timeout)
    }

    private func failure(_ argv: [String], _ output: CommandRunner.Output) -> ProvidersError {
        let said = (output.stderr + output.stdout).trimmingCharacters(in: .whitespacesAndNewlines)
        return ProvidersError(.commandFailed, "`\(CommandRunner.display(argv))` exited with \(output.status)" + (said.isEmpty ? "" : ": \(said)"))
    }

    /// Records of the given jobs: `squeue` for all, then details for those squeue does not list or lists as
    /// finished.
    private func query(_ ids: [String]) async throws -> [String: SlurmJobRecord] {
        let list = ids.joined(separator: ",")
        let argv = ["squeue", "--noheader", "--states=all", "--jobs=\(list)", "--format=\(SlurmJobRecord.squeueFormat)"]
        let output = try await run(argv)
        var records: [String: SlurmJobRecord] = [:]
        if output.status == 0 {
            for record in SlurmJobRecord.parseSqueue(output.stdout) { records[record.jobID] = record }
        } else if !output.stderr.contains("Invalid job id") {
            throw failure(argv, output)
        }
        let unsettled = ids.filter { records[$0]?.isFinished ?? true }
        guard !unsettled.isEmpty else { return records }
        for (id, detail) in try await details(unsettled) {
            // sacct may lag behind the controller: a finished state from squeue beats an unfinished one.
            if detail.isFinished || records[id] == nil {
                var merged = detail
                if merged.reason == nil { merged.reason = records[id]?.reason }
                records[id] = merged
            }
        }
        return records
    }

    /// Finished jobs' records from `sacct`; from `scontrol show job` when sacct does not work here.
    private func details(_ ids: [String]) async throws -> [String: SlurmJobRecord] {
        var records: [String: SlurmJobRecord] = [:]
        if state.withLock({ $0.sacctWorks }) != false {
            let argv = [
                "sacct", "--noheader", "--parsable2", "--allocations", "--jobs=\(ids.joined(separator: ","))", "--format=\(SlurmJobRecord.sacctFormat)",
            ]
            if let output = try? await run(argv), output.status == 0 {
                state.withLock { $0.sacctWorks = true }
                for record in SlurmJobRecord.parseSacct(output.stdout) { records[record.jobID] = record }
                return records
            } else if state.withLock({ $0.sacctWorks }) == nil {
                state.withLock { $0.sacctWorks = false }
                note("sacct does not work here (accounting storage is off?); finished jobs are read with scontrol show job")
            }
        }
        for id in ids {
            let output = try await run(["scontrol", "--oneliner", "show", "job", id])
            guard output.status == 0 else { continue }  // "Invalid job id specified": purged
            for record in SlurmJobRecord.parseScontrol(output.stdout) where record.jobID == id { records[id] = record }
        }
        return records
    }

    /// `scancel IDS`, tolerating jobs that already ended, then waits until none of them is queued or running.
    private func scancel(_ ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        let argv = ["scancel"] + ids
        let output = try await run(argv)
        if output.status != 0 {
            let harmless = output.stderr.split(whereSeparator: \.isNewline).allSatisfy { line in
                line.contains("already completing or completed") || line.contains("Invalid job id") || line.trimmingCharacters(in: .whitespaces).isEmpty
            }
            if !harmless { throw failure(argv, output) }
        }
        let deadline = ContinuousClock.now + .milliseconds(Int(configuration.cancelTimeout * 1000))
        while ContinuousClock.now < deadline {
            let listing = try? await run(["squeue", "--noheader", "--jobs=\(ids.joined(separator: ","))", "--format=%i"])
            guard let listing, listing.status == 0, !listing.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Cancels a job known only by name (sbatch timed out or printed no id), without waiting.
    private func cancelByName(_ name: String, user: String) async {
        _ = try? await run(["scancel", "--user=\(user)", "--name=\(name)"])
    }

    // MARK: Files and environment

    private func writeEnvironmentFile(_ text: String, to path: String) throws {
        let unchanged = state.withLock { $0.environmentFileText == text }
        if unchanged, FileManager.default.fileExists(atPath: path) { return }
        do {
            try Self.writeAtomically(text, to: path, mode: 0o600)
        } catch {
            throw ProvidersError(.io, "cannot write the run secret file \(path): \(error)")
        }
        state.withLock { $0.environmentFileText = text }
    }

    /// Writes `text` to a temporary file created with `mode` (never wider, whatever the umask), then renames
    /// it over `path`.
    static func writeAtomically(_ text: String, to path: String, mode: mode_t) throws {
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ProvidersError(.io, "open \(temporary): \(String(cString: strerror(errno)))") }
        fchmod(fd, mode)
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let message = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw ProvidersError(.io, "write \(temporary): \(message)")
            }
            written += n
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary)
            throw ProvidersError(.io, "rename \(temporary) to \(path): \(message)")
        }
    }

    /// The environment for Slurm commands: `environment` without the `SLURM_*` variables of an allocation the
    /// leader itself may run in (they would leak into the new job and confuse its `srun`), but `SLURM_CONF`.
    static func submissionEnvironment(_ environment: [String: String]) -> [String: String] {
        environment.filter { !$0.key.hasPrefix("SLURM_") || $0.key == "SLURM_CONF" }
    }

    private static func isVariableName(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}
