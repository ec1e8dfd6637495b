import DataflowProviders
import Testing

/// A strategy whose first tick (init blocks) is already behind it, so a test sees the steady-state rules.
private func steadyStrategy(_ configuration: BlockScalingStrategy.Configuration) -> BlockScalingStrategy {
    var strategy = BlockScalingStrategy(configuration: configuration)
    _ = strategy.decide(now: -1_000, outstandingTasks: 0, blocks: [])
    return strategy
}

/// `count` running blocks with `workers` connected workers each, ids "0", "1", ….
private func runningBlocks(_ count: Int, workers: Int = 1, idleSince: Double? = nil) -> [BlockSnapshot] {
    (0..<count).map { BlockSnapshot(blockID: String($0), state: .running, connectedWorkers: workers, idleSince: idleSince) }
}

struct BlockScalingStrategyTests {
    // MARK: First tick

    struct InitCase: Sendable, CustomTestStringConvertible {
        var initBlocks: Int, minBlocks: Int, maxBlocks: Int, tasks: Int
        var expected: ScalingDecision.Action
        var testDescription: String { "init=\(initBlocks) min=\(minBlocks) max=\(maxBlocks) tasks=\(tasks) → \(expected)" }
    }

    @Test(arguments: [
        InitCase(initBlocks: 1, minBlocks: 0, maxBlocks: 1, tasks: 0, expected: .scaleOut(1)),
        InitCase(initBlocks: 4, minBlocks: 0, maxBlocks: 10, tasks: 0, expected: .scaleOut(4)),
        InitCase(initBlocks: 4, minBlocks: 0, maxBlocks: 2, tasks: 0, expected: .scaleOut(2)),  // capped at max
        InitCase(initBlocks: 0, minBlocks: 2, maxBlocks: 5, tasks: 0, expected: .scaleOut(2)),  // raised to min
        InitCase(initBlocks: 2, minBlocks: 0, maxBlocks: 10, tasks: 50, expected: .scaleOut(2)),  // init first, load next tick
        InitCase(initBlocks: 0, minBlocks: 0, maxBlocks: 3, tasks: 0, expected: .none),
        InitCase(initBlocks: 0, minBlocks: 0, maxBlocks: 3, tasks: 2, expected: .scaleOut(2)),  // falls through to case 2
    ])
    func firstTickLaunchesInitBlocksImmediately(_ c: InitCase) {
        var strategy = BlockScalingStrategy(
            configuration: .init(initBlocks: c.initBlocks, minBlocks: c.minBlocks, maxBlocks: c.maxBlocks, connectTimeout: nil))
        #expect(strategy.decide(now: 0, outstandingTasks: c.tasks, blocks: []).action == c.expected)
    }

    @Test func initBlocksAreLaunchedOnlyOnce() {
        var strategy = BlockScalingStrategy(configuration: .init(initBlocks: 3, maxBlocks: 3, connectTimeout: nil))
        #expect(strategy.decide(now: 0, outstandingTasks: 0, blocks: []).action == .scaleOut(3))
        // The blocks were submitted and then failed: with no tasks and min_blocks 0, nothing is relaunched.
        let failed = (0..<3).map { BlockSnapshot(blockID: String($0), state: .failed) }
        #expect(strategy.decide(now: 5, outstandingTasks: 0, blocks: failed).action == .none)
    }

    @Test func strategyNoneOnlyLaunchesInitBlocks() {
        var strategy = BlockScalingStrategy(configuration: .init(strategy: .none, initBlocks: 1, maxBlocks: 10))
        #expect(strategy.decide(now: 0, outstandingTasks: 100, blocks: []).action == .scaleOut(1))
        #expect(strategy.decide(now: 5, outstandingTasks: 100, blocks: runningBlocks(1)).action == .none)
        #expect(strategy.decide(now: 10_000, outstandingTasks: 0, blocks: runningBlocks(1)).action == .none)
    }

    // MARK: Scale out (cases 2 and 3)

    struct ScaleOutCase: Sendable, CustomTestStringConvertible {
        var tasks: Int, activeBlocks: Int, workersPerNode: Int, nodesPerBlock: Int, parallelism: Double, maxBlocks: Int
        var expected: ScalingDecision.Action
        var testDescription: String {
            "tasks=\(tasks) blocks=\(activeBlocks) wpn=\(workersPerNode) npb=\(nodesPerBlock) p=\(parallelism) max=\(maxBlocks) → \(expected)"
        }
    }

