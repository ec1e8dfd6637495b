import Foundation

/// One job as a Slurm command reports it, with pure parsers for the output of `squeue`, `sacct`, `scontrol`
/// and `sbatch`, and the map from Slurm's job states to ``JobStatus``.
///
/// The provider always asks for explicit columns (``squeueFormat``, ``sacctFormat``) with `|` between them
/// and no header, so a parser never depends on column widths or on what a site's `SQUEUE_FORMAT` says. The
/// job name comes last: it is the only field a user may fill with `|`.
public struct SlurmJobRecord: Sendable, Hashable {
    /// The job id (`JobIDRaw`: for an array task the number Slurm gave it, not `123_4`).
    public var jobID: String
    /// Slurm's state in full, e.g. `"PENDING"`, `"OUT_OF_MEMORY"` (sacct's `"CANCELLED by 1000"` becomes
    /// `"CANCELLED"`; ``detail`` keeps `"by 1000"`).
    public var state: String
    /// Why the job is in that state, as squeue's `%r` or scontrol's `Reason` says (`"Resources"`,
    /// `"QOSMaxJobsPerUserLimit"`, `"NonZeroExitCode"`); `nil` for `None`.
    public var reason: String?
    /// The exit status of the batch script, once known (sacct and scontrol `ExitCode=<status>:<signal>`).
    public var exitCode: Int32?
    /// The signal that ended the batch script, if one did.
    public var signal: Int32?
    /// The job name.
    public var name: String?
    /// Anything after the state word (sacct: `"by 1000"` for a job someone cancelled).
    public var detail: String?

    /// Creates a record.
    public init(
        jobID: String, state: String, reason: String? = nil, exitCode: Int32? = nil, signal: Int32? = nil, name: String? = nil,
        detail: String? = nil
    ) {
        self.jobID = jobID
        self.state = state
        self.reason = reason
        self.exitCode = exitCode
        self.signal = signal
        self.name = name
        self.detail = detail
    }

    // MARK: Parsing

    /// `squeue --noheader --format=<this>`: job id, state (long form), reason, name.
    public static let squeueFormat = "%i|%T|%r|%j"

    /// `sacct --noheader --parsable2 --allocations --format=<this>`: raw job id, state, exit code, name.
    public static let sacctFormat = "JobIDRaw,State,ExitCode,JobName"

    /// Reads `squeue --noheader --format=%i|%T|%r|%j` output (one job per line; blank lines skipped).
    public static func parseSqueue(_ text: String) -> [SlurmJobRecord] {
        lines(text).compactMap { line in
            let fields = line.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4, let id = jobID(fields[0]) else { return nil }
            let (state, detail) = splitState(fields[1])
            return SlurmJobRecord(jobID: id, state: state, reason: reason(fields[2]), name: fields[3], detail: detail)
        }
    }

    /// Reads `sacct --noheader --parsable2 --format=JobIDRaw,State,ExitCode,JobName` output. Job steps
    /// (`123.batch`, `123.extern`, `123.0`) are skipped, so the output of a run without `--allocations` reads
    /// the same.
    public static func parseSacct(_ text: String) -> [SlurmJobRecord] {
        lines(text).compactMap { line in
            let fields = line.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 3, !fields[0].contains("."), let id = jobID(fields[0]) else { return nil }
            let (state, detail) = splitState(fields[1])
            let (exit, signal) = exitCode(fields[2])
            return SlurmJobRecord(jobID: id, state: state, exitCode: exit, signal: signal, name: fields.count > 3 ? fields[3] : nil, detail: detail)
        }
    }

    /// Reads `scontrol --oneliner show job [ID]` output: one job per line of `Key=Value` pairs, values with
    /// spaces included (`Command=/path/with space.sh`).
    public static func parseScontrol(_ text: String) -> [SlurmJobRecord] {
        lines(text).compactMap { line in
            let fields = keyValues(line)
            guard let id = fields["JobId"].flatMap(jobID), let stateText = fields["JobState"] else { return nil }
            let (state, detail) = splitState(stateText)
            let (exit, signal) = fields["ExitCode"].map(exitCode) ?? (nil, nil)
            return SlurmJobRecord(
                jobID: id, state: state, reason: fields["Reason"].flatMap(reason), exitCode: exit, signal: signal, name: fields["JobName"],
                detail: detail
            )
        }
    }

    /// The job id `sbatch` printed: `--parsable` prints `123` or `123;cluster`, plain sbatch
    /// `Submitted batch job 123`. `nil` if neither is there.
    public static func parseSbatch(_ text: String) -> String? {
        for line in lines(text) {
            let first = line.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            if let id = jobID(first) { return id }
            if let range = line.range(of: "Submitted batch job ") {
                let rest = line[range.upperBound...].prefix { !$0.isWhitespace }
                if let id = jobID(String(rest)) { return id }
            }
        }
        return nil
    }

