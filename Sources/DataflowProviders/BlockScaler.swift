/// Runs the block-scaling strategy against a provider (Parsl's `JobStatusPoller` plus the executor's
/// scale-out and scale-in), for an executor to own.
///
/// Every ``Configuration/strategyPeriod`` (the first tick at once, so init blocks start immediately) it
/// polls the provider (at most every ``Configuration/statusPollingInterval``), asks the executor for its
/// outstanding tasks and per-block workers, runs ``BlockScalingStrategy`` and acts:
/// - scale out: new block ids `"0"`, `"1"`, …, each submitted with the executor's launch command;
/// - scale in: each chosen block is first drained through ``Hooks/drain`` (no work is killed), then cancelled
///   and marked ``JobState/scaledIn``;
/// - replace: blocks that never connected are cancelled and as many new ones submitted.
///
/// Block failures (Parsl's `block_error_handler`): a block that ends, fails to submit or is replaced before
/// any of its workers connected counts as a failure; a worker connecting anywhere resets the count. After
/// ``Configuration/blockErrorThreshold`` failures in a row the scaler stops starting blocks and reports
/// ``Event/badState(_:)`` with a ``BlockFailureError`` naming each block and its reason; the executor then
/// fails its tasks with it instead of waiting for workers that will never come.
///
/// Everything that happens is reported on ``events``. Call ``shutdown()`` to stop the loop and cancel every
/// block.
public actor BlockScaler {
    /// Timing and strategy.
    public struct Configuration: Sendable {
        /// The strategy and its limits.
        public var strategy: BlockScalingStrategy.Configuration
        /// Time between ticks (Parsl `strategy_period`). Default 5 s.
        public var strategyPeriod: Duration
        /// Least time between two provider status polls (Parsl `status_polling_interval`). Default 5 s.
        public var statusPollingInterval: Duration

        /// Blocks in a row that may fail before any worker connected before the scaler gives up; `nil`
        /// never gives up (Parsl `block_error_handler=False`). Default 3, as Parsl's `simple_error_handler`.
        public var blockErrorThreshold: Int?

        /// Creates a configuration; by default ticks and status polls are 5 s apart and 3 failed blocks in a row
        /// stop the scaling. A threshold below 1 counts as 1.
        public init(
            strategy: BlockScalingStrategy.Configuration = .init(),
            strategyPeriod: Duration = .seconds(5),
            statusPollingInterval: Duration = .seconds(5),
            blockErrorThreshold: Int? = 3
        ) {
            self.strategy = strategy
            self.strategyPeriod = strategyPeriod
            self.statusPollingInterval = statusPollingInterval
            self.blockErrorThreshold = blockErrorThreshold.map { Swift.max(1, $0) }
        }
    }

    /// What the executor knows about one block's workers.
    public struct BlockWorkers: Sendable, Hashable {
        /// Workers of the block registered with the interchange now.
        public var connectedWorkers: Int
        /// Tasks running or queued on those workers.
        public var runningTasks: Int
        /// Since when (on ``Hooks/now``'s clock) the block has had no tasks; `nil` while it has some.
        public var idleSince: Double?

        /// Creates the executor's view of one block's workers.
        public init(connectedWorkers: Int, runningTasks: Int, idleSince: Double?) {
            self.connectedWorkers = connectedWorkers
            self.runningTasks = runningTasks
            self.idleSince = idleSince
        }
    }

    /// What the scaler needs from the executor.
    public struct Hooks: Sendable {
        /// Tasks submitted to the executor and not yet finished (Parsl `outstanding`).
        public var outstandingTasks: @Sendable () -> Int
        /// Worker information per block id; blocks without an entry have no connected workers.
        public var workers: @Sendable () -> [String: BlockWorkers]
        /// The argv that starts the workers of a block, given its block id.
        public var launchCommand: @Sendable (String) -> [String]
        /// Added to the workers' environment (the run secret goes here, never into argv).
        public var environment: [String: String]
        /// Stops sending tasks to the block and returns once its workers have finished their tasks and left,
        /// or after the executor's drain timeout. Called before a block is cancelled on scale-in.
        public var drain: @Sendable (String) async -> Void
        /// The clock for `idleSince`, submission times and `maxIdletime`, in seconds. Default:
        /// ``BlockScaler/monotonicSeconds()``; the executor must use the same clock for `idleSince`.
        public var now: @Sendable () -> Double

        /// Creates the hooks; the environment defaults to empty and the clock to ``BlockScaler/monotonicSeconds()``.
        public init(
            outstandingTasks: @escaping @Sendable () -> Int,
            workers: @escaping @Sendable () -> [String: BlockWorkers],
            launchCommand: @escaping @Sendable (String) -> [String],
            environment: [String: String] = [:],
            drain: @escaping @Sendable (String) async -> Void,
            now: @escaping @Sendable () -> Double = BlockScaler.monotonicSeconds
        ) {
            self.outstandingTasks = outstandingTasks
            self.workers = workers
            self.launchCommand = launchCommand
            self.environment = environment
            self.drain = drain
            self.now = now
        }
    }

    /// One row of the block table.
    public struct Block: Sendable, Hashable {
        /// The scaler's id for the block (`"0"`, `"1"`, ... in submission order), passed to the launch command and provider.
        public var blockID: String
        /// The provider's job id; `nil` if submission failed.
        public var jobID: String?
        /// The last known status: polled from the provider, or set by the scaler (pending at submission,
        /// scaledIn or cancelled when it stopped the block, failed when submission failed).
        public var status: JobStatus
        /// When it was submitted, on ``Hooks/now``'s clock.
        public var submittedAt: Double
        /// When a poll first saw it running, on ``Hooks/now``'s clock; `nil` while it waits in the queue.
        public var startedAt: Double? = nil
        /// Whether any of its workers has connected.
        public var everConnected: Bool
        /// Being drained before scale-in.
        public var isDraining: Bool
    }

    /// What happened, for logs and the monitoring `block` table.
    public enum Event: Sendable, Hashable {
        /// A block was submitted to the provider.
        case blockSubmitted(blockID: String, jobID: String)
        /// A block's status changed (including pending at submission and the final state).
        case blockStatusChanged(blockID: String, status: JobStatus)
        /// The scaler stopped a block, and why (scale-in, connect timeout, shutdown).
        case blockCancelled(blockID: String, reason: String)
        /// The strategy decided to change something (only decisions other than "no change" are reported).
        case decision(ScalingDecision)
        /// ``Configuration/blockErrorThreshold`` blocks in a row failed before any worker connected; the
        /// scaler starts no more blocks (Parsl's executor "bad state").
        case badState(BlockFailureError)
    }

    /// Every event, in order. Finishes after ``shutdown()``.
    public nonisolated let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation

    /// The provider that starts, polls and stops this scaler's blocks.
    public nonisolated let provider: any ExecutionProvider
    /// Timing, strategy and failure threshold, fixed at creation.
    public nonisolated let configuration: Configuration
    private let hooks: Hooks
    private var strategy: BlockScalingStrategy
    private var table: [String: Block] = [:]
    private var nextBlockID = 0
    private var lastPoll: ContinuousClock.Instant?
    private var loop: Task<Void, Never>?
    private var drains: [String: Task<Void, Never>] = [:]
    private var ticking = false
    private var stopped = false
    /// Blocks that failed before any worker connected, since a worker last connected.
    private var failuresInARow: [BlockFailureError.FailedBlock] = []
    /// Set once the failure threshold is reached.
    public private(set) var badState: BlockFailureError?

    /// Creates a scaler for `provider`; nothing is submitted until it is started.
    public init(provider: any ExecutionProvider, configuration: Configuration = Configuration(), hooks: Hooks) {
        self.provider = provider
        self.configuration = configuration
        self.hooks = hooks
        self.strategy = BlockScalingStrategy(configuration: configuration.strategy)
        (events, continuation) = AsyncStream.makeStream(of: Event.self)
    }

    /// Seconds on a monotonic clock (since this process first asked), the default ``Hooks/now``.
    public static func monotonicSeconds() -> Double {
        let elapsed = ContinuousClock.now - origin
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    private static let origin = ContinuousClock.now

    /// Starts ticking: the first tick runs at once, then one every ``Configuration/strategyPeriod``.
    public func start() {
        guard loop == nil, !stopped else { return }
        let period = configuration.strategyPeriod
        loop = Task { [self] in
            while !Task.isCancelled {
                await tick()
                try? await Task.sleep(for: period)
            }
        }
    }

    /// The block table, ordered by block id.
    public var blocks: [Block] {
        table.values.sorted { (Int($0.blockID) ?? 0) < (Int($1.blockID) ?? 0) }
    }

    /// Tells the scaler that a worker of `blockID` registered (the executor calls this as it happens, so a
    /// block whose worker joined and died between two ticks is not taken for one that never started).
    public func workerConnected(blockID: String) {
        table[blockID]?.everConnected = true
        failuresInARow = []
    }

    /// Runs one tick now (the loop calls this; an executor may too, e.g. right after a burst of
    /// submissions). A tick that starts while another is running does nothing.
    public func tick() async {
        guard !stopped, !ticking, badState == nil else { return }
        ticking = true
        defer { ticking = false }

        await pollIfDue()
        guard !stopped, badState == nil else { return }
        let now = hooks.now()
        let workers = hooks.workers()
        var snapshot: [BlockSnapshot] = []
        for (id, block) in table where !block.status.state.isTerminal {
            let info = workers[id]
            if (info?.connectedWorkers ?? 0) > 0 { workerConnected(blockID: id) }
            snapshot.append(
                BlockSnapshot(
                    blockID: id,
                    state: block.status.state,
                    connectedWorkers: info?.connectedWorkers ?? 0,
                    runningTasks: info?.runningTasks ?? 0,
                    idleSince: info?.idleSince,
                    // A batch job's connect timeout starts when it starts running: queueing is not a fault.
                    submittedAt: provider.blocksMayQueue ? (block.startedAt ?? now) : block.submittedAt,
                    everConnected: table[id]?.everConnected ?? false,
                    isDraining: block.isDraining
                )
            )
        }
        let decision = strategy.decide(now: now, outstandingTasks: hooks.outstandingTasks(), blocks: snapshot)
        switch decision.action {
        case .none:
            return
        case .scaleOut(let count):
            continuation.yield(.decision(decision))
            for _ in 0..<count where !stopped { await submitBlock() }
        case .scaleIn(let ids):
            continuation.yield(.decision(decision))
            for id in ids { beginScaleIn(id, reason: decision.reason) }
        case .replace(let ids):
            continuation.yield(.decision(decision))
            let lastStatus = Dictionary(uniqueKeysWithValues: ids.compactMap { id in table[id].map { (id, $0.status) } })
            await stop(ids, state: .cancelled, reason: "replaced: \(decision.reason)")
            for id in ids where table[id]?.everConnected == false {
                recordFailure(blockID: id, reason: lastStatus[id].map { "\(decision.reason); last status \($0)" } ?? decision.reason)
            }
            for _ in ids where !stopped && badState == nil { await submitBlock() }
        }
    }

    /// Counts a block that ended before any worker connected, and gives up at the threshold.
    private func recordFailure(blockID: String, reason: String) {
        guard badState == nil else { return }
        failuresInARow.append(.init(blockID: blockID, jobID: table[blockID]?.jobID, reason: reason))
        guard let threshold = configuration.blockErrorThreshold, failuresInARow.count >= threshold else { return }
        let error = BlockFailureError(label: provider.label, blocks: failuresInARow)
        badState = error
        continuation.yield(.badState(error))
    }

    /// Stops ticking, then cancels every block that has not ended (without draining: the executor shuts
    /// down its workers itself first if it wants them to finish). Finishes ``events``.
    public func shutdown() async {
        guard !stopped else { return }
        stopped = true
        loop?.cancel()
        await loop?.value
        for drain in drains.values { drain.cancel() }
        drains = [:]
        let live = table.values.filter { !$0.status.state.isTerminal }.map(\.blockID)
        await stop(live, state: .cancelled, reason: "executor shutdown")
        continuation.finish()
    }

    // MARK: Acting

    private func submitBlock() async {
        let blockID = String(nextBlockID)
        nextBlockID += 1
        let submittedAt = hooks.now()
        do {
            let jobID = try await provider.submit(command: hooks.launchCommand(blockID), environment: hooks.environment, blockID: blockID)
            if stopped {
                // Shutdown ran while this submission was in flight: do not leave the block running.
                try? await provider.cancel(jobIDs: [jobID])
                return
            }
            let status = JobStatus(state: .pending)
            table[blockID] = Block(blockID: blockID, jobID: jobID, status: status, submittedAt: submittedAt, everConnected: false, isDraining: false)
            continuation.yield(.blockSubmitted(blockID: blockID, jobID: jobID))
            continuation.yield(.blockStatusChanged(blockID: blockID, status: status))
        } catch {
            // As in Parsl, a failed submission becomes a failed block; the strategy may try again later.
            let status = JobStatus(state: .failed, message: "submit failed: \(error)")
            table[blockID] = Block(blockID: blockID, jobID: nil, status: status, submittedAt: submittedAt, everConnected: false, isDraining: false)
            continuation.yield(.blockStatusChanged(blockID: blockID, status: status))
            recordFailure(blockID: blockID, reason: status.message ?? "submit failed")
        }
    }

    private func beginScaleIn(_ blockID: String, reason: String) {
        guard let block = table[blockID], !block.isDraining, !block.status.state.isTerminal else { return }
        table[blockID]?.isDraining = true
        let drain = hooks.drain
        drains[blockID] = Task { [self] in
            await drain(blockID)
            await finishScaleIn(blockID, reason: reason)
        }
    }

    private func finishScaleIn(_ blockID: String, reason: String) async {
        drains[blockID] = nil
        guard !stopped else { return }  // shutdown has cancelled (or is cancelling) it
        await stop([blockID], state: .scaledIn, reason: "scaled in: \(reason)")
    }

    /// Cancels blocks at the provider and records their final state; blocks that ended meanwhile keep theirs.
    private func stop(_ blockIDs: [String], state: JobState, reason: String) async {
        let jobIDs = blockIDs.compactMap { id in table[id].flatMap { $0.status.state.isTerminal ? nil : $0.jobID } }
        var failure: String?
        if !jobIDs.isEmpty {
            do { try await provider.cancel(jobIDs: jobIDs) } catch { failure = "\(error)" }
        }
        for id in blockIDs {
            guard let block = table[id], !block.status.state.isTerminal else { continue }
            var status = JobStatus(state: state, message: failure.map { "\(reason) (cancel failed: \($0))" } ?? reason)
            status.stdoutPath = block.status.stdoutPath
            status.stderrPath = block.status.stderrPath
            table[id]?.status = status
            table[id]?.isDraining = false
            continuation.yield(.blockCancelled(blockID: id, reason: reason))
            continuation.yield(.blockStatusChanged(blockID: id, status: status))
        }
    }

    private func pollIfDue() async {
        let clock = ContinuousClock.now
        if let lastPoll, clock - lastPoll < configuration.statusPollingInterval { return }
        let live = table.values.filter { !$0.status.state.isTerminal && $0.jobID != nil }
        guard !live.isEmpty else { return }
        lastPoll = clock
        guard let statuses = try? await provider.status(jobIDs: live.compactMap(\.jobID)) else { return }
        // Workers that joined since the last tick count before any block is judged.
        for (id, info) in hooks.workers() where info.connectedWorkers > 0 { workerConnected(blockID: id) }
        var ended: [String] = []
        for block in live {
            guard let jobID = block.jobID, let status = statuses[jobID],
                let current = table[block.blockID], !current.status.state.isTerminal, current.status != status
            else { continue }
            table[block.blockID]?.status = status
            if status.state == .running, current.startedAt == nil { table[block.blockID]?.startedAt = hooks.now() }
            continuation.yield(.blockStatusChanged(blockID: block.blockID, status: status))
            // Cancelled by someone else is not the block's fault; anything else before a worker joined is.
            if status.state.isTerminal, status.state != .cancelled, status.state != .scaledIn, table[block.blockID]?.everConnected == false {
                ended.append(jobID)
                recordFailure(blockID: block.blockID, reason: status.description)
            }
        }
        // A provider may report a job failed while something of it is left (a pod stuck on a configuration
        // error, a held batch job): make sure it is gone. Cancelling an ended job is not an error.
        if !ended.isEmpty { try? await provider.cancel(jobIDs: ended) }
    }
}
