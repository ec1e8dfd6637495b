import DataflowMonitoring
import DataflowStorage
import Foundation
import Synchronization

/// The dataflow kernel: turns app calls into tasks, runs each when its dependencies have succeeded, retries
/// failures, memoizes and checkpoints results, and records every state change (Parsl `DataFlowKernel`).
///
/// ```swift
/// var apps = AppRegistry.Builder()
/// let square = apps.register("square") { (x: Int) in x * x }
/// let total = apps.register("total") { (xs: [Int]) in xs.reduce(0, +) }
/// try await withDataFlowKernel(configuration: .init(), apps: apps.build()) { kernel in
///     let squares = (1...10).map { kernel.submit(square, $0) }
///     print(try await kernel.submit(total, gathering: squares).value)  // 385
/// }  // waits for every task, then shuts the kernel down
/// ```
///
/// Lifetime: the initializer starts the executors and no task of its own. Long-lived duties (periodic
/// checkpoints) run in ``run()``, which the owner awaits in a child task, and ``shutdown(waitForTasks:)``
/// ends them. ``withDataFlowKernel(configuration:apps:isolation:_:)`` does all three around a closure.
public final class DataFlowKernel: Sendable {
    /// The settings the kernel was created with (Parsl `DataFlowKernel.config`).
    public let configuration: Configuration
    /// The apps this kernel (and its workers) can run.
    public let apps: AppRegistry
    /// This run's directory, `<runDirectory>/NNN`.
    public let runDirectory: String
    /// This run's id in the monitoring database.
    public let runID: String

    let executors: [String: any ExecutionBackend]
    let defaultExecutor: any ExecutionBackend
    let nextTaskID = Atomic<Int>(0)
    let outstandingTasks = Atomic<Int>(0)
    let drainWaiters = Mutex<[CheckedContinuation<Void, Never>]>([])
    let memoTable: MemoTable
    /// Input-only memo key → full key, for records of tasks with input files (see ``memoizeWithFiles``).
    let inputKeyIndex = Mutex<[MemoKey: MemoKey]>([:])
    /// Records waiting for a periodic, manual or exit checkpoint.
    let deferredCheckpoints = Mutex<[(MemoKey, [UInt8])]>([])
    let checkpointWriter: CheckpointWriter?
    let monitoring: MonitoringStore?
    /// On object storage: publishes snapshots of the local monitoring database to the run directory.
    let monitoringSnapshots: MonitoringSnapshots?
    /// How the run directory is written (``Configuration/storage``, or detected from its mount).
    public let storage: StorageKind
    let counters: Counters
    let state = Mutex(LifecycleState.running)
    /// Fired by ``shutdown(waitForTasks:)``; ends ``run()``.
    let stopped = ShutdownSignal()

    enum LifecycleState { case running, shuttingDown, shutDown }

    /// Counts of finished tasks by outcome.
    final class Counters: Sendable {
        let completed = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
        let memoized = Atomic<Int>(0)
        let dependencyFailed = Atomic<Int>(0)
        let retried = Atomic<Int>(0)
        /// Tries handed to an executor and not yet returned. Not join apps: they wait on inner tasks, which on
        /// object storage are waiting for this count to reach 0 to publish their checkpoint segment.
        let executing = Atomic<Int>(0)
        let rerunForOutputs = Atomic<Int>(0)
        let rerunForInputs = Atomic<Int>(0)
    }

    /// What happened to checkpoints at start: how many results were loaded, and from where.
    public let checkpointLoadReport: CheckpointLoadReport

