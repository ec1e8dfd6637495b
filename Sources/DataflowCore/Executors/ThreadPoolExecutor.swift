import Foundation
import Synchronization

/// Runs tasks in this process with bounded concurrency (Parsl `ThreadPoolExecutor`).
///
/// `maxThreads` worker loops pull tries from one FIFO queue; an app that suspends (awaits) keeps its slot,
/// as a thread would. Use it for light or I/O-bound apps, or to run a whole workflow on one machine
/// without worker processes.
public final class ThreadPoolExecutor: ExecutionBackend {
    /// Options with Parsl's names.
    public struct Configuration: Sendable, Codable, Hashable {
        /// The label apps pin to. Default `"threads"`.
        public var label: String
        /// How many tries run at once (Parsl `max_threads`). Default: the number of active cores.
        public var maxThreads: Int

        /// Options with Parsl's defaults; `maxThreads` below 1 is raised to 1.
        public init(label: String = "threads", maxThreads: Int = ProcessInfo.processInfo.activeProcessorCount) {
            self.label = label
            self.maxThreads = Swift.max(1, maxThreads)
        }
    }

    /// The options this executor was created with.
    public let configuration: Configuration
    /// ``Configuration/label``, which apps pin to.
    public var label: String { configuration.label }

    private struct Queue {
        var jobs = RingBuffer<TaskRequest>(capacity: 1024)
        var idleWorkers: [CheckedContinuation<TaskRequest?, Never>] = []
        var running = 0
        var stopped = false
    }

    private let queue = Mutex(Queue())
    private let loops = Mutex<[Task<Void, Never>]>([])

    /// An executor with `configuration`; no loops run until ``start(runDirectory:apps:)``.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Starts `maxThreads` worker loops in this process; does not throw.
    public func start(runDirectory: String, apps: AppRegistry) async throws {
        let started = (0..<configuration.maxThreads).map { _ in
            Task { [self] in await workerLoop() }
        }
        loops.withLock { $0.append(contentsOf: started) }
    }

    /// Tries queued plus tries running now.
    public var outstanding: Int {
        queue.withLock { $0.jobs.count + $0.running }
    }

    /// Queues the try (FIFO) or hands it to an idle loop; after shutdown it finishes at once with a
    /// ``DataflowError`` `shutDown`.
    public func submit(_ request: TaskRequest) {
        enum Next {
            case resume(CheckedContinuation<TaskRequest?, Never>)
            case queued, rejected
        }
        let next: Next = queue.withLock { q in
            if q.stopped { return .rejected }
            if let idle = q.idleWorkers.popLast() {
                q.running += 1
                return .resume(idle)
            }
            q.jobs.append(request)
            return .queued
        }
        switch next {
        case .resume(let worker): worker.resume(returning: request)
        case .queued: break
        case .rejected: request.sink.taskFinished(request, Self.cancelledOutcome(request))
        }
    }

    /// Stops accepting tries, finishes queued ones with a `shutDown` error and waits for running ones to end.
    public func shutdown() async {
        let (pending, idle) = queue.withLock { q in
            q.stopped = true
            let idle = q.idleWorkers
            q.idleWorkers = []
            return (q.jobs.removeAll(), idle)
        }
        for worker in idle { worker.resume(returning: nil) }
        for request in pending { request.sink.taskFinished(request, Self.cancelledOutcome(request)) }
        for loop in loops.withLock({ $0 }) { await loop.value }
    }

    private static func cancelledOutcome(_ request: TaskRequest) -> TaskOutcome {
        TaskOutcome(result: .failure(DataflowError(.shutDown, "executor shut down before the task ran")), location: nil)
    }

    // MARK: Worker loop

    private func workerLoop() async {
        var batch: [TaskRequest] = []
        batch.reserveCapacity(Self.maxBatch)
        while await nextJobs(into: &batch) {
            for request in batch { await run(request) }
            let done = batch.count
            batch.removeAll(keepingCapacity: true)
            queue.withLock { $0.running -= done }
        }
    }

    /// The most tries a worker takes from the queue at once; fewer when the queue is short, so that long
    /// tasks still spread over all workers.
    private static let maxBatch = 16

    private func takeBatch(_ q: inout Queue, into batch: inout [TaskRequest]) {
        let share = Swift.max(1, Swift.min(Self.maxBatch, q.jobs.count / (4 * configuration.maxThreads)))
        while batch.count < share, let job = q.jobs.popFirst() { batch.append(job) }
        q.running += batch.count
    }

    /// Fills `batch` with the next tries; false once the executor has stopped and the queue is empty.
    private func nextJobs(into batch: inout [TaskRequest]) async -> Bool {
        let immediate: Bool? = queue.withLock { q in
            if !q.jobs.isEmpty {
                takeBatch(&q, into: &batch)
                return true
            }
            return q.stopped ? false : nil
        }
        if let immediate { return immediate }
        let handedOver: TaskRequest? = await withCheckedContinuation { continuation in
            let ready: TaskRequest?? = queue.withLock { q in
                if let job = q.jobs.popFirst() {
                    q.running += 1
                    return .some(job)
                }
                if q.stopped { return .some(nil) }
                q.idleWorkers.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        guard let handedOver else { return false }
        batch.append(handedOver)
        return true
    }

    private func run(_ request: TaskRequest) async {
        // The location is the executor's label: in-process tries all run on this host.
        let context = request.context(location: label)
        request.sink.taskRunning(request, location: label)
        let result: Result<any Sendable, any Error>
        if let walltime = request.walltime {
            result = await WalltimeRace.run(walltime: walltime, taskID: request.taskID) {
                try await request.app.invoke(request.input, context: context)
            }
        } else {
            do {
                result = .success(try await request.app.invoke(request.input, context: context))
            } catch {
                result = .failure(error)
            }
        }
        request.sink.taskFinished(request, TaskOutcome(result: result, location: label))
    }
}
