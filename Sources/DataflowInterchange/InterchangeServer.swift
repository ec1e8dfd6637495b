import DataflowWireProtocol
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// What the interchange reports to its owner (the executor). Called without any interchange lock held.
protocol InterchangeDelegate: AnyObject, Sendable {
    func interchangeDelivered(_ key: TaskKey, outcome: TaskResult.Outcome, location: String)
    func interchangeRunning(_ key: TaskKey, location: String)
    func interchangeLost(_ key: TaskKey, location: String, reason: String)
    func interchangeWorkerJoined(_ record: InterchangeStateMachine.WorkerRecord)
    func interchangeWorkerLeft(_ record: InterchangeStateMachine.WorkerRecord, reason: String)
}

/// The leader's TCP endpoint for workers: accepts and authenticates them, queues tries and streams them to
/// workers with free slots, and routes results back (Parsl's interchange, in the leader process).
final class InterchangeServer: Sendable {
    struct Configuration: Sendable {
        var address: String
        var port: Int
        var heartbeatPeriod: Duration
        var heartbeatThreshold: Duration
        /// A connection that has not registered within this time is closed.
        var handshakeTimeout: Duration
        var codec: WireCodec.Configuration
        /// Extra tries a worker may hold beyond its capacity (Parsl `prefetch_capacity`).
        var prefetch: Int
        /// TLS for every connection (``TransportSecurity``); `nil` is clear text.
        var tls: NIOSSLContext?
        /// Connections that have not authenticated yet, at most; a new one beyond this closes the oldest.
        var maxUnauthenticatedConnections: Int
    }

    let configuration: Configuration
    let authenticator: Authenticator
    let fingerprint: String
    private let machine: Mutex<InterchangeStateMachine>
    private let connections = Mutex<[Int: any Channel]>([:])
    /// Connections still in the handshake, by id (ids grow, so the smallest is the oldest).
    private let unauthenticated = Mutex<[Int: any Channel]>([:])
    private let nextConnectionID = Atomic<Int>(0)
    private let pendingSubmissions = Mutex<(tasks: [InterchangeStateMachine.QueuedTask], scheduled: Bool)>(([], false))
    private let serverChannel = Mutex<(any Channel)?>(nil)
    private let heartbeatTask = Mutex<RepeatedTask?>(nil)
    private let delegateBox = Mutex<(any InterchangeDelegate)?>(nil)
    let startTime = ContinuousClock.now
    /// One event loop for the listener and every worker connection: dispatching and writing then happen on
    /// the same thread, with no hop between loops (Parsl's interchange is single-threaded too).
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    init(configuration: Configuration, secret: String, fingerprint: String) {
        self.configuration = configuration
        self.authenticator = Authenticator(secret: secret)
        self.fingerprint = fingerprint
        self.machine = Mutex(InterchangeStateMachine(heartbeatThreshold: Double(configuration.heartbeatThreshold.components.seconds)))
    }

    var delegate: (any InterchangeDelegate)? {
        get { delegateBox.withLock { $0 } }
        set { delegateBox.withLock { $0 = newValue } }
    }

