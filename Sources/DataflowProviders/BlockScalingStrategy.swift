/// Decides how many blocks to run, tick by tick (Parsl's `Strategy`: `none`, `simple`, `htex_auto_scale`).
///
/// A pure state machine: no I/O and no clock. The caller passes the time, the outstanding task count and a
/// snapshot of the blocks, and gets back one ``ScalingDecision``. The only state kept between ticks is
/// whether the initial blocks were launched and the executor-wide idle timer.
///
/// The rules, in order (Parsl `general_strategy` plus the fixes listed in the design notes):
/// - First tick: start `max(initBlocks, minBlocks)` blocks (capped at `maxBlocks`) at once.
/// - `.none` does nothing after that.
/// - A block with no worker connected `connectTimeout` seconds after submission is replaced.
/// - Fewer than `minBlocks` active blocks: scale out to `minBlocks`.
/// - Case 1, no outstanding tasks: once the executor has been idle for more than `maxIdletime`, scale in
///   down to `minBlocks`. Any task activity resets the idle timer.
/// - Case 2, `slots / tasks < parallelism`: scale out `ceil((tasks × parallelism − slots) / slotsPerBlock)`,
///   capped at `maxBlocks`.
/// - Case 3, no slots but tasks (parallelism 0): scale out 1.
/// - Case 4, `slots > tasks`: `.simple` does nothing; `.htexAutoScale` scales in
///   `floor((slots − tasks × parallelism) / slotsPerBlock)` blocks, but only blocks that run no tasks and have
///   either no connected worker or been idle for more than `maxIdletime`.
///
/// Scale-in candidates are ranked: blocks without connected workers (pending, never connected) first, then
/// the longest idle, then (only in case 1 of `.simple`, where the executor reports no tasks anyway) busy
/// blocks last. The ``BlockScaler`` drains every chosen block before cancelling it.
public struct BlockScalingStrategy: Sendable {
    /// Which strategy runs (Parsl `Config.strategy`).
    public enum Kind: String, Sendable, Codable, Hashable, CaseIterable {
        /// Only launch the initial blocks (Parsl `'none'`).
        case none
        /// Scale out with load, scale in after `maxIdletime` with no tasks (Parsl `'simple'`, the default).
        case simple
        /// Like `.simple`, and also scale in idle blocks while other blocks still have tasks (Parsl
        /// `'htex_auto_scale'`).
        case htexAutoScale = "htex_auto_scale"
    }

    /// Options with Parsl's names.
    public struct Configuration: Sendable, Codable, Hashable {
        /// Parsl `strategy`. Default `.simple`.
        public var strategy: Kind
        /// Blocks started on the first tick (Parsl `init_blocks`). Default 1.
        public var initBlocks: Int
        /// Fewest active blocks (Parsl `min_blocks`). Default 0.
        public var minBlocks: Int
        /// Most blocks, draining ones included (Parsl `max_blocks`). Default 1.
        public var maxBlocks: Int
        /// Nodes per block (Parsl `nodes_per_block`). Default 1.
        public var nodesPerBlock: Int
        /// Workers per node (Parsl `max_workers_per_node`, the executor's `workers_per_node`). Default 1.
        public var workersPerNode: Int
        /// Target ratio of slots to outstanding tasks, 0...1 (Parsl `parallelism`). Default 1.
        public var parallelism: Double
        /// Seconds of idleness before idle blocks are scaled in (Parsl `max_idletime`). Default 120.
        public var maxIdletime: Double
        /// Seconds a block may go without any worker connecting before it is replaced; `nil` never
        /// replaces. Default 600 (room for a slow image pull).
        public var connectTimeout: Double?