    @Test(arguments: [
        ScaleOutCase(tasks: 10, activeBlocks: 0, workersPerNode: 1, nodesPerBlock: 1, parallelism: 1, maxBlocks: 100, expected: .scaleOut(10)),
        ScaleOutCase(tasks: 10, activeBlocks: 2, workersPerNode: 4, nodesPerBlock: 1, parallelism: 1, maxBlocks: 100, expected: .scaleOut(1)),
        ScaleOutCase(tasks: 10, activeBlocks: 0, workersPerNode: 2, nodesPerBlock: 2, parallelism: 0.5, maxBlocks: 100, expected: .scaleOut(2)),
        ScaleOutCase(tasks: 10, activeBlocks: 1, workersPerNode: 1, nodesPerBlock: 1, parallelism: 0.5, maxBlocks: 100, expected: .scaleOut(4)),
        ScaleOutCase(tasks: 7, activeBlocks: 0, workersPerNode: 1, nodesPerBlock: 1, parallelism: 0.3, maxBlocks: 100, expected: .scaleOut(3)),  // ceil(2.1)
        ScaleOutCase(tasks: 100, activeBlocks: 0, workersPerNode: 1, nodesPerBlock: 1, parallelism: 1, maxBlocks: 5, expected: .scaleOut(5)),
        ScaleOutCase(tasks: 100, activeBlocks: 3, workersPerNode: 1, nodesPerBlock: 1, parallelism: 1, maxBlocks: 5, expected: .scaleOut(2)),
        ScaleOutCase(tasks: 100, activeBlocks: 5, workersPerNode: 1, nodesPerBlock: 1, parallelism: 1, maxBlocks: 5, expected: .none),
        ScaleOutCase(tasks: 4, activeBlocks: 4, workersPerNode: 1, nodesPerBlock: 1, parallelism: 1, maxBlocks: 10, expected: .none),
        ScaleOutCase(tasks: 3, activeBlocks: 0, workersPerNode: 1, nodesPerBlock: 1, parallelism: 0, maxBlocks: 5, expected: .scaleOut(1)),  // case 3
        ScaleOutCase(tasks: 3, activeBlocks: 1, workersPerNode: 1, nodesPerBlock: 1, parallelism: 0, maxBlocks: 5, expected: .none),
        ScaleOutCase(tasks: 3, activeBlocks: 0, workersPerNode: 1, nodesPerBlock: 1, parallelism: 0, maxBlocks: 0, expected: .none),
    ])
    func scaleOutFollowsParslMath(_ c: ScaleOutCase) {
        var strategy = steadyStrategy(
            .init(
                initBlocks: 0, maxBlocks: c.maxBlocks, nodesPerBlock: c.nodesPerBlock, workersPerNode: c.workersPerNode,
                parallelism: c.parallelism, connectTimeout: nil))
        let decision = strategy.decide(now: 0, outstandingTasks: c.tasks, blocks: runningBlocks(c.activeBlocks))
        #expect(decision.action == c.expected, "\(decision)")
    }

    @Test func pendingBlocksCountAsCapacity() {
        var strategy = steadyStrategy(.init(initBlocks: 0, maxBlocks: 10, connectTimeout: nil))
        let pending = (0..<4).map { BlockSnapshot(blockID: String($0), state: .pending) }
        #expect(strategy.decide(now: 0, outstandingTasks: 4, blocks: pending).action == .none)
        #expect(strategy.decide(now: 1, outstandingTasks: 6, blocks: pending).action == .scaleOut(2))
    }

    @Test func terminalBlocksDoNotCountAsCapacity() {
        var strategy = steadyStrategy(.init(initBlocks: 0, maxBlocks: 3, connectTimeout: nil))
        let blocks = [
            BlockSnapshot(blockID: "0", state: .failed), BlockSnapshot(blockID: "1", state: .completed),
            BlockSnapshot(blockID: "2", state: .running, connectedWorkers: 1),
        ]
        #expect(strategy.decide(now: 0, outstandingTasks: 5, blocks: blocks).action == .scaleOut(2))
    }

    @Test func drainingBlocksCountAgainstMaxBlocksButNotAsCapacity() {
        var strategy = steadyStrategy(.init(initBlocks: 0, maxBlocks: 3, connectTimeout: nil))
        var blocks = runningBlocks(3)
        blocks[2].isDraining = true
        // 2 active slots for 5 tasks, but the draining block still holds a job: 3 - 2 - 1 = no room.
        #expect(strategy.decide(now: 0, outstandingTasks: 5, blocks: blocks).action == .none)
        blocks[1].isDraining = true
        #expect(strategy.decide(now: 1, outstandingTasks: 5, blocks: blocks).action == .none)
        blocks[1].state = .scaledIn
        #expect(strategy.decide(now: 2, outstandingTasks: 5, blocks: blocks).action == .scaleOut(1))
    }

