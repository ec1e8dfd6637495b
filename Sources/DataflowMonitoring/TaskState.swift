/// The state of a task as recorded in monitoring, with Parsl's `States` IntEnum codes.
///
/// `running` and `runningEnded` come only from worker-side messages; the dataflow kernel never sets them.
/// The final states are ``execDone``, ``memoDone``, ``failed`` and ``depFail``.
public enum TaskState: Int, Sendable, Codable, CaseIterable {
    /// Submitted, waiting for its dependencies or for an executor slot.
    case pending = 0
    /// A worker started running the task (worker-side).
    case running = 2
    /// The task returned a result.
    case execDone = 3
    /// The task failed and will not be retried.
    case failed = 4
    /// A dependency failed, so the task never ran.
    case depFail = 5
    /// Handed to an executor.
    case launched = 7
    /// The try failed and the task will be retried (Parsl's `fail_retryable`, shown as "retry" in some UIs).
    case failRetryable = 8
    /// The result came from the memo table or a checkpoint.
    case memoDone = 9
    /// A join app is waiting for the futures its body returned.
    case joining = 10
    /// The worker finished running the task (worker-side).
    case runningEnded = 11

    /// Parsl's name for the state, as stored in `status.task_status_name`.
    public var name: String {
        String(describing: self.staticName)
    }

    /// Whether the task can no longer change state.
    public var isFinal: Bool {
        switch self {
        case .execDone, .memoDone, .failed, .depFail: true
        default: false
        }
    }

    /// Looks a state up by its Parsl name (`"exec_done"`, ...); `nil` for an unknown name.
    public init?(name: String) {
        guard let state = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = state
    }

    /// The name as a static C string: the writer binds it without copying (`SQLITE_STATIC`).
    var staticName: StaticString {
        switch self {
        case .pending: "pending"
        case .running: "running"
        case .execDone: "exec_done"
        case .failed: "failed"
        case .depFail: "dep_fail"
        case .launched: "launched"
        case .failRetryable: "fail_retryable"
        case .memoDone: "memo_done"
        case .joining: "joining"
        case .runningEnded: "running_ended"
        }
    }
}