        /// Creates a configuration, clamping out-of-range values: counts below their minimum are raised,
        /// `maxBlocks` is at least `minBlocks`, and `parallelism` is limited to 0...1.
        public init(
            strategy: Kind = .simple,
            initBlocks: Int = 1,
            minBlocks: Int = 0,
            maxBlocks: Int = 1,
            nodesPerBlock: Int = 1,
            workersPerNode: Int = 1,
            parallelism: Double = 1,
            maxIdletime: Double = 120,
            connectTimeout: Double? = 600
        ) {
            self.strategy = strategy
            self.initBlocks = Swift.max(0, initBlocks)
            self.minBlocks = Swift.max(0, minBlocks)
            self.maxBlocks = Swift.max(self.minBlocks, maxBlocks)
            self.nodesPerBlock = Swift.max(1, nodesPerBlock)
            self.workersPerNode = Swift.max(1, workersPerNode)
            self.parallelism = Swift.min(1, Swift.max(0, parallelism))
            self.maxIdletime = Swift.max(0, maxIdletime)
            self.connectTimeout = connectTimeout
        }

        /// Takes the block counts and parallelism from a provider's ``BlockLimits``, as Parsl does.
        public init(
            limits: BlockLimits,
            workersPerNode: Int,
            strategy: Kind = .simple,
            maxIdletime: Double = 120,
            connectTimeout: Double? = 600
        ) {
            self.init(
                strategy: strategy,
                initBlocks: limits.initBlocks,
                minBlocks: limits.minBlocks,
                maxBlocks: limits.maxBlocks,
                nodesPerBlock: limits.nodesPerBlock,
                workersPerNode: workersPerNode,
                parallelism: limits.parallelism,
                maxIdletime: maxIdletime,
                connectTimeout: connectTimeout
            )
        }

        /// Worker slots one block brings.
        var slotsPerBlock: Int { workersPerNode * nodesPerBlock }
    }

    /// The strategy kind and limits, fixed at creation.
    public let configuration: Configuration
    /// Whether the first tick (initial blocks) has happened.
    public private(set) var initialized = false
    /// When the executor last became idle (no outstanding tasks, no running tasks); `nil` while busy.
    public private(set) var idleSince: Double?