    // MARK: min_blocks floor

    struct FloorCase: Sendable, CustomTestStringConvertible {
        var minBlocks: Int, maxBlocks: Int, active: Int, tasks: Int
        var expected: ScalingDecision.Action
        var testDescription: String { "min=\(minBlocks) max=\(maxBlocks) active=\(active) tasks=\(tasks) → \(expected)" }
    }

    @Test(arguments: [
        FloorCase(minBlocks: 2, maxBlocks: 5, active: 0, tasks: 0, expected: .scaleOut(2)),
        FloorCase(minBlocks: 2, maxBlocks: 5, active: 1, tasks: 0, expected: .scaleOut(1)),
        FloorCase(minBlocks: 2, maxBlocks: 5, active: 2, tasks: 0, expected: .none),
        FloorCase(minBlocks: 3, maxBlocks: 3, active: 1, tasks: 0, expected: .scaleOut(2)),
        FloorCase(minBlocks: 2, maxBlocks: 10, active: 0, tasks: 5, expected: .scaleOut(2)),  // floor first, load next tick
    ])
    func neverBelowMinBlocks(_ c: FloorCase) {
        var strategy = steadyStrategy(.init(initBlocks: 0, minBlocks: c.minBlocks, maxBlocks: c.maxBlocks, connectTimeout: nil))
        #expect(strategy.decide(now: 0, outstandingTasks: c.tasks, blocks: runningBlocks(c.active)).action == c.expected)
    }

    @Test(arguments: [BlockScalingStrategy.Kind.simple, .htexAutoScale])
    func idleScaleInStopsAtMinBlocks(_ kind: BlockScalingStrategy.Kind) {
        var strategy = steadyStrategy(.init(strategy: kind, initBlocks: 0, minBlocks: 1, maxBlocks: 5, maxIdletime: 10, connectTimeout: nil))
        let blocks = runningBlocks(3, idleSince: 0)
        #expect(strategy.decide(now: 0, outstandingTasks: 0, blocks: blocks).action == .none)
        guard case .scaleIn(let ids) = strategy.decide(now: 11, outstandingTasks: 0, blocks: blocks).action else {
            Issue.record("expected scale in")
            return
        }
        #expect(ids.count == 2)
    }

    // MARK: Idle timer (case 1)

    struct IdleCase: Sendable, CustomTestStringConvertible {
        var name: String
        /// (now, outstanding tasks, running tasks on block 0) per tick.
        var ticks: [(Double, Int, Int)]
        var expectedLast: ScalingDecision.Action
        var testDescription: String { name }
    }

    @Test(arguments: [
        IdleCase(name: "not idle long enough", ticks: [(0, 0, 0), (100, 0, 0), (120, 0, 0)], expectedLast: .none),
        IdleCase(name: "idle past max_idletime", ticks: [(0, 0, 0), (100, 0, 0), (121, 0, 0)], expectedLast: .scaleIn(["1", "0"])),
        IdleCase(name: "outstanding task resets timer", ticks: [(0, 0, 0), (60, 1, 0), (61, 0, 0), (180, 0, 0)], expectedLast: .none),
        IdleCase(name: "timer restarts after reset", ticks: [(0, 0, 0), (60, 1, 0), (61, 0, 0), (182, 0, 0)], expectedLast: .scaleIn(["1", "0"])),
        IdleCase(name: "running task resets timer", ticks: [(0, 0, 0), (100, 0, 1), (101, 0, 0), (200, 0, 0)], expectedLast: .none),
        IdleCase(name: "idle timer starts at first idle tick", ticks: [(50, 0, 0), (171, 0, 0)], expectedLast: .scaleIn(["1", "0"])),
    ])
    func idleTimerAndMaxIdletime(_ c: IdleCase) {
        var strategy = steadyStrategy(.init(initBlocks: 0, maxBlocks: 5, maxIdletime: 120, connectTimeout: nil))
        var last = ScalingDecision.none("")
        for (now, tasks, running) in c.ticks {
            var blocks = runningBlocks(2, idleSince: 0)
            blocks[0].runningTasks = running
            if running > 0 { blocks[0].idleSince = nil }
            last = strategy.decide(now: now, outstandingTasks: tasks, blocks: blocks)
        }
        #expect(last.action == c.expectedLast, "\(last)")
    }

    // MARK: Scale-in candidate order

    struct OrderCase: Sendable, CustomTestStringConvertible {
        var minBlocks: Int
        var expected: [String]
        var testDescription: String { "min=\(minBlocks) → \(expected)" }
    }

