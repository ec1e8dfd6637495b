import DataflowStorage

extension DataFlowKernel {
    /// How the kernel runs: executors, retries, memoization and checkpointing, monitoring (Parsl `Config`).
    ///
    /// Every property has a default, so `Configuration()` runs apps in this process with checkpoints and a
    /// monitoring database under `runinfo/`. ``load(path:)`` reads the same settings from a JSON file with
    /// Parsl's option names.
    public struct Configuration: Sendable {
        /// The executors; apps pin to them by label, and unpinned apps use the first. Default: one
        /// ``ThreadPoolExecutor``.
        public var executors: [any ExecutionBackend]
        /// Where runs keep their files: each run gets `<runDirectory>/NNN/` (Parsl `run_dir`). Default `runinfo`.
        public var runDirectory: String
        /// How many times a failed task is tried again (Parsl `retries`). Default 0.
        public var retries: Int
        /// Decides per failure whether to retry and at what cost (Parsl `retry_handler`). Default: every
        /// failure costs 1, except cancellations and dependency failures, which are never retried.
        public var retryHandler: (@Sendable (TaskError) -> RetryDecision)?
        /// Memoize cacheable apps within the run and from checkpoints (Parsl `app_cache`). Default `true`.
        public var appCache: Bool
        /// When results of cacheable apps are checkpointed; `nil` turns checkpointing off. Default `.taskExit`.
        public var checkpointMode: CheckpointMode?
        /// Checkpoint files to load at start; `nil` loads every earlier run's checkpoint under
        /// ``runDirectory`` (when checkpointing is on). Default `nil`.
        public var checkpointFiles: [String]?
        /// Record task states in `<runDirectory>/monitoring.db` (SQLite). Default `true`.
        public var monitoring: Bool
        /// How the run directory is written: ``StorageKind/posix`` (an appended, fsynced checkpoint log and a
        /// live `monitoring.db`) or ``StorageKind/object`` (a bucket under gcsfuse: write-once checkpoint
        /// segments, and snapshots of a local monitoring database). `nil` detects it from the run directory's
        /// mount (FUSE is object storage) and honours `DATAFLOW_STORAGE`. Default `nil`.
        public var storage: StorageKind?
        /// On object storage, the longest a checkpoint record waits in memory before its segment is published
        /// (and the task completes, with ``CheckpointMode/taskExit``); a segment goes out at once when no try
        /// is executing (the run waits for it). Default 2 s.
        public var checkpointSegmentInterval: Duration
        /// On object storage, how often the monitoring database is snapshot to the run directory. Default 2 s.
        public var monitoringSnapshotInterval: Duration
        /// The workflow name stored in monitoring. Default `"workflow"`.
        public var workflowName: String
        /// The workflow version stored in monitoring. Default `"1"`.
        public var workflowVersion: String
        /// How declared files are fingerprinted for memoization and for checking checkpointed outputs
        /// (``DeclaresFiles``, ``ProducesFiles``), unless an app's options say otherwise. Default
        /// ``FileFingerprint/Mode/metadata`` (size and modification time).
        public var fileFingerprint: FileFingerprint.Mode

        /// A configuration; every argument defaults as its property says (Parsl `Config(...)`).
        public init(
            executors: [any ExecutionBackend] = [ThreadPoolExecutor()],
            runDirectory: String = "runinfo",
            retries: Int = 0,
            retryHandler: (@Sendable (TaskError) -> RetryDecision)? = nil,
            appCache: Bool = true,
            checkpointMode: CheckpointMode? = .taskExit,
            checkpointFiles: [String]? = nil,
            monitoring: Bool = true,
            workflowName: String = "workflow",
            workflowVersion: String = "1",
            fileFingerprint: FileFingerprint.Mode = .metadata,
            storage: StorageKind? = nil,
            checkpointSegmentInterval: Duration = .seconds(2),
            monitoringSnapshotInterval: Duration = .seconds(2)
        ) {
            self.executors = executors
            self.runDirectory = runDirectory
            self.retries = retries
            self.retryHandler = retryHandler
            self.appCache = appCache
            self.checkpointMode = checkpointMode
            self.checkpointFiles = checkpointFiles
            self.monitoring = monitoring
            self.workflowName = workflowName
            self.workflowVersion = workflowVersion
            self.fileFingerprint = fileFingerprint
            self.storage = storage
            self.checkpointSegmentInterval = checkpointSegmentInterval
            self.monitoringSnapshotInterval = monitoringSnapshotInterval
        }
    }

    /// When the results of cacheable apps are written to the checkpoint file (Parsl `checkpoint_mode`).
    public enum CheckpointMode: Sendable, Hashable {
        /// As each task finishes, durably before its future completes, so that nothing a dependent saw can be
        /// lost when the leader is killed. The default. On POSIX the record is appended and fsynced (group
        /// commit); on object storage it is durable once its segment is published, at most
        /// ``Configuration/checkpointSegmentInterval`` later, so a task completes up to that much later.
        case taskExit
        /// Every `period` (Parsl `checkpoint_period`).
        case periodic(Duration)
        /// Once, at shutdown.
        case dfkExit
        /// Only when ``DataFlowKernel/checkpoint()`` is called.
        case manual
    }

    /// What to do about one failure (returned by ``Configuration/retryHandler``).
    public enum RetryDecision: Sendable, Hashable {
        /// Retry if the task's accumulated cost stays within `retries`; this failure costs 1.
        case retry
        /// Retry if the accumulated cost, with this failure costing `cost`, stays within `retries`.
        case retryWithCost(Double)
        /// Fail now, whatever retries are left.
        case fail
    }
}