    /// Starts a kernel: makes the run directory, loads earlier checkpoints, opens monitoring and starts every
    /// executor. Await ``run()`` alongside for periodic checkpoints, and call ``shutdown(waitForTasks:)`` at
    /// the end (or use ``withDataFlowKernel(configuration:apps:isolation:_:)``, which does both).
    public init(configuration: Configuration = Configuration(), apps: AppRegistry) async throws {
        guard !configuration.executors.isEmpty else {
            throw DataflowError(.invalidConfiguration, "at least one executor is required")
        }
        var byLabel: [String: any ExecutionBackend] = [:]
        for executor in configuration.executors {
            guard byLabel[executor.label] == nil else {
                throw DataflowError(.invalidConfiguration, "two executors are labelled '\(executor.label)'")
            }
            byLabel[executor.label] = executor
        }
        for name in apps.names {
            guard let labels = apps[name]?.options.executors else { continue }
            for label in labels where byLabel[label] == nil {
                throw DataflowError(
                    .unknownExecutor,
                    "app '\(name)' is pinned to executor '\(label)', but the executors are: \(byLabel.keys.sorted().joined(separator: ", "))"
                )
            }
        }
        self.configuration = configuration
        self.apps = apps
        self.executors = byLabel
        self.defaultExecutor = configuration.executors[0]
        let storage = configuration.storage ?? StorageKind.resolve(path: configuration.runDirectory)
        self.storage = storage
        let counters = Counters()
        self.counters = counters
        self.runDirectory = try RunDirectory.create(under: configuration.runDirectory)
        self.runID = UUID().uuidString.lowercased()

        var report = CheckpointLoadReport()
        if configuration.appCache {
            let files =
                configuration.checkpointFiles
                ?? (configuration.checkpointMode == nil
                    ? [] : RunDirectory.earlierCheckpoints(under: configuration.runDirectory, excluding: runDirectory))
            var table: [MemoKey: [UInt8]] = [:]
            for file in files {
                do {
                    let read = try CheckpointFile.read(path: file)
                    for (key, output) in read.entries { table[key] = output }
                    report.files.append(.init(path: file, records: read.entries.count, tornBytes: read.tornBytes))
                } catch {
                    report.errors.append("\(error)")
                }
            }
            inputKeyIndex.withLock { $0 = Self.indexInputKeys(table) }
            memoTable = MemoTable(table)
        } else {
            memoTable = MemoTable()
        }
        self.checkpointLoadReport = report

        switch (configuration.checkpointMode, storage) {
        case (nil, _): checkpointWriter = nil
        case (_, .posix):
            // A small batch waits briefly for company only while other tries run (their records are coming).
            checkpointWriter = try CheckpointWriter(
                target: .appendLog(
                    path: "\(runDirectory)/checkpoint/tasks.ckpt",
                    moreComing: { [counters] in counters.executing.load(ordering: .acquiring) > 0 }))
        case (_, .object):
            // Publish early when no try is executing: then every outstanding task waits on these records.
            checkpointWriter = try CheckpointWriter(
                target: .segments(
                    directory: "\(runDirectory)/checkpoint", interval: configuration.checkpointSegmentInterval, maxBytes: 8 << 20,
                    isStalled: { [counters] in counters.executing.load(ordering: .acquiring) == 0 }))
        }
        var snapshots: MonitoringSnapshots?
        if configuration.monitoring {
            var databasePath = "\(configuration.runDirectory)/monitoring.db"
            if storage == .object {
                // The live database stays on local disk (WAL and every commit would re-upload it from a bucket);
                // it starts from the latest published snapshot, so earlier runs stay in the history.
                let local = (NSTemporaryDirectory() as NSString).appendingPathComponent("dataflow-monitoring-\(runID)")
                try? FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
                databasePath = (local as NSString).appendingPathComponent("monitoring.db")
                MonitoringSnapshots.seed(livePath: databasePath, from: configuration.runDirectory)
            }
            // synchronous=off: a killed leader loses nothing (the OS has the pages); only a machine crash could
            // cost the last moments of a database that is a record, not the source of truth (checkpoints are).
            let store = try MonitoringStore(path: databasePath, configuration: .init(synchronous: .off))
            store.workflowStarted(
                runID: runID,
                workflowName: configuration.workflowName,
                workflowVersion: configuration.workflowVersion,
                runDirectory: runDirectory,
                time: Self.now()
            )
            monitoring = store
            if storage == .object {
                store.flush()
                snapshots = try MonitoringSnapshots(
                    livePath: databasePath,
                    root: configuration.runDirectory,
                    runTag: "\((runDirectory as NSString).lastPathComponent)-\(runID.prefix(8))",
                    interval: configuration.monitoringSnapshotInterval,
                    publisher: FilePublisher(storage: .object)
                )
            }
        } else {
            monitoring = nil
        }
        monitoringSnapshots = snapshots
        // Weak: the kernel owns the writer; a kernel dropped without shutdown must not be kept alive by it.
        checkpointWriter?.onDurable { [weak self] records in self?.finishDurable(records) }
        if let monitoring {
            let runID = self.runID
            for case let source as any BackendEventSource in configuration.executors {
                let label = (source as? any ExecutionBackend)?.label ?? "executor"
                source.onBackendEvent { event in Self.record(event, executor: label, runID: runID, in: monitoring) }
            }
        }
        for executor in configuration.executors {
            try await executor.start(runDirectory: runDirectory, apps: apps)
        }
    }

    /// The CPU time, in seconds, that the monitoring database's writer thread used, once ``shutdown(waitForTasks:)``
    /// has returned; `nil` before, or without monitoring.
    public var monitoringWriterCPUSeconds: Double? { monitoring?.writerCPUSeconds }

    /// Tasks submitted and not yet finished.
    public var outstanding: Int { outstandingTasks.load(ordering: .relaxed) }