    private static func lines(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// A job id: digits, optionally with an array (`_4`, `_[1-3]`) or het-job (`+0`) suffix.
    private static func jobID(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let first = trimmed.first, first.isNumber else { return nil }
        let digits = trimmed.prefix { $0.isNumber }
        let rest = trimmed.dropFirst(digits.count)
        guard rest.isEmpty || rest.hasPrefix("_") || rest.hasPrefix("+") else { return nil }
        return trimmed
    }

    private static func splitState(_ text: String) -> (String, String?) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else { return (trimmed.uppercased(), nil) }
        let detail = trimmed[trimmed.index(after: space)...].trimmingCharacters(in: .whitespaces)
        return (String(trimmed[..<space]).uppercased(), detail.isEmpty ? nil : detail)
    }

    private static func reason(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty || trimmed == "None" || trimmed == "(null)" ? nil : trimmed
    }

    private static func exitCode(_ text: String) -> (Int32?, Int32?) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":")
        guard parts.count == 2, let code = Int32(parts[0]), let signal = Int32(parts[1]) else { return (nil, nil) }
        return (code, signal == 0 ? nil : signal)
    }

    /// `Key=Value Key=Value …` where a value runs until the next ` Key=`; keys are letters, digits and
    /// `:/_-` (scontrol has `AllocNode:Sid`, `CPUs/Task`, `ReqB:S:C:T`).
    private static func keyValues(_ line: String) -> [String: String] {
        var result: [String: String] = [:]
        let characters = Array(line)
        func isKeyCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || ":/_-".contains(c) }
        // Start offsets of every "Key=" that begins the line or follows a space.
        var starts: [(key: String, value: Int)] = []
        var i = 0
        while i < characters.count {
            if i == 0 || characters[i - 1] == " " {
                var j = i
                while j < characters.count, isKeyCharacter(characters[j]) { j += 1 }
                if j > i, j < characters.count, characters[j] == "=", characters[i].isLetter {
                    starts.append((String(characters[i..<j]), j + 1))
                    i = j + 1
                    continue
                }
            }
            i += 1
        }
        for (index, start) in starts.enumerated() {
            let end = index + 1 < starts.count ? starts[index + 1].value - starts[index + 1].key.count - 1 : characters.count
            let value = String(characters[start.value..<Swift.max(start.value, end)]).trimmingCharacters(in: .whitespaces)
            if result[start.key] == nil { result[start.key] = value }
        }
        return result
    }

    // MARK: States

    /// Pending reasons that mean Slurm will never start the job as submitted: the request exceeds a
    /// partition, account or QOS limit for one job, or names something that does not exist. Such a block
    /// fails at once (with the reason) instead of waiting in the queue for ever.
    public static let hopelessReasons: Set<String> = [
        "PartitionTimeLimit", "PartitionNodeLimit", "BadConstraints", "InvalidAccount", "InvalidQOS", "QOSNotAllowed",
        "AccountNotAllowed", "PartitionConfig", "DependencyNeverSatisfied",
    ]

    /// Pending reasons that hold the job until someone releases it (`scontrol release`).
    public static let holdReasons: Set<String> = ["JobHeldUser", "JobHeldAdmin"]

    /// A few words on the pending reasons users meet most.
    static let reasonExplanations: [String: String] = [
        "Resources": "waiting for nodes to become free",
        "Priority": "jobs of higher priority are ahead in the queue",
        "QOSMaxJobsPerUserLimit": "the QOS allows no more running jobs for this user",
        "QOSMaxSubmitJobPerUserLimit": "the QOS allows no more queued jobs for this user",
        "AssocMaxJobsLimit": "the account allows no more running jobs",
        "AssocGrpCpuLimit": "the account's CPU allocation is in use",
        "AssocGrpNodeLimit": "the account's node allocation is in use",
        "ReqNodeNotAvail": "a requested node is down, drained or reserved",
        "PartitionDown": "the partition is down",
        "PartitionInactive": "the partition is inactive",
        "NodeDown": "a node the job needs is down",
        "Reservation": "waiting for its reservation to start",
        "JobHeldUser": "held by the user (scontrol release)",
        "JobHeldAdmin": "held by an administrator",
        "BeginTime": "its start time has not come",
        "Dependency": "waiting for a job it depends on",
        "PartitionTimeLimit": "the walltime exceeds the partition's limit",
        "PartitionNodeLimit": "nodes_per_block exceeds the partition's limit",
        "BadConstraints": "no node has the requested constraint, cores or memory",
        "InvalidAccount": "the account does not exist or the user may not use it",
        "InvalidQOS": "the QOS does not exist or the account may not use it",
    ]

    /// Whether Slurm will never start a job pending for `reason` (see ``hopelessReasons``; also any
    /// `…PerJobLimit` reason such as `QOSMaxWallDurationPerJobLimit`, where one job alone is over a limit).
    public static func isHopeless(_ reason: String) -> Bool {
        hopelessReasons.contains(reason) || reason.hasSuffix("PerJobLimit") || reason.hasPrefix("MinCpuNotSatisfied")
    }

    /// The block state, with Slurm's reason in the message:
    /// - `PENDING`, `CONFIGURING`, `REQUEUED`, `REQUEUE_FED`, `RESV_DEL_HOLD` (not held) → pending, with the
    ///   reason (`Resources: waiting for nodes to become free`); a hold reason → held; a hopeless reason →
    ///   failed.
    /// - `RUNNING`, `COMPLETING`, `STAGE_OUT`, `SIGNALING`, `RESIZING` → running.
    /// - `SUSPENDED`, `STOPPED`, `REQUEUE_HOLD` → held.
    /// - `COMPLETED` → completed; `CANCELLED` → cancelled.
    /// - `TIMEOUT`, `DEADLINE`, `PREEMPTED` → timeout (as Parsl: the scheduler ended it on its own terms).
    /// - `FAILED`, `NODE_FAIL`, `BOOT_FAIL`, `OUT_OF_MEMORY`, `REVOKED`, `SPECIAL_EXIT` → failed.
    /// - anything else → unknown, naming the state.
    public var jobStatus: JobStatus {
        func explained(_ reason: String) -> String {
            let key = reason.split(separator: ",").first.map(String.init) ?? reason
            return Self.reasonExplanations[key].map { "\(reason): \($0)" } ?? reason
        }
        // A signal number above 64 is Slurm's own code (0:125 for an OOM kill), not a signal.
        let exit: Int32? = signal.flatMap { (1...64).contains($0) ? 128 + $0 : nil } ?? exitCode
        switch state {
        case "PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_FED", "RESV_DEL_HOLD":
            guard let reason else { return JobStatus(state: .pending, message: state == "PENDING" ? nil : state) }
            if Self.isHopeless(reason) {
                return JobStatus(state: .failed, message: "\(explained(reason)); Slurm will never start this job as submitted")
            }
            let held = Self.holdReasons.contains(reason) || state == "RESV_DEL_HOLD"
            return JobStatus(state: held ? .held : .pending, message: explained(reason))
        case "RUNNING", "COMPLETING", "STAGE_OUT", "SIGNALING", "RESIZING":
            return JobStatus(state: .running, message: state == "RUNNING" ? nil : state)
        case "SUSPENDED", "STOPPED", "REQUEUE_HOLD":
            return JobStatus(state: .held, message: [state, reason].compactMap { $0 }.joined(separator: ": "))
        case "COMPLETED":
            return JobStatus(state: .completed, exitCode: exit ?? 0)
        case "CANCELLED":
            // The reason left is the one it had while pending (Priority, Resources): it says nothing here.
            return JobStatus(state: .cancelled, message: detail.map { "cancelled \($0)" } ?? "cancelled with scancel", exitCode: exit)
        case "TIMEOUT":
            return JobStatus(state: .timeout, message: "the walltime ran out", exitCode: exit)
        case "DEADLINE":
            return JobStatus(state: .timeout, message: "DEADLINE: the job's deadline passed", exitCode: exit)
        case "PREEMPTED":
            return JobStatus(state: .timeout, message: "PREEMPTED: a job of higher priority took the nodes", exitCode: exit)
        case "FAILED":
            return JobStatus(state: .failed, message: reason ?? "the batch script failed", exitCode: exit)
        case "NODE_FAIL", "BOOT_FAIL", "OUT_OF_MEMORY", "REVOKED", "SPECIAL_EXIT":
            let what =
                switch state {
                case "NODE_FAIL": "a node of the job failed"
                case "BOOT_FAIL": "a node failed to boot"
                case "OUT_OF_MEMORY": "a process exceeded the job's memory (mem_per_node)"
                default: reason ?? "ended by Slurm"
                }
            return JobStatus(state: .failed, message: "\(state): \(what)", exitCode: exit)
        default:
            return JobStatus(state: .unknown, message: "Slurm state \(state)" + (reason.map { ": \($0)" } ?? ""), exitCode: exit)
        }
    }

    /// Whether Slurm is done with the job: its state is final (the nodes may still be cleaning up in
    /// `COMPLETING`, which is not final).
    public var isFinished: Bool { jobStatus.state.isTerminal }
}