    /// Seconds since the interchange started: the state machine's clock.
    var now: Double {
        let d = ContinuousClock.now - startTime
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Binds and starts accepting workers; returns the bound port.
    func start() async throws -> Int {
        let codec = WireCodec(configuration: configuration.codec)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                let id = nextConnectionID.wrappingAdd(1, ordering: .relaxed).oldValue
                admitUnauthenticated(id, channel)
                let tls = configuration.tls
                return channel.eventLoop.makeCompletedFuture {
                    let handshake = HandshakeGuard(handshakeKinds: [.register])
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(codec: codec, handshake: handshake)))
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(FrameEncoder(codec: codec)))
                    try channel.pipeline.syncOperations.addHandler(
                        InterchangeConnectionHandler(server: self, connectionID: id, handshake: handshake)
                    )
                }
            }
            .bind(host: configuration.address, port: configuration.port)
            .get()
        serverChannel.withLock { $0 = channel }
        let period = TimeAmount.nanoseconds(
            Int64(configuration.heartbeatPeriod.components.seconds) * 1_000_000_000 + configuration.heartbeatPeriod.components.attoseconds / 1_000_000_000)
        let repeated = channel.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { [self] _ in heartbeat() }
        heartbeatTask.withLock { $0 = repeated }
        return channel.localAddress?.port ?? configuration.port
    }

    /// Counts a new connection as unauthenticated; past the cap the oldest such connection is closed, so
    /// that peers who never authenticate cost a bounded amount of memory however many connect, while a real
    /// worker (which authenticates within a round trip) still gets in.
    private func admitUnauthenticated(_ id: Int, _ channel: any Channel) {
        let evicted: (any Channel)? = unauthenticated.withLock { pending in
            pending[id] = channel
            guard pending.count > configuration.maxUnauthenticatedConnections, let oldest = pending.keys.min() else { return nil }
            return pending.removeValue(forKey: oldest)
        }
        evicted?.close(promise: nil)
    }

    /// The connection authenticated or closed: it no longer counts against the cap. Returns whether it still
    /// counted, that is, was not turned away at the cap (whose close, over TLS, can take a while, during which a
    /// registration already in flight may still be read).
    @discardableResult
    func leftHandshake(_ id: Int) -> Bool {
        unauthenticated.withLock { $0.removeValue(forKey: id) } != nil
    }

    /// Connections still in the handshake now (for tests and diagnostics).
    var unauthenticatedConnections: Int { unauthenticated.withLock { $0.count } }

    /// Stops accepting, tells every worker to leave, and closes every connection.
    func stop() async {
        heartbeatTask.withLock { $0?.cancel() }
        let server = serverChannel.withLock { $0 }
        try? await server?.close()
        let all = connections.withLock { $0 }
        for (_, channel) in all {
            _ = try? await channel.writeAndFlush(WireMessage.shutdown).get()
            try? await channel.close()
        }
        try? await group.shutdownGracefully()
    }

    var outstanding: Int { machine.withLock { $0.outstanding } }

    var workers: [InterchangeStateMachine.WorkerRecord] { machine.withLock { Array($0.workers.values) } }

    // MARK: Submissions

    /// Queues tries. Submissions are collected and handed to the state machine once per event-loop turn,
    /// so that a burst becomes a few large frames instead of one frame per try.
    func submit(_ task: InterchangeStateMachine.QueuedTask) {
        let schedule = pendingSubmissions.withLock { pending in
            pending.tasks.append(task)
            defer { pending.scheduled = true }
            return !pending.scheduled
        }
        guard schedule, let loop = serverChannel.withLock({ $0?.eventLoop }) else { return }
        loop.execute { [self] in
            let tasks = pendingSubmissions.withLock { pending in
                pending.scheduled = false
                defer { pending.tasks = [] }
                return pending.tasks
            }
            perform(machine.withLock { $0.submit(tasks) })
        }
    }

    func drain(blockID: String) {
        perform(machine.withLock { $0.drain(blockID: blockID) })
    }

    // MARK: Connection events

    func register(_ id: Int, channel: any Channel, _ registration: Registration) {
        connections.withLock { $0[id] = channel }
        let record = InterchangeStateMachine.WorkerRecord(
            workerID: registration.workerID,
            hostname: registration.hostname,
            blockID: registration.blockID,
            capacity: Int(registration.capacity),
            prefetch: configuration.prefetch,
            lastHeard: now,
            idleSince: now
        )
        perform(machine.withLock { $0.workerJoined(id, record) })
    }

    func received(_ id: Int, _ message: WireMessage) {
        let t = now
        switch message {
        case .started(let keys): perform(machine.withLock { $0.started(id, keys, now: t) })
        case .results(let results): perform(machine.withLock { $0.results(id, results, now: t) })
        case .heartbeat: machine.withLock { $0.heard(id, now: t) }
        case .drained: machine.withLock { $0.drained(id) }
        default: break
        }
    }

    func disconnected(_ id: Int, reason: String) {
        connections.withLock { _ = $0.removeValue(forKey: id) }
        perform(machine.withLock { $0.workerLeft(id, reason: reason) })
    }

    private func heartbeat() {
        let t = now
        perform(machine.withLock { $0.tick(now: t) })
        for (_, channel) in connections.withLock({ $0 }) { channel.writeAndFlush(WireMessage.heartbeat, promise: nil) }
    }

    /// Carries out the state machine's actions, outside its lock.
    private func perform(_ actions: [InterchangeStateMachine.Action]) {
        guard !actions.isEmpty else { return }
        let delegate = self.delegate
        for action in actions {
            switch action {
            case .send(let worker, let tasks):
                let channel = connections.withLock { $0[worker] }
                let message = WireMessage.tasks(tasks.map { TaskAssignment(key: $0.key, app: $0.app, input: $0.input) })
                channel?.writeAndFlush(message, promise: nil)
            case .deliver(let key, let outcome, let location):
                delegate?.interchangeDelivered(key, outcome: outcome, location: location)
            case .running(let key, let location):
                delegate?.interchangeRunning(key, location: location)
            case .lost(let key, let location, let reason):
                delegate?.interchangeLost(key, location: location, reason: reason)
            case .close(let worker, let reason):
                Self.log("closing worker connection \(worker): \(reason)")
                connections.withLock { $0[worker] }?.close(promise: nil)
            case .drain(let worker):
                connections.withLock { $0[worker] }?.writeAndFlush(WireMessage.drain, promise: nil)
            case .workerJoined(_, let record):
                delegate?.interchangeWorkerJoined(record)
            case .workerLeft(_, let record, let reason):
                delegate?.interchangeWorkerLeft(record, reason: reason)
            }
        }
    }

    /// Unauthenticated connections closed since the last summary line, and when that line was written.
    private let refusedPeers = Mutex<(count: Int, lastLog: ContinuousClock.Instant?)>((0, nil))

    /// Logs the first refused peer at once, then at most one summary line a minute with the count.
    func noteRefusedPeer(_ reason: String) {
        let line: String? = refusedPeers.withLock { state in
            state.count += 1
            let now = ContinuousClock.now
            if let last = state.lastLog, now - last < .seconds(60) { return nil }
            defer {
                state.count = 0
                state.lastLog = now
            }
            return state.count == 1
                ? "closed a connection that did not authenticate: \(reason)"
                : "closed \(state.count) connections that did not authenticate in the last minute; the latest: \(reason)"
        }
        if let line { Self.log(line) }
    }

    static func log(_ message: String) {
        FileHandle.standardError.write(Data("interchange: \(message)\n".utf8))
    }
}
