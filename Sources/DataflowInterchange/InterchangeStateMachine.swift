import DataflowWireProtocol

/// The interchange's bookkeeping as a pure state machine: events in, actions out, no I/O and no clock of
/// its own. It queues tries, hands them to workers with free slots, routes results, and decides what a
/// lost worker means for each try it held.
///
/// Invariants: a try is either queued or held by exactly one worker; a result counts only if it comes from
/// the worker holding that try (so nothing is delivered twice); a try a lost worker had *started* is
/// reported lost (the kernel may retry it), one it had only prefetched goes back to the front of the queue.
struct InterchangeStateMachine {
    struct QueuedTask: Sendable {
        var key: TaskKey
        var app: String
        var input: [UInt8]
    }

    struct WorkerRecord: Sendable {
        var workerID: String
        var hostname: String
        var blockID: String
        var capacity: Int
        var prefetch: Int
        /// Tries held, with whether the worker said it started each.
        var held: [TaskKey: Held] = [:]
        var draining = false
        var lastHeard: Double
        /// When the worker last had nothing to do; nil while busy.
        var idleSince: Double?

        struct Held: Sendable {
            var task: QueuedTask
            var started: Bool
            /// Dispatch order on this worker; workers run their tries first come, first served.
            var sequence: Int
        }
        var nextSequence = 0
        /// The worker said it drained: whatever it still holds never started.
        var drained = false

        var freeSlots: Int { draining ? 0 : max(0, capacity + prefetch - held.count) }
        var location: String { "worker \(workerID) on \(hostname) (block \(blockID))" }
    }

    enum Action: Sendable {
        /// Write these tries to the worker in one frame.
        case send(worker: Int, tasks: [QueuedTask])
        /// A try ended; pass its outcome on.
        case deliver(key: TaskKey, outcome: TaskResult.Outcome, location: String)
        /// A try started running on a worker.
        case running(key: TaskKey, location: String)
        /// A worker that had started this try is gone; the try is lost.
        case lost(key: TaskKey, location: String, reason: String)
        /// Close this worker's connection.
        case close(worker: Int, reason: String)
        /// Tell this worker to finish and leave.
        case drain(worker: Int)
        /// A worker joined or left (for monitoring and scaling).
        case workerJoined(worker: Int, record: WorkerRecord)
        case workerLeft(worker: Int, record: WorkerRecord, reason: String)
    }

    private(set) var queue = TaskQueue()
    private(set) var workers: [Int: WorkerRecord] = [:]
    let heartbeatThreshold: Double

    init(heartbeatThreshold: Double) {
        self.heartbeatThreshold = heartbeatThreshold
    }

    /// Tries queued or held by workers.
    var outstanding: Int { queue.count + workers.values.reduce(0) { $0 + $1.held.count } }

    // MARK: Events

    mutating func submit(_ tasks: [QueuedTask]) -> [Action] {
        for task in tasks { queue.append(task) }
        return dispatch()
    }

    mutating func workerJoined(_ id: Int, _ record: WorkerRecord) -> [Action] {
        workers[id] = record
        return [.workerJoined(worker: id, record: record)] + dispatch()
    }

    mutating func started(_ id: Int, _ keys: [TaskKey], now: Double) -> [Action] {
        guard var worker = workers[id] else { return [] }
        worker.lastHeard = now
        var actions: [Action] = []
        for key in keys where worker.held[key] != nil {
            worker.held[key]!.started = true
            actions.append(.running(key: key, location: worker.location))
        }
        workers[id] = worker
        return actions
    }

    mutating func results(_ id: Int, _ results: [TaskResult], now: Double) -> [Action] {
        guard var worker = workers[id] else { return [] }
        worker.lastHeard = now
        var actions: [Action] = []
        actions.reserveCapacity(results.count + 1)
        for result in results where worker.held.removeValue(forKey: result.key) != nil {
            actions.append(.deliver(key: result.key, outcome: result.outcome, location: worker.location))
        }
        if worker.held.isEmpty && worker.idleSince == nil { worker.idleSince = now }
        workers[id] = worker
        return actions + dispatch(now: now)
    }

