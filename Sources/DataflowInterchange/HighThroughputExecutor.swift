import DataflowApps
import DataflowCore
import DataflowProviders
import DataflowWireProtocol
import Foundation
import Synchronization

/// Runs tasks on worker processes that dial an interchange in this process over TCP (Parsl
/// `HighThroughputExecutor`). Workers come in blocks from an ``ExecutionProvider`` (``LocalProvider`` by
/// default), scaled by ``BlockScaler``; they run the same binary with the same app registry.
///
/// Inputs and outputs travel compact-encoded (zstd above a threshold); workers authenticate with a per-run
/// secret passed through the provider's environment. A worker that dies or goes silent loses only the try
/// it was running, which the kernel retries if retries are left; tries it had not started go to others.
public final class HighThroughputExecutor: ExecutionBackend {
    /// The options this executor was created with.
    public let configuration: Configuration
    /// Where worker blocks come from (Parsl `provider`).
    public let provider: any ExecutionProvider
    /// ``Configuration/label``, which apps pin to.
    public var label: String { configuration.label }

    private let secret = Authenticator.makeSecret()
    private let requests = Mutex<[TaskKey: TaskRequest]>([:])
    private let server = Mutex<InterchangeServer?>(nil)
    private let scaler = Mutex<BlockScaler?>(nil)
    private let boundPort = Mutex<Int?>(nil)
    private let launchTemplate = Mutex<LaunchTemplate?>(nil)
    /// Set when blocks keep failing before any worker connects: every task fails with it from then on.
    private let badState = Mutex<BlockFailureError?>(nil)
    /// The registry the workers run, for rebuilding the errors they send as their own types.
    private let registry = Mutex<AppRegistry?>(nil)

    private struct LaunchTemplate: Sendable {
        var command: @Sendable (String) -> [String]
    }
    private let events: Events

    /// Where executor events go: a user handler (``onEvent(_:)``) and the kernel's monitoring.
    final class Events: Sendable {
        let handler = Mutex<(@Sendable (ExecutorEvent) -> Void)?>(nil)
        let backendHandler = Mutex<(@Sendable (BackendEvent) -> Void)?>(nil)
        func emit(_ event: ExecutorEvent) {
            handler.withLock { $0 }?(event)
            guard let backend = backendHandler.withLock({ $0 }) else { return }
            switch event {
            case .workerConnected(let id, let host, let block, let capacity):
                backend(.workerConnected(workerID: id, hostname: host, blockID: block, capacity: capacity))
            case .workerLost(let id, let host, let block, let reason):
                backend(.workerLost(workerID: id, hostname: host, blockID: block, reason: reason))
            case .block(.blockSubmitted(let block, let job)):
                backend(.blockStatus(blockID: block, jobID: job, state: "SUBMITTED", reason: nil))
            case .block(.blockStatusChanged(let block, let status)):
                backend(.blockStatus(blockID: block, jobID: nil, state: status.state.parslName, reason: status.message))
            case .block(.blockCancelled(let block, let reason)):
                backend(.blockStatus(blockID: block, jobID: nil, state: "CANCELLED", reason: reason))
            case .block(.decision), .block(.badState):
                break
            }
        }
    }

    /// An executor with `configuration` whose workers `provider` starts; default: blocks on this machine
    /// (``LocalProvider``). Nothing listens until ``start(runDirectory:apps:)``.
    public init(configuration: Configuration = Configuration(), provider: any ExecutionProvider = LocalProvider()) {
        self.configuration = configuration
        self.provider = provider
        self.events = Events()
    }

    /// Receives worker and block events (connect, lost, block submitted/cancelled/status).
    public func onEvent(_ handler: @escaping @Sendable (ExecutorEvent) -> Void) {
        events.handler.withLock { $0 = handler }
    }

    /// The port the interchange listens on, once started.
    public var port: Int? { boundPort.withLock { $0 } }

    /// Connections that have not authenticated yet (bounded by `maxUnauthenticatedConnections`).
    public var unauthenticatedConnections: Int { server.withLock { $0 }?.unauthenticatedConnections ?? 0 }

    /// Workers connected now.
    public var connectedWorkers: Int { server.withLock { $0 }?.workers.count ?? 0 }

    /// The ids of the workers connected now ("<block>.<host>.<pid>[.<slot>]").
    public var connectedWorkerIDs: [String] { server.withLock { $0 }?.workers.map(\.workerID).sorted() ?? [] }

    /// The command and environment that start a worker for `blockID` (what the provider runs), e.g. to start
    /// workers by hand or to print a pod manifest. The environment holds the run secret.
    public func workerLaunch(blockID: String) -> (command: [String], environment: [String: String])? {
        launchTemplate.withLock { $0 }.map { ($0.command(blockID), [Authenticator.environmentVariable: secret]) }
    }

    /// Tries submitted and not yet finished, queued or running on workers.
    public var outstanding: Int { requests.withLock { $0.count } }