    @Test(arguments: [
        OrderCase(minBlocks: 4, expected: ["3"]),
        OrderCase(minBlocks: 3, expected: ["3", "1"]),  // pending, then never-connected running
        OrderCase(minBlocks: 2, expected: ["3", "1", "0"]),  // then longest idle
        OrderCase(minBlocks: 0, expected: ["3", "1", "0", "2", "4"]),
    ])
    func scaleInPicksUnconnectedBlocksFirstThenLongestIdle(_ c: OrderCase) {
        var strategy = steadyStrategy(.init(initBlocks: 0, minBlocks: c.minBlocks, maxBlocks: 10, maxIdletime: 10, connectTimeout: nil))
        let blocks = [
            BlockSnapshot(blockID: "0", state: .running, connectedWorkers: 2, idleSince: 5, submittedAt: 0),
            BlockSnapshot(blockID: "1", state: .running, connectedWorkers: 0, submittedAt: 1),
            BlockSnapshot(blockID: "2", state: .running, connectedWorkers: 2, idleSince: 50, submittedAt: 2),
            BlockSnapshot(blockID: "3", state: .pending, connectedWorkers: 0, submittedAt: 3),
            BlockSnapshot(blockID: "4", state: .running, connectedWorkers: 2, idleSince: 60, submittedAt: 4),
        ]
        _ = strategy.decide(now: 100, outstandingTasks: 0, blocks: blocks)
        #expect(strategy.decide(now: 200, outstandingTasks: 0, blocks: blocks).action == .scaleIn(c.expected))
    }

    // MARK: htex_auto_scale (case 4)

    struct AutoScaleCase: Sendable, CustomTestStringConvertible {
        var name: String
        var strategy: BlockScalingStrategy.Kind
        var now: Double
        var tasks: Int
        var busy: [Int]  // running tasks per block "0", "1", "2"
        var idleSince: [Double?]
        var minBlocks: Int
        var expected: ScalingDecision.Action
        var testDescription: String { name }
    }

    @Test(arguments: [
        AutoScaleCase(
            name: "simple never scales in while tasks run", strategy: .simple, now: 1_000, tasks: 2, busy: [2, 0, 0],
            idleSince: [nil, 0, 0], minBlocks: 0, expected: .none),
        AutoScaleCase(
            name: "only blocks idle past max_idletime", strategy: .htexAutoScale, now: 200, tasks: 2, busy: [2, 0, 0],
            idleSince: [nil, 0, 100], minBlocks: 0, expected: .scaleIn(["1"])),
        AutoScaleCase(
            name: "longest idle first", strategy: .htexAutoScale, now: 300, tasks: 2, busy: [2, 0, 0],
            idleSince: [nil, 100, 0], minBlocks: 0, expected: .scaleIn(["2", "1"])),
        AutoScaleCase(
            name: "busy blocks are never chosen", strategy: .htexAutoScale, now: 10_000, tasks: 6, busy: [2, 2, 2],
            idleSince: [nil, nil, nil], minBlocks: 0, expected: .none),
        AutoScaleCase(
            name: "spare slots limit the count", strategy: .htexAutoScale, now: 1_000, tasks: 5, busy: [2, 3, 0],
            idleSince: [nil, nil, 0], minBlocks: 0, expected: .scaleIn(["2"])),
        AutoScaleCase(
            name: "less than a block spare", strategy: .htexAutoScale, now: 1_000, tasks: 9, busy: [4, 4, 1],
            idleSince: [nil, nil, nil], minBlocks: 0, expected: .none),
        AutoScaleCase(
            name: "respects min_blocks", strategy: .htexAutoScale, now: 1_000, tasks: 1, busy: [1, 0, 0],
            idleSince: [nil, 0, 0], minBlocks: 2, expected: .scaleIn(["2"])),
    ])
    func htexAutoScaleScalesInOnlyIdleBlocks(_ c: AutoScaleCase) {
        // 3 blocks × 4 workers = 12 slots.
        var strategy = steadyStrategy(
            .init(strategy: c.strategy, initBlocks: 0, minBlocks: c.minBlocks, maxBlocks: 10, workersPerNode: 4, maxIdletime: 120, connectTimeout: nil))
        let blocks = (0..<3).map { i in
            BlockSnapshot(blockID: String(i), state: .running, connectedWorkers: 4, runningTasks: c.busy[i], idleSince: c.idleSince[i], submittedAt: Double(i))
        }
        let decision = strategy.decide(now: c.now, outstandingTasks: c.tasks, blocks: blocks)
        #expect(decision.action == c.expected, "\(decision)")
    }