    mutating func heard(_ id: Int, now: Double) {
        workers[id]?.lastHeard = now
    }

    /// The worker finished its tries and is leaving: what it still holds never started.
    mutating func drained(_ id: Int) {
        workers[id]?.drained = true
    }

    /// The worker's connection closed (or was closed by us).
    mutating func workerLeft(_ id: Int, reason: String) -> [Action] {
        guard let worker = workers.removeValue(forKey: id) else { return [] }
        var actions: [Action] = [.workerLeft(worker: id, record: worker, reason: reason)]
        var requeue: [QueuedTask] = []
        // A worker runs its tries in dispatch order, at most `capacity` at once: so the ones it may have
        // been running are the oldest `capacity` it held (whether or not their "started" notice arrived).
        // Counting a try for those means a task that crashes its worker every time cannot loop forever.
        let ordered = worker.held.sorted { $0.value.sequence < $1.value.sequence }
        for (index, (key, held)) in ordered.enumerated() {
            if !worker.drained && (held.started || index < worker.capacity) {
                actions.append(.lost(key: key, location: worker.location, reason: reason))
            } else {
                requeue.append(held.task)
            }
        }
        queue.prepend(requeue)
        return actions + dispatch()
    }

    /// Periodic check: workers silent for longer than the threshold are closed.
    mutating func tick(now: Double) -> [Action] {
        var actions: [Action] = []
        for (id, worker) in workers where now - worker.lastHeard > heartbeatThreshold {
            let reason = "no heartbeat for \(Int(now - worker.lastHeard)) s (threshold \(Int(heartbeatThreshold)) s)"
            actions.append(.close(worker: id, reason: reason))
            actions += workerLeft(id, reason: reason)
        }
        return actions
    }

    /// Asks every worker of `blockID` to finish its tries and leave; they get no new work.
    mutating func drain(blockID: String) -> [Action] {
        var actions: [Action] = []
        for (id, worker) in workers where worker.blockID == blockID && !worker.draining {
            workers[id]!.draining = true
            actions.append(.drain(worker: id))
        }
        return actions
    }

    // MARK: Dispatch

    /// Hands queued tries to workers with free slots, each worker's share in one batch.
    private mutating func dispatch(now: Double? = nil) -> [Action] {
        guard !queue.isEmpty else { return [] }
        var actions: [Action] = []
        // Least-loaded first, so that work spreads before it stacks.
        let candidates = workers.filter { $0.value.freeSlots > 0 }.sorted { ($0.value.held.count, $0.key) < ($1.value.held.count, $1.key) }
        for (id, _) in candidates {
            guard !queue.isEmpty else { break }
            var worker = workers[id]!
            let batch = queue.popFirst(worker.freeSlots)
            for task in batch {
                worker.held[task.key] = .init(task: task, started: false, sequence: worker.nextSequence)
                worker.nextSequence += 1
            }
            worker.idleSince = nil
            workers[id] = worker
            actions.append(.send(worker: id, tasks: batch))
        }
        return actions
    }
}

/// FIFO of queued tries with cheap front insertion for requeued ones.
struct TaskQueue: Sendable {
    private var items: [InterchangeStateMachine.QueuedTask] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { head >= items.count }

    mutating func append(_ task: InterchangeStateMachine.QueuedTask) { items.append(task) }

    mutating func prepend(_ tasks: [InterchangeStateMachine.QueuedTask]) {
        guard !tasks.isEmpty else { return }
        if head >= tasks.count {
            head -= tasks.count
            items.replaceSubrange(head..<(head + tasks.count), with: tasks)
        } else {
            items = tasks + items[head...]
            head = 0
        }
    }

    mutating func popFirst(_ n: Int) -> [InterchangeStateMachine.QueuedTask] {
        let end = min(items.count, head + n)
        let batch = Array(items[head..<end])
        head = end
        if head > 4096 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return batch
    }
}