    /// A snapshot of finished-task counts.
    public var summary: Summary {
        Summary(
            submitted: nextTaskID.load(ordering: .relaxed),
            completed: counters.completed.load(ordering: .relaxed),
            memoized: counters.memoized.load(ordering: .relaxed),
            failed: counters.failed.load(ordering: .relaxed),
            dependencyFailed: counters.dependencyFailed.load(ordering: .relaxed),
            retries: counters.retried.load(ordering: .relaxed),
            rerunForMissingOutputs: counters.rerunForOutputs.load(ordering: .relaxed),
            rerunForChangedInputs: counters.rerunForInputs.load(ordering: .relaxed)
        )
    }

    /// Counts of a run's tasks by outcome.
    public struct Summary: Sendable, Hashable, Codable {
        /// Tasks submitted to the kernel, including memoized ones.
        public var submitted: Int
        /// Tasks whose app ran and succeeded.
        public var completed: Int
        /// Tasks answered from the memo table or a checkpoint without running (Parsl `memo_done`).
        public var memoized: Int
        /// Tasks that failed after their last try (Parsl `failed`).
        public var failed: Int
        /// Tasks that never ran because a dependency failed (Parsl `dep_fail`).
        public var dependencyFailed: Int
        /// Tries started again after a failure, over all tasks.
        public var retries: Int
        /// Cacheable tasks that ran although a checkpointed result existed, because a file it wrote was gone
        /// or had changed since.
        public var rerunForMissingOutputs: Int = 0
        /// Cacheable tasks that ran again because one of their declared input files changed since the
        /// checkpointed run.
        public var rerunForChangedInputs: Int = 0
    }

    /// Waits until every task submitted so far has finished (Parsl `wait_for_current_tasks`).
    public func waitForCurrentTasks() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = drainWaiters.withLock { waiters in
                if outstandingTasks.load(ordering: .acquiring) == 0 { return true }
                waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Writes pending checkpoint records now (Parsl `checkpoint()`); needed with `.manual`, harmless otherwise.
    public func checkpoint() {
        guard let writer = checkpointWriter else { return }
        let records = deferredCheckpoints.withLock { records in
            defer { records = [] }
            return records
        }
        for (key, output) in records { writer.append(key: key, output: output, completing: nil) }
        writer.flush()
    }

    /// Stops the kernel. With `waitForTasks` (the default) it first waits for every submitted task; without,
    /// tasks that have not started fail as `cancelled`. Then it checkpoints, stops the executors, ends
    /// ``run()`` and closes the monitoring database.
    public func shutdown(waitForTasks: Bool = true) async {
        let proceed = state.withLock { state in
            guard state == .running else { return false }
            state = .shuttingDown
            return true
        }
        guard proceed else { return }
        if waitForTasks { await waitForCurrentTasks() }
        for executor in configuration.executors { await executor.shutdown() }
        if !waitForTasks { await waitForCurrentTasks() }
        stopped.fire()
        checkpoint()
        checkpointWriter?.close()
        if let monitoring {
            let s = summary
            monitoring.workflowEnded(
                runID: runID,
                time: Self.now(),
                tasksCompleted: s.completed + s.memoized,
                tasksFailed: s.failed + s.dependencyFailed
            )
            monitoring.close()
            if let monitoringSnapshots {
                monitoringSnapshots.close()
                // The bucket has the final snapshot; keep the local copy only if publishing failed.
                if monitoringSnapshots.lastError == nil {
                    try? FileManager.default.removeItem(atPath: (monitoring.path as NSString).deletingLastPathComponent)
                }
            }
        }
        state.withLock { $0 = .shutDown }
    }

    private static func record(_ event: BackendEvent, executor: String, runID: String, in monitoring: MonitoringStore) {
        switch event {
        case .workerConnected(let worker, let host, let block, let capacity):
            monitoring.node(runID: runID, hostname: host, blockID: block, workerID: worker, workerCount: capacity, active: true, time: now())
        case .workerLost(let worker, let host, let block, _):
            monitoring.node(runID: runID, hostname: host, blockID: block, workerID: worker, workerCount: 0, active: false, time: now())
        case .blockStatus(let block, let job, let state, let reason):
            monitoring.blockStatus(runID: runID, blockID: block, executor: executor, jobID: job, status: state, reason: reason, time: now())
        }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

/// What the kernel loaded from checkpoint files at start.
public struct CheckpointLoadReport: Sendable {
    /// One checkpoint file that was read.
    public struct File: Sendable {
        /// The file's path.
        public var path: String
        /// Whole records read.
        public var records: Int
        /// Bytes of a torn last record that were ignored (a crash during a write).
        public var tornBytes: Int
    }
    /// The files that were read, in load order.
    public var files: [File] = []
    /// Files that could not be read at all.
    public var errors: [String] = []
    /// Total results loaded.
    public var records: Int { files.reduce(0) { $0 + $1.records } }
}
