/// The state of one provider job (one block), with Parsl's codes (`parsl.jobs.states.JobState`).
public enum JobState: Int, Sendable, Codable, Hashable, CaseIterable, CustomStringConvertible {
    case unknown = 0
    case pending = 1
    case running = 2
    case cancelled = 3
    case completed = 4
    case failed = 5
    case timeout = 6
    case held = 7
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