    /// Creates a strategy that has not yet had its first tick (so the next ``decide(now:outstandingTasks:blocks:)``
    /// launches the initial blocks).
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// One tick: what to do now, given the outstanding task count and every block not yet forgotten.
    public mutating func decide(now: Double, outstandingTasks: Int, blocks: [BlockSnapshot]) -> ScalingDecision {
        let c = configuration
        let tasks = Swift.max(0, outstandingTasks)
        let active = blocks.filter(\.isActive)
        let draining = blocks.count { $0.isDraining && !$0.state.isTerminal }
        // Draining blocks still hold a provider job, so they count against max_blocks.
        let headroom = Swift.max(0, c.maxBlocks - active.count - draining)

        if !initialized {
            initialized = true
            let target = Swift.min(Swift.max(c.initBlocks, c.minBlocks), c.maxBlocks)
            let count = Swift.min(target - active.count, headroom)
            if count > 0 {
                return ScalingDecision(
                    .scaleOut(count), reason: "first tick: init_blocks=\(c.initBlocks), min_blocks=\(c.minBlocks), max_blocks=\(c.maxBlocks)")
            }
        }
        if c.strategy == .none { return .none("strategy none launches init_blocks only") }

        if tasks > 0 || active.contains(where: { $0.runningTasks > 0 }) { idleSince = nil }

        if let timeout = c.connectTimeout {
            let stuck = active.filter { !$0.everConnected && $0.connectedWorkers == 0 && now - $0.submittedAt > timeout }
            if !stuck.isEmpty {
                let ids = stuck.sorted { $0.submittedAt < $1.submittedAt }.map(\.blockID)
                return ScalingDecision(.replace(ids), reason: "no worker connected within connect_timeout=\(Self.format(timeout)) s of submission")
            }
        }

        if active.count < c.minBlocks, headroom > 0 {
            let count = Swift.min(c.minBlocks - active.count, headroom)
            return ScalingDecision(.scaleOut(count), reason: "\(active.count) active blocks, below min_blocks=\(c.minBlocks)")
        }

        let slots = active.count * c.slotsPerBlock
        let numbers = "tasks=\(tasks), slots=\(slots), active_blocks=\(active.count), parallelism=\(Self.format(c.parallelism))"

        // Case 1: nothing outstanding.
        if tasks == 0 {
            guard active.count > c.minBlocks else {
                idleSince = nil
                return .none("no tasks and \(active.count) active blocks <= min_blocks=\(c.minBlocks)")
            }
            let start = idleSince ?? now
            idleSince = start
            let idle = now - start
            guard idle > c.maxIdletime else {
                return .none("idle for \(Self.format(idle)) s of max_idletime=\(Self.format(c.maxIdletime)) s")
            }
            let candidates = Self.ranked(active, now: now).filter { c.strategy == .simple || $0.runningTasks == 0 }
            let chosen = candidates.prefix(active.count - c.minBlocks).map(\.blockID)
            guard !chosen.isEmpty else { return .none("idle, but every block still reports running tasks") }
            return ScalingDecision(
                .scaleIn(Array(chosen)),
                reason: "no tasks for \(Self.format(idle)) s > max_idletime=\(Self.format(c.maxIdletime)) s; down to min_blocks=\(c.minBlocks)")
        }

        // Case 2: too few slots for the load.
        if Double(slots) / Double(tasks) < c.parallelism {
            guard headroom > 0 else { return .none("\(numbers); at max_blocks=\(c.maxBlocks)") }
            let excessSlots = (Double(tasks) * c.parallelism - Double(slots)).rounded(.up)
            let excessBlocks = Int((excessSlots / Double(c.slotsPerBlock)).rounded(.up))
            let count = Swift.min(excessBlocks, headroom)
            return ScalingDecision(.scaleOut(count), reason: "\(numbers); want \(excessBlocks) more blocks, max_blocks=\(c.maxBlocks)")
        }

        // Case 3: parallelism 0 and no slots at all.
        if slots == 0 {
            guard headroom > 0 else { return .none("\(numbers); at max_blocks=\(c.maxBlocks)") }
            return ScalingDecision(.scaleOut(1), reason: "\(numbers); no slots for outstanding tasks")
        }

        // Case 4: more slots than tasks.
        if slots > tasks, c.strategy == .htexAutoScale, active.count > c.minBlocks {
            let spare = (Double(slots) - Double(tasks) * c.parallelism).rounded(.down)
            let wanted = Swift.min(Int((spare / Double(c.slotsPerBlock)).rounded(.down)), active.count - c.minBlocks)
            guard wanted > 0 else { return .none("\(numbers); less than a block of spare slots") }
            let idle = Self.ranked(active, now: now).filter { block in
                guard block.runningTasks == 0 else { return false }
                if block.connectedWorkers == 0 { return true }
                return block.idleSince.map { now - $0 > c.maxIdletime } ?? false
            }
            let chosen = Array(idle.prefix(wanted).map(\.blockID))
            guard !chosen.isEmpty else {
                return .none("\(numbers); \(wanted) blocks spare, but none idle for more than max_idletime=\(Self.format(c.maxIdletime)) s")
            }
            let shortfall = chosen.count < wanted ? " (wanted \(wanted); the others are busy or idle too briefly)" : ""
            return ScalingDecision(.scaleIn(chosen), reason: "\(numbers); spare slots\(shortfall)")
        }
        return .none(numbers)
    }

    /// Best scale-in candidates first: no connected workers, then longest idle, then fewest tasks; among
    /// equals the newest block (it has the least invested in it).
    static func ranked(_ blocks: [BlockSnapshot], now: Double) -> [BlockSnapshot] {
        func key(_ b: BlockSnapshot) -> (Int, Double, Int) {
            if b.connectedWorkers == 0 { return (0, -.infinity, b.runningTasks) }
            if b.runningTasks == 0 { return (1, b.idleSince ?? now, 0) }
            return (2, .infinity, b.runningTasks)
        }
        return blocks.sorted { a, b in
            let (ka, kb) = (key(a), key(b))
            if ka != kb { return ka < kb }
            if a.submittedAt != b.submittedAt { return a.submittedAt > b.submittedAt }
            return (Int(a.blockID) ?? 0, a.blockID) > (Int(b.blockID) ?? 0, b.blockID)
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String((value * 100).rounded() / 100)
    }
}
