/// One block as the scaling strategy sees it on a tick: the provider's last polled state plus what the
/// executor knows about the block's workers.
public struct BlockSnapshot: Sendable, Hashable {
    /// The scaler's id of the block; scale-in and replace decisions name blocks by it.
    public var blockID: String
    /// The provider's last polled state (``JobState/pending`` until the first poll after submission).
    public var state: JobState
    /// Workers of this block currently registered with the interchange.
    public var connectedWorkers: Int
    /// Tasks currently running (or prefetched) on this block's workers.
    public var runningTasks: Int
    /// Since when the block has had no tasks (same clock as the tick's `now`); `nil` while it runs tasks
    /// or before any of its workers connected.
    public var idleSince: Double?
    /// When the block was submitted (same clock as `now`); drives the connect timeout. For a provider whose
    /// blocks may queue (``ExecutionProvider/blocksMayQueue``) the scaler passes when the job started running.
    public var submittedAt: Double
    /// Whether any worker of this block has ever connected.
    public var everConnected: Bool
    /// The block is being drained for scale-in: it counts against `maxBlocks` but not as capacity, and is
    /// never chosen again.
    public var isDraining: Bool

    /// Creates a snapshot; `everConnected` defaults to whether any worker is connected now.
    public init(
        blockID: String,
        state: JobState,
        connectedWorkers: Int = 0,
        runningTasks: Int = 0,
        idleSince: Double? = nil,
        submittedAt: Double = 0,
        everConnected: Bool? = nil,
        isDraining: Bool = false
    ) {
        self.blockID = blockID
        self.state = state
        self.connectedWorkers = connectedWorkers
        self.runningTasks = runningTasks
        self.idleSince = idleSince
        self.submittedAt = submittedAt
        self.everConnected = everConnected ?? (connectedWorkers > 0)
        self.isDraining = isDraining
    }

    /// Counts as capacity: not terminal and not draining (Parsl counts RUNNING and PENDING blocks).
    var isActive: Bool { !state.isTerminal && !isDraining }
}