    /// Starts the interchange (listening on ``Configuration/address``) and the block scaler, which asks
    /// the provider for blocks. Throws if the port cannot be bound or the TLS context cannot be made.
    public func start(runDirectory: String, apps: AppRegistry) async throws {
        registry.withLock { $0 = apps }
        let interchange = InterchangeServer(
            configuration: .init(
                address: configuration.address,
                port: configuration.port,
                heartbeatPeriod: configuration.heartbeatPeriod,
                heartbeatThreshold: configuration.heartbeatThreshold,
                handshakeTimeout: configuration.handshakeTimeout,
                codec: configuration.codec,
                prefetch: configuration.prefetchCapacity,
                tls: configuration.encrypted ? try TransportSecurity.serverContext(secret: secret) : nil,
                maxUnauthenticatedConnections: configuration.maxUnauthenticatedConnections
            ),
            secret: secret,
            fingerprint: apps.fingerprint
        )
        interchange.delegate = self
        let port = try await interchange.start()
        server.withLock { $0 = interchange }
        boundPort.withLock { $0 = port }

        let dialAddress = configuration.workerAddress ?? (configuration.address == "0.0.0.0" ? ProcessInfo.processInfo.hostName : configuration.address)
        let configuration = self.configuration
        let workerDefaults = configuration.workerConfiguration(host: dialAddress, port: port, secret: secret)
        let launch: @Sendable (String) -> [String] = { blockID in
            var worker = workerDefaults
            worker.blockID = blockID
            return configuration.workerCommand + worker.arguments
        }
        launchTemplate.withLock { $0 = LaunchTemplate(command: launch) }
        let blockScaler = BlockScaler(
            provider: provider,
            configuration: .init(
                strategy: .init(
                    limits: provider.blockLimits,
                    workersPerNode: configuration.maxWorkersPerNode,
                    strategy: configuration.strategy,
                    maxIdletime: configuration.maxIdletime
                ),
                strategyPeriod: configuration.strategyPeriod,
                statusPollingInterval: configuration.strategyPeriod,
                blockErrorThreshold: configuration.blockErrorThreshold
            ),
            hooks: .init(
                outstandingTasks: { [weak self] in self?.outstanding ?? 0 },
                workers: { [weak self] in self?.blockWorkers() ?? [:] },
                launchCommand: launch,
                environment: [Authenticator.environmentVariable: secret],
                drain: { [weak self] blockID in await self?.drain(blockID: blockID) }
            )
        )
        scaler.withLock { $0 = blockScaler }
        let events = self.events
        Task { [weak self] in
            for await event in blockScaler.events {
                if case .badState(let error) = event { self?.enterBadState(error) }
                events.emit(.block(event))
            }
        }
        await blockScaler.start()
    }

    /// Encodes the input and queues the try at the interchange; fails it at once if encoding fails, the
    /// executor is not running (`shutDown`) or blocks keep failing (``BlockFailureError``).
    public func submit(_ request: TaskRequest) {
        let key = TaskKey(taskID: UInt64(request.taskID), tryID: UInt32(request.tryID))
        let input: [UInt8]
        do {
            input = try request.app.encodeInput(request.input)
        } catch {
            request.sink.taskFinished(request, TaskOutcome(result: .failure(error), location: nil))
            return
        }
        guard let interchange = server.withLock({ $0 }) else {
            request.sink.taskFinished(request, TaskOutcome(result: .failure(DataflowError(.shutDown, "executor \(label) is not running")), location: nil))
            return
        }
        // Checked under the requests lock, so a task is either failed here or by enterBadState, never lost.
        let failure: BlockFailureError? = requests.withLock { r in
            if let error = badState.withLock({ $0 }) { return error }
            r[key] = request
            return nil
        }
        if let failure {
            request.sink.taskFinished(request, TaskOutcome(result: .failure(failure), location: nil))
            return
        }
        interchange.submit(.init(key: key, app: request.app.name, input: input))
    }

    /// The error every task fails with once blocks kept failing before any worker connected; `nil` while
    /// the executor is healthy.
    public var blockFailure: BlockFailureError? { badState.withLock { $0 } }

    /// Parsl's `set_bad_state_and_fail_all`: no worker will ever run these tasks, so fail them now.
    private func enterBadState(_ error: BlockFailureError) {
        let held: [TaskRequest] = requests.withLock { r in
            badState.withLock { $0 = error }
            defer { r = [:] }
            return Array(r.values)
        }
        for request in held {
            request.sink.taskFinished(request, TaskOutcome(result: .failure(error), location: nil))
        }
    }

