import Foundation
import Synchronization

/// Records every task's state changes, tries, blocks and nodes of a run in a SQLite database that users
/// can query with `sqlite3` (Parsl's monitoring tables: `workflow`, `task`, `try`, `status`, `block`, `node`).
///
/// Recording is cheap and does not wait for the database: each call appends a small value to an in-memory
/// buffer, and a background thread commits the buffer in one transaction every `flushInterval`, or sooner
/// when it fills up or on ``flush()``. The database is in WAL mode, so ``StatusReport`` and `sqlite3` can
/// read it while the run is going.
///
/// ```swift
/// let store = try MonitoringStore(path: runDirectory + "/monitoring.db")
/// store.workflowStarted(runID: id, workflowName: "viz", workflowVersion: "1", runDirectory: runDirectory, time: now)
/// store.taskSubmitted(runID: id, taskID: 1, appName: "stage", memoize: false, hashsum: nil,
///                     dependsOn: [], executor: "local", time: now)   // also records `pending`
/// store.tryLaunched(runID: id, taskID: 1, tryID: 0, executor: "local", time: now)  // also records `launched`
/// ...
/// store.close()
/// ```
///
/// A task's usual life is five calls, and the state changes they imply get their `status` rows without
/// a ``taskState(runID:taskID:tryID:state:time:)`` call (`status` is a view that derives those rows from the
/// `task` and `try` rows the calls write; explicit `taskState` calls are stored in `status_event`): ``taskSubmitted(runID:taskID:appName:memoize:hashsum:dependsOn:executor:time:launched:)``
/// records `pending` (try 0), ``tryLaunched(runID:taskID:tryID:executor:time:)`` `launched`,
/// ``tryRunning(runID:taskID:tryID:hostname:blockID:time:)`` `running`, ``tryReturned(runID:taskID:tryID:time:failure:)``
/// none, and ``taskEnded(runID:taskID:time:failCount:failCost:finalState:failure:)`` the final state, with the
/// highest try id seen for the task. Other states (`fail_retryable`, `joining`, ...) are recorded with
/// `taskState`.
///
/// - Important: Recorded events become visible to readers only after the writer commits them (a task that
///   has not ended within one cycle up to one more `flushInterval` later, see
///   ``Configuration-swift.struct/flushInterval``); call
///   ``flush()`` when a reader must see everything recorded so far. Events recorded after ``close()`` are
///   ignored.
public final class MonitoringStore: Sendable {
    /// Tuning for the store; every property has a default.
    public struct Configuration: Sendable, Codable {
        /// SQLite's `synchronous` setting for the writer's connection.
        public struct Synchronous: Hashable, Sendable, Codable {
            /// The `PRAGMA synchronous` value.
            public var rawValue: String

            /// No fsync at all: fastest; an OS crash may corrupt the database.
            public static let off = Synchronous(rawValue: "OFF")
            /// WAL's recommended setting: durable across application crashes, an OS crash may lose the last
            /// commits.
            public static let normal = Synchronous(rawValue: "NORMAL")
            /// fsync at every commit.
            public static let full = Synchronous(rawValue: "FULL")
        }

        /// Longest time a recorded event usually waits before it is committed (twice that for an event recorded
        /// after one that was still being appended when the writer took its shard). A task that is still
        /// pending or running at the end of a cycle has its submission and try 0 held back one more cycle (so
        /// that a task ending soon after is one `task_done` row): such a task appears in the database up to
        /// one `flushInterval` later than its events otherwise would. ``MonitoringStore/flush()`` and
        /// ``MonitoringStore/close()`` hold nothing back. Default 0.2 s.
        public var flushInterval: Duration
        /// Most events held in memory; recording blocks (backpressure) while this many wait. Default 1,000,000.
        public var maxBufferedEvents: Int
        /// Buffered events at which the writer starts a batch without waiting for `flushInterval`.
        /// Default 65,536.
        public var batchSize: Int
        /// The writer's `PRAGMA synchronous`. Default `.normal`.
        public var synchronous: Synchronous

        /// Creates a configuration.
        /// - Parameters:
        ///   - flushInterval: Longest time a recorded event waits before it is committed.
        ///   - maxBufferedEvents: Most events held in memory before recording blocks.
        ///   - batchSize: Buffered events at which the writer is woken early.
        ///   - synchronous: The writer's `PRAGMA synchronous`.
        public init(
            flushInterval: Duration = .milliseconds(200),
            maxBufferedEvents: Int = 1_000_000,
            batchSize: Int = 65_536,
            synchronous: Synchronous = .normal
        ) {
            self.flushInterval = flushInterval
            self.maxBufferedEvents = maxBufferedEvents
            self.batchSize = batchSize
            self.synchronous = synchronous
        }
    }

