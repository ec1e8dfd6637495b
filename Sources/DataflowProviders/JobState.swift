/// The state of one provider job (one block), with Parsl's codes (`parsl.jobs.states.JobState`).
public enum JobState: Int, Sendable, Codable, Hashable, CaseIterable, CustomStringConvertible {
    /// The provider cannot tell what state the job is in (Parsl `UNKNOWN`), e.g. a pod in phase `Unknown`.
    case unknown = 0
    /// Submitted but not running yet: queued, being scheduled or pulling its image (Parsl `PENDING`).
    case pending = 1
    /// The job's processes or pods are running (Parsl `RUNNING`).
    case running = 2
    /// Stopped by ``ExecutionProvider/cancel(jobIDs:)`` (Parsl `CANCELLED`); the scaler records its own
    /// scale-ins as ``scaledIn`` instead.
    case cancelled = 3
    /// Ended on its own with exit code 0 on every node (Parsl `COMPLETED`).
    case completed = 4
    /// Ended with a non-zero exit code or a signal, could not be submitted, or (on Kubernetes) can never
    /// start as specified (Parsl `FAILED`).
    case failed = 5
    /// Ended by the batch system for exceeding its walltime (Parsl `TIMEOUT`); the local and Kubernetes
    /// providers never report it.
    case timeout = 6
    /// Held in the batch system's queue (Parsl `HELD`); the local and Kubernetes providers never report it.
    case held = 7
    /// The provider does not know the job (any more): an unknown job id, or a pod deleted from outside
    /// (Parsl `MISSING`).
    case missing = 8
    /// Cancelled by the scaler on purpose (scale-in), as opposed to by someone else.
    case scaledIn = 9

    /// The job will not run again: cancelled, completed, failed, timeout, missing or scaled in.
    public var isTerminal: Bool {
        switch self {
        case .cancelled, .completed, .failed, .timeout, .missing, .scaledIn: true
        case .unknown, .pending, .running, .held: false
        }
    }

    /// Parsl's upper-case name, as stored in the monitoring `block` table (e.g. `"SCALED_IN"`).
    public var parslName: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .pending: "PENDING"
        case .running: "RUNNING"
        case .cancelled: "CANCELLED"
        case .completed: "COMPLETED"
        case .failed: "FAILED"
        case .timeout: "TIMEOUT"
        case .held: "HELD"
        case .missing: "MISSING"
        case .scaledIn: "SCALED_IN"
        }
    }

    public var description: String { parslName }
}