    /// Stops scaling, cancels every block, stops the interchange and fails unfinished tries with a
    /// ``DataflowError`` `shutDown`.
    public func shutdown() async {
        await scaler.withLock { $0 }?.shutdown()
        // The scaler cancels blocks; the provider also removes what it made besides them (the run's Secret,
        // pods of the run left over from cancels that timed out, local process groups).
        await provider.shutdown()
        await server.withLock { $0 }?.stop()
        server.withLock { $0 = nil }
        let abandoned = requests.withLock { r in
            defer { r = [:] }
            return Array(r.values)
        }
        for request in abandoned {
            request.sink.taskFinished(request, TaskOutcome(result: .failure(DataflowError(.shutDown, "executor \(label) shut down")), location: nil))
        }
    }

    /// Tells a block's workers to finish and leave, and waits until they have (or the drain timeout).
    public func drain(blockID: String) async {
        guard let interchange = server.withLock({ $0 }) else { return }
        interchange.drain(blockID: blockID)
        let deadline = ContinuousClock.now + configuration.drainTimeout
        while ContinuousClock.now < deadline, interchange.workers.contains(where: { $0.blockID == blockID }) {
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func blockWorkers() -> [String: BlockScaler.BlockWorkers] {
        guard let interchange = server.withLock({ $0 }) else { return [:] }
        // The interchange's clock starts with it; the scaler's is BlockScaler.monotonicSeconds().
        let offset = BlockScaler.monotonicSeconds() - interchange.now
        var result: [String: BlockScaler.BlockWorkers] = [:]
        for worker in interchange.workers {
            var entry = result[worker.blockID] ?? .init(connectedWorkers: 0, runningTasks: 0, idleSince: nil)
            entry.connectedWorkers += 1
            entry.runningTasks += worker.held.count
            if let idle = worker.idleSince, worker.held.isEmpty {
                entry.idleSince = max(entry.idleSince ?? -.infinity, idle + offset)
            }
            result[worker.blockID] = entry
        }
        for (id, entry) in result where entry.runningTasks > 0 { result[id]!.idleSince = nil }
        return result
    }

    private func take(_ key: TaskKey) -> TaskRequest? {
        requests.withLock { $0.removeValue(forKey: key) }
    }
}

/// What a ``HighThroughputExecutor`` reports besides task outcomes.
public enum ExecutorEvent: Sendable {
    /// A worker registered, able to run `capacity` tries at once.
    case workerConnected(workerID: String, hostname: String, blockID: String, capacity: Int)
    /// A worker disconnected or stopped heartbeating; its running try is reported lost.
    case workerLost(workerID: String, hostname: String, blockID: String, reason: String)
    /// A block event from the ``BlockScaler`` (submitted, status changed, cancelled, decision, bad state).
    case block(BlockScaler.Event)
}

extension HighThroughputExecutor: BackendEventSource {
    /// Sets the kernel's handler, which records worker and block events in the monitoring database.
    public func onBackendEvent(_ handler: @escaping @Sendable (BackendEvent) -> Void) {
        events.backendHandler.withLock { $0 = handler }
    }
}

extension HighThroughputExecutor: InterchangeDelegate {
    func interchangeDelivered(_ key: TaskKey, outcome: TaskResult.Outcome, location: String) {
        guard let request = take(key) else { return }
        let result: Result<any Sendable, any Error>
        switch outcome {
        case .success(let bytes):
            do { result = .success(try request.app.decodeOutput(bytes)) } catch { result = .failure(error) }
        case .failure(let failure):
            if let bytes = failure.encodedError, let error = registry.withLock({ $0 })?.decodeError(typeName: failure.typeName, bytes: bytes) {
                // The error the app threw, as its own type with every field (registered Codable errors).
                result = .failure(error)
            } else {
                result = .failure(failure.kind == .walltime ? AppError(.walltimeExceeded, failure.message) : failure)
            }
        }
        request.sink.taskFinished(request, TaskOutcome(result: result, location: location))
    }

    func interchangeRunning(_ key: TaskKey, location: String) {
        guard let request = requests.withLock({ $0[key] }) else { return }
        request.sink.taskRunning(request, location: location)
    }

    func interchangeLost(_ key: TaskKey, location: String, reason: String) {
        guard let request = take(key) else { return }
        let error = WorkerLostError(taskID: request.taskID, appName: request.app.name, location: location, reason: reason)
        request.sink.taskFinished(request, TaskOutcome(result: .failure(error), location: location))
    }

    func interchangeWorkerJoined(_ record: InterchangeStateMachine.WorkerRecord) {
        if let blockScaler = scaler.withLock({ $0 }) {
            let blockID = record.blockID
            Task { await blockScaler.workerConnected(blockID: blockID) }
        }
        events.emit(.workerConnected(workerID: record.workerID, hostname: record.hostname, blockID: record.blockID, capacity: record.capacity))
    }

    func interchangeWorkerLeft(_ record: InterchangeStateMachine.WorkerRecord, reason: String) {
        events.emit(.workerLost(workerID: record.workerID, hostname: record.hostname, blockID: record.blockID, reason: reason))
    }
}