    /// The database file.
    public let path: String
    /// The configuration the store was opened with.
    public let configuration: Configuration
    private let buffer: EventBuffer

    /// Opens or creates the database (and its parent directories), creates the schema, switches to WAL mode
    /// and starts the background writer thread.
    /// - Parameters:
    ///   - path: The database file, usually `<run_dir>/monitoring.db`.
    ///   - configuration: Buffering and durability settings.
    /// - Throws: ``MonitoringError`` with code `.openFailed` or `.schema`; the message names `path`.
    public init(path: String, configuration: Configuration = .init()) throws {
        self.path = path
        self.configuration = configuration
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw MonitoringError(
                code: .openFailed,
                message: "cannot create directory '\(directory.path)' for monitoring database '\(path)': "
                    + "\(error.localizedDescription)"
            )
        }
        let connection = try SQLiteConnection(path: path)
        try Self.prepareDatabase(connection, configuration: configuration)

        self.buffer = EventBuffer(capacity: configuration.maxBufferedEvents, wakeThreshold: configuration.batchSize)
        let interval = configuration.flushInterval.components
        let seconds = Double(interval.seconds) + Double(interval.attoseconds) * 1e-18
        let writer = try MonitoringWriter(connection: connection, buffer: self.buffer, flushInterval: seconds)
        let thread = Thread { writer.run() }
        thread.name = "monitoring-writer"
        thread.start()
    }

    deinit {
        // Without this the writer thread would sleep forever and the last events would be lost.
        self.close()
    }

    // MARK: Recording (cheap: one buffered append each)

    /// Records the start of a run (a `workflow` row; host and user are filled in by the store).
    public func workflowStarted(
        runID: String,
        workflowName: String,
        workflowVersion: String,
        runDirectory: String,
        time: Double
    ) {
        self.buffer.append(
            .workflowStarted(
                runID: runID,
                workflowName: workflowName,
                workflowVersion: workflowVersion,
                runDirectory: runDirectory,
                time: time
            )
        )
    }

    /// Records the end of a run: completion time and task counts on its `workflow` row.
    public func workflowEnded(runID: String, time: Double, tasksCompleted: Int, tasksFailed: Int) {
        self.buffer.append(
            .workflowEnded(runID: runID, time: time, tasksCompleted: tasksCompleted, tasksFailed: tasksFailed)
        )
    }

    /// The task's row in `task` (a `task_submit` row; the view adds the end columns once
    /// ``taskEnded(runID:taskID:time:failCount:failCost:finalState:failure:)`` is recorded; or, when the task
    /// ends with no retry in the same commit, part of its one `task_done` row); also the task's `pending` row
    /// in `status` (try 0, at `time`). `launched` also records try 0's launch on `executor` at `time`, as
    /// ``tryLaunched(runID:taskID:tryID:executor:time:)`` would: the kernel says so for a task it dispatches
    /// as it is submitted (one event instead of two).
    public func taskSubmitted(
        runID: String,
        taskID: Int,
        appName: String,
        memoize: Bool,
        hashsum: String?,
        dependsOn: [Int],
        executor: String,
        time: Double,
        launched: Bool = false
    ) {
        self.buffer.append(
            .taskSubmitted(
                runID: runID,
                taskID: taskID,
                appName: appName,
                memoize: memoize,
                launched: launched,
                hashsum: hashsum,
                dependsOn: dependsOn,
                executor: executor,
                time: time
            )
        )
    }

    /// One row in `status` for a state change that no other call implies (`fail_retryable`, `joining`, ...);
    /// stored in the `status_event` table, which the `status` view includes.
    public func taskState(runID: String, taskID: Int, tryID: Int, state: TaskState, time: Double) {
        self.buffer.append(.status(runID: runID, taskID: taskID, tryID: tryID, state: state, time: time))
    }

    /// Creates a try's row in `try` at launch (executor and launch time), and its `launched` row in `status`.
    public func tryLaunched(runID: String, taskID: Int, tryID: Int, executor: String, time: Double) {
        self.buffer.append(.tryLaunched(runID: runID, taskID: taskID, tryID: tryID, executor: executor, time: time))
    }

    /// Fills in where and when a try started running (`nil` keeps what is already known), and records its
    /// `running` row in `status`.
    public func tryRunning(runID: String, taskID: Int, tryID: Int, hostname: String?, blockID: String?, time: Double) {
        self.buffer.append(
            .tryRunning(runID: runID, taskID: taskID, tryID: tryID, hostname: hostname, blockID: blockID, time: time)
        )
    }

    /// Fills in when a try returned and, if it failed, its error message (`try.task_fail_history`).
    public func tryReturned(runID: String, taskID: Int, tryID: Int, time: Double, failure: String?) {
        self.buffer.append(.tryReturned(runID: runID, taskID: taskID, tryID: tryID, time: time, failure: failure))
    }

    /// Completes the task's row in `task` when it reaches a final state (one `task_end` row, inserted, never an
    /// update, or its whole life in one `task_done` row when the same commit has its submission and its only
    /// try): return time, fail count and cost, final state and the failure message (for `failed` and
    /// `dep_fail`). Also records the final state in `status`, with the
    /// highest try id recorded for the task (0 if it never launched, as for `memo_done` and `dep_fail`).
    ///
    /// `returned`, when not `nil`, is when the task's final try (that highest try id) returned without
    /// failure: the same rows as a ``tryReturned(runID:taskID:tryID:time:failure:)`` call for that try just
    /// before this one, for one event fewer. A try that failed still needs its own `tryReturned` call.
    public func taskEnded(
        runID: String,
        taskID: Int,
        time: Double,
        failCount: Int,
        failCost: Double,
        finalState: TaskState,
        failure: String?,
        returned: Double? = nil
    ) {
        self.buffer.append(
            .taskEnded(
                runID: runID,
                taskID: taskID,
                time: time,
                failCount: failCount,
                failCost: failCost,
                finalState: finalState,
                failure: failure,
                returned: returned
            )
        )
    }

    /// Records why a cacheable task runs again instead of reusing its checkpointed result: `reason` is
    /// `output_missing`, `output_changed` or `input_changed`, and `path` the first file that made it so (one
    /// `file_check` row).
    public func fileCheck(runID: String, taskID: Int, reason: String, path: String, time: Double) {
        self.buffer.append(.fileCheck(runID: runID, taskID: taskID, reason: reason, path: path, time: time))
    }

    /// Records an item that failed inside a task that succeeded (``ReportsPartialFailures``): one
    /// `partial_failure` row.
    public func partialFailure(runID: String, taskID: Int, item: String, message: String, time: Double) {
        self.buffer.append(.partialFailure(runID: runID, taskID: taskID, item: item, message: message, time: time))
    }

    /// Records a block status change (one `block` row per change).
    public func blockStatus(
        runID: String,
        blockID: String,
        executor: String,
        jobID: String?,
        status: String,
        reason: String?,
        time: Double
    ) {
        self.buffer.append(
            .block(
                runID: runID,
                blockID: blockID,
                executor: executor,
                jobID: jobID,
                status: status,
                reason: reason,
                time: time
            )
        )
    }

    /// Records a snapshot of a worker pool (one `node` row per snapshot; `workerID` goes to `uid`).
    public func node(
        runID: String,
        hostname: String,
        blockID: String?,
        workerID: String,
        workerCount: Int,
        active: Bool,
        time: Double
    ) {
        self.buffer.append(
            .node(
                runID: runID,
                hostname: hostname,
                blockID: blockID,
                workerID: workerID,
                workerCount: workerCount,
                active: active,
                time: time
            )
        )
    }

    // MARK: Flushing and closing

    /// Blocks until everything recorded so far (by any thread, before this call) is committed.
    public func flush() {
        self.buffer.flush()
    }

    /// Flushes, stops the writer thread and closes the database; later calls (and later recording) are ignored.
    public func close() {
        self.buffer.close()
    }

    // MARK: Health

    /// Events lost because the database refused them (for example a full disk); normally 0.
    public var droppedEvents: Int {
        Int(self.buffer.control.withLock { $0.droppedEvents })
    }

    /// The CPU time the writer thread used, in seconds, once ``close()`` has returned (`nil` before): what
    /// monitoring costs beyond the recording calls themselves (runtime-bench reports it per task).
    public var writerCPUSeconds: Double? {
        self.buffer.control.withLock { $0.writerCPUSeconds }
    }

    /// The most recent write error, if any; the writer keeps going after an error.
    public var lastError: MonitoringError? {
        self.buffer.control.withLock { $0.lastError }
    }
}