    @Test func htexAutoScaleTakesUnconnectedBlocksFirst() {
        var strategy = steadyStrategy(.init(strategy: .htexAutoScale, initBlocks: 0, maxBlocks: 10, workersPerNode: 4, connectTimeout: nil))
        let blocks = [
            BlockSnapshot(blockID: "0", state: .running, connectedWorkers: 4, runningTasks: 1, submittedAt: 0),
            BlockSnapshot(blockID: "1", state: .running, connectedWorkers: 4, idleSince: 0, submittedAt: 1),
            BlockSnapshot(blockID: "2", state: .pending, submittedAt: 2),
        ]
        // 12 slots, 1 task: floor(11 / 4) = 2 blocks spare; the pending one first, then the idle one.
        #expect(strategy.decide(now: 500, outstandingTasks: 1, blocks: blocks).action == .scaleIn(["2", "1"]))
    }

    // MARK: Connect timeout

    struct ConnectCase: Sendable, CustomTestStringConvertible {
        var name: String
        var block: BlockSnapshot
        var timeout: Double?
        var expected: ScalingDecision.Action
        var testDescription: String { name }
    }

    @Test(arguments: [
        ConnectCase(
            name: "pending past timeout is replaced", block: BlockSnapshot(blockID: "0", state: .pending, submittedAt: 0),
            timeout: 600, expected: .replace(["0"])),
        ConnectCase(
            name: "running but never connected is replaced", block: BlockSnapshot(blockID: "0", state: .running, submittedAt: 0),
            timeout: 600, expected: .replace(["0"])),
        ConnectCase(
            name: "within timeout is kept", block: BlockSnapshot(blockID: "0", state: .pending, submittedAt: 100),
            timeout: 600, expected: .none),
        ConnectCase(
            name: "connected is kept", block: BlockSnapshot(blockID: "0", state: .running, connectedWorkers: 1, submittedAt: 0),
            timeout: 600, expected: .none),
        ConnectCase(
            name: "connected once, workers gone, is kept",
            block: BlockSnapshot(blockID: "0", state: .running, submittedAt: 0, everConnected: true), timeout: 600, expected: .none),
        ConnectCase(
            name: "no timeout configured", block: BlockSnapshot(blockID: "0", state: .pending, submittedAt: 0),
            timeout: nil, expected: .none),
        ConnectCase(
            name: "terminal blocks are ignored (and the load scales out instead)",
            block: BlockSnapshot(blockID: "0", state: .failed, submittedAt: 0), timeout: 600, expected: .scaleOut(1)),
    ])
    func blocksThatNeverConnectAreReplaced(_ c: ConnectCase) {
        var strategy = steadyStrategy(.init(initBlocks: 0, minBlocks: 0, maxBlocks: 2, connectTimeout: c.timeout))
        let decision = strategy.decide(now: 601, outstandingTasks: 1, blocks: [c.block])
        #expect(decision.action == c.expected, "\(decision)")
        if case .replace = decision.action { #expect(decision.reason.contains("connect_timeout=600")) }
    }

    // MARK: Misc

    @Test func configurationClampsNonsense() {
        let c = BlockScalingStrategy.Configuration(initBlocks: -1, minBlocks: 3, maxBlocks: 1, nodesPerBlock: 0, workersPerNode: 0, parallelism: 7)
        #expect(c.initBlocks == 0 && c.minBlocks == 3 && c.maxBlocks == 3 && c.nodesPerBlock == 1 && c.workersPerNode == 1 && c.parallelism == 1)
    }

    @Test func configurationTakesProviderLimits() {
        let limits = BlockLimits(nodesPerBlock: 2, initBlocks: 4, minBlocks: 1, maxBlocks: 10, parallelism: 0.5)
        let c = BlockScalingStrategy.Configuration(limits: limits, workersPerNode: 8, strategy: .htexAutoScale)
        #expect(c.nodesPerBlock == 2 && c.initBlocks == 4 && c.minBlocks == 1 && c.maxBlocks == 10 && c.parallelism == 0.5)
        #expect(c.workersPerNode == 8 && c.strategy == .htexAutoScale && c.maxIdletime == 120)
    }

    @Test(arguments: JobState.allCases)
    func jobStatesKeepParslCodes(_ state: JobState) {
        let terminal: Set<JobState> = [.cancelled, .completed, .failed, .timeout, .missing, .scaledIn]
        #expect(state.isTerminal == terminal.contains(state))
        let names = ["UNKNOWN", "PENDING", "RUNNING", "CANCELLED", "COMPLETED", "FAILED", "TIMEOUT", "HELD", "MISSING", "SCALED_IN"]
        #expect(state.parslName == names[state.rawValue])
    }
}
