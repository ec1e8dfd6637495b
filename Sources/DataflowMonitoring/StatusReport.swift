import Foundation

/// A read-only summary of one run, computed from a monitoring database.
///
/// Works while the run is going (another process or thread is writing; WAL mode means the reader never
/// blocks it, and the report is one consistent snapshot) and after it ended. A task's *current state* is
/// its final state once it ended, else its latest row in the `status` view (as in `task_current_status`).
///
/// ```swift
/// let report = try StatusReport.load(databasePath: "runinfo/000/monitoring.db")
/// print(report.render())
/// let json = try JSONEncoder().encode(report)
/// ```
public struct StatusReport: Sendable, Codable, Equatable {
    /// One failed try, or a task that failed without running (for example `dep_fail`).
    public struct Failure: Sendable, Codable, Equatable {
        /// The task's id within the run.
        public var taskID: Int
        /// The app (`task_func_name`).
        public var appName: String
        /// The try that failed; `nil` when the failure belongs to the task as a whole (no try failed).
        public var tryID: Int?
        /// The error message (`try.task_fail_history`, or `task.task_fail_message`).
        public var message: String
        /// Where the try ran, when known.
        public var hostname: String?
        /// The task's current state: `failed`/`dep_fail` if it gave up, or e.g. `fail_retryable`,
        /// `pending`, `exec_done` if it was retried.
        public var currentState: String

        /// Creates a failure entry.
        /// - Parameters:
        ///   - taskID: The task's id within the run.
        ///   - appName: The app (`task_func_name`).
        ///   - tryID: The try that failed, or `nil` for a task-level failure.
        ///   - message: The error message.
        ///   - hostname: Where the try ran, if known.
        ///   - currentState: The task's current state name.
        public init(taskID: Int, appName: String, tryID: Int?, message: String, hostname: String?, currentState: String) {
            self.taskID = taskID
            self.appName = appName
            self.tryID = tryID
            self.message = message
            self.hostname = hostname
            self.currentState = currentState
        }
    }

    /// An item that failed inside a task that succeeded (a `partial_failure` row): the task went on with
    /// its other items, so it counts as done in the table of states.
    public struct PartialFailure: Sendable, Codable, Equatable {
        /// The task's id within the run.
        public var taskID: Int
        /// The app (`task_func_name`).
        public var appName: String
        /// What failed: a file, a tile, a record.
        public var item: String
        /// Why.
        public var message: String

        /// Creates a partial failure entry.
        public init(taskID: Int, appName: String, item: String, message: String) {
            self.taskID = taskID
            self.appName = appName
            self.item = item
            self.message = message
        }
    }

    /// The latest state of one block of workers (the last `block` row of the run for that block).
    public struct Block: Sendable, Codable, Equatable {
        /// The executor the block belongs to.
        public var executor: String
        /// The scaler's block id.
        public var blockID: String
        /// The provider's job id, when known.
        public var jobID: String?
        /// Parsl's state name, e.g. `RUNNING`, `FAILED`, `SCALED_IN`.
        public var state: String
        /// Why: a failed block's exit status and stderr tail, or a pod's reason.
        public var reason: String?
        /// When the state was recorded, unix seconds.
        public var time: Double

        /// Creates a block entry.
        public init(executor: String, blockID: String, jobID: String?, state: String, reason: String?, time: Double) {
            self.executor = executor
            self.blockID = blockID
            self.jobID = jobID
            self.state = state
            self.reason = reason
            self.time = time
        }
    }

    /// The run's id (`workflow.run_id`).
    public var runID: String
    /// The workflow's name and version as recorded at start.
    public var workflowName: String?
    /// The workflow's version as recorded at start.
    public var workflowVersion: String?
    /// The run directory recorded at start.
    public var runDirectory: String?
    /// The host and user that started the run.
    public var host: String?
    /// The user that started the run.
    public var user: String?
    /// Start time, unix seconds.
    public var started: Double
    /// End time, unix seconds; `nil` while the run is going (or if it died without ending).
    public var ended: Double?
    /// When this report was read, unix seconds.
    public var generated: Double
    /// Number of tasks submitted in the run.
    public var taskCount: Int
    /// Per app, the number of tasks in each current state (state names as in Parsl).
    public var countsByApp: [String: [String: Int]]
    /// The number of tasks in each current state, over all apps.
    public var totals: [String: Int]
    /// Failures ordered by task and try, at most `failureLimit` of them (see ``failureCount``).
    public var failures: [Failure]
    /// The number of failures in the database, which may exceed `failures.count`.
    public var failureCount: Int
    /// Every block of workers the run started, by executor and block id, in its latest state.
    public var blocks: [Block] = []
    /// Cacheable tasks that ran again instead of reusing a checkpointed result, by reason (`output_missing`,
    /// `output_changed`, `input_changed`).
    public var reruns: [String: Int] = [:]

    /// Items that failed inside tasks that succeeded, ordered by task, at most `failureLimit` of them.
    public var partialFailures: [PartialFailure] = []
    /// The number of partial failures in the database, which may exceed `partialFailures.count`.
    public var partialFailureCount = 0

    /// Whether the run has not recorded its end.
    public var isRunning: Bool { self.ended == nil }

    /// Reads a report from a monitoring database.
    /// - Parameters:
    ///   - databasePath: The `monitoring.db` file.
    ///   - runID: The run to report on; `nil` picks the run that started last.
    ///   - failureLimit: Most failures (and, apart, partial failures) to list; ``failureCount`` and
    ///     ``partialFailureCount`` still count them all.
    ///   - immutable: Open it as a file nobody changes (a published snapshot): no locks, `-shm` or WAL.
    /// - Throws: ``MonitoringError`` (`.openFailed`, `.query`, or `.notFound` when there is no such run).
    public static func load(databasePath: String, runID: String? = nil, failureLimit: Int = 1_000, immutable: Bool = false) throws
        -> StatusReport
    {
        try StatusReportLoader(path: databasePath, immutable: immutable).load(runID: runID, failureLimit: failureLimit)
    }

    /// The id of the latest run whose run directory is `runDirectory` (as recorded, or ending in its last
    /// path components), for showing one numbered run of a `run_dir`.
    public static func runID(databasePath: String, runDirectory: String, immutable: Bool = false) throws -> String? {
        let loader = try StatusReportLoader(path: databasePath, immutable: immutable)
        let statement = try loader.connection.prepare(
            "SELECT run_id FROM workflow WHERE rundir = ?1 OR rundir LIKE '%/' || ?2 ORDER BY time_began DESC LIMIT 1"
        )
        statement.bind(1, runDirectory)
        statement.bind(2, (runDirectory as NSString).lastPathComponent)
        guard try statement.step() else { return nil }
        return statement.text(0)
    }

    /// Display order of states: the lifecycle, then the outcomes.
    static let stateOrder: [TaskState] = [
        .pending, .launched, .running, .runningEnded, .joining, .failRetryable, .execDone, .memoDone, .failed,
        .depFail,
    ]

    /// The states that occur in this report, in display order (unknown names last, sorted).
    var stateColumns: [String] {
        let known = Self.stateOrder.map(\.name).filter { self.totals[$0, default: 0] > 0 }
        let unknown = self.totals.keys.filter { TaskState(name: $0) == nil }.sorted()
        return known + unknown
    }
}
