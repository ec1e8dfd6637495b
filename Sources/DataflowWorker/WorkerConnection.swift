import DataflowApps
import DataflowWireProtocol
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One connection to the interchange and the tasks it runs, up to `capacity` at once.
///
/// Inbound frames arrive on the channel's event loop; task bodies run as Swift tasks; their results and
/// "started" notices are collected and written in one batch per event-loop turn.
final class WorkerConnection: Sendable {
    let configuration: WorkerService.Configuration
    let capacity: Int
    let apps: AppRegistry
    let authenticator: Authenticator
    let codec = WireCodec()
    let workerID: String
    let hostname: String

    private struct State {
        var channel: (any Channel)?
        var phase = Phase.connecting
        var nonce: [UInt8] = []
        var queue: [TaskAssignment] = []
        var queueHead = 0
        var running = 0
        var pendingStarted: [TaskKey] = []
        var pendingResults: [TaskResult] = []
        var flushScheduled = false
        var lastReceived = ContinuousClock.now
        var heartbeatPeriod = Duration.seconds(1)
        var heartbeatThreshold = Duration.seconds(10)
        var lastHeartbeatSent = ContinuousClock.now
        var draining = false
        var exitCode: Int32?
        var exitWaiters: [CheckedContinuation<Int32, Never>] = []
        /// Set when the connection closed before the challenge: ``run()`` dials again.
        var reconnect: Int32?
        /// Set when the TLS handshake failed: the interchange has another key (or no encryption).
        var tlsFailure: String?
        /// Set after a walltime: the body may still be running, so this process must not take more work.
        var poisoned = false
        /// Sends "started" notices for tasks still running a moment after they arrived.
        var startedTimer: Scheduled<Void>?
    }

    enum Phase { case connecting, awaitingAcceptance, running, closing }

    private let state = Mutex(State())

    init(configuration: WorkerService.Configuration, capacity: Int, apps: AppRegistry) {
        self.configuration = configuration
        self.capacity = capacity
        self.apps = apps
        self.authenticator = Authenticator(secret: configuration.secret)
        self.hostname = ProcessInfo.processInfo.hostName
        let slot = configuration.slot.map { ".\($0)" } ?? ""
        self.workerID = "\(configuration.blockID).\(hostname).\(getpid())\(slot)"
    }

    /// Connects (retrying until the connect timeout), serves until told to stop or the leader is gone, and
    /// returns the exit status.
    ///
    /// SIGTERM is honoured at every moment: while connecting the worker leaves at once (status 0); once
    /// connected it finishes the tasks it holds and leaves. A worker that cannot reach the interchange within
    /// the connect timeout exits with ``WorkerService/exitLeaderLost``; one that the interchange refuses (or
    /// that cannot authenticate) exits with ``WorkerService/exitRefused``; both say why on standard error,
    /// where the provider picks it up for the block's status.
    func run() async -> Int32 {
        signal(SIGTERM, SIG_IGN)
        let termination = DispatchSource.makeSignalSource(signal: SIGTERM)
        termination.setEventHandler { [self] in beginDrain() }
        termination.resume()
        defer { termination.cancel() }

        let deadline = ContinuousClock.now + configuration.connectTimeout
        var delay = Duration.milliseconds(50)
        var lastError = "no attempt made"
        while true {
            if let code = state.withLock({ $0.exitCode }) { return code }
            let attempt = min(Duration.seconds(5), max(.milliseconds(100), deadline - ContinuousClock.now))
            let channel: any Channel
            do {
                channel = try await connect(timeout: attempt)
            } catch {
                lastError = "\(error)"
                if ContinuousClock.now > deadline { return unreachable(lastError) }
                await sleepUnlessTerminated(delay)
                delay = min(delay * 2, .seconds(1))
                continue
            }
            // The period is only known after the handshake; tick often and let each tick decide.
            let heartbeat = channel.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { [self] _ in
                heartbeatTickIfDue()
            }
            let code = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                let ready: Int32? = state.withLock { s in
                    if let code = s.exitCode ?? s.reconnect { return code }
                    s.exitWaiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
            heartbeat.cancel()
            try? await channel.close()
            guard code == Self.reconnectCode else { return code }
            // Closed before the interchange said anything (its handshake timeout, or too many connections
            // at once): dial again while time is left.
            lastError = "the interchange closed the connection before its challenge"
            let again: Bool = state.withLock { s in
                s.reconnect = nil
                s.channel = nil
                s.phase = .connecting
                return s.exitCode == nil
            }
            guard again else { return state.withLock { $0.exitCode } ?? 0 }
            if ContinuousClock.now > deadline { return unreachable(lastError) }
            await sleepUnlessTerminated(delay)
            delay = min(delay * 2, .seconds(1))
        }
    }

    /// Internal status: the connection closed before the handshake began; dial again.
    private static let reconnectCode: Int32 = -1

    private func unreachable(_ error: String) -> Int32 {
        WorkerService.log(
            "worker \(workerID): cannot reach the interchange at \(configuration.host):\(configuration.port) within \(configuration.connectTimeout): \(error)"
        )
        finish(WorkerService.exitLeaderLost)
        return WorkerService.exitLeaderLost
    }

    /// Sleeps in short steps so that SIGTERM (which sets the exit code) ends the wait at once.
    private func sleepUnlessTerminated(_ duration: Duration) async {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end, state.withLock({ $0.exitCode == nil }) {
            try? await Task.sleep(for: min(.milliseconds(50), end - ContinuousClock.now))
        }
    }

    private func connect(timeout: Duration) async throws -> any Channel {
        let handler = WorkerChannelHandler(connection: self)
        let codec = self.codec
        let tls = configuration.encrypted ? try TransportSecurity.clientContext(secret: configuration.secret) : nil
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Before the leader proved it knows the secret, accept only small handshake frames.
                    let handshake = HandshakeGuard(handshakeKinds: [.challenge, .accepted, .rejected])
                    handler.handshake = NIOLoopBound(handshake, eventLoop: channel.eventLoop)
                    if let tls { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: nil)) }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(codec: codec, handshake: handshake)))
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(FrameEncoder(codec: codec)))
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: configuration.host, port: configuration.port)
            .get()
        return channel
    }

    /// Called by the handler when the connection is up, before any frame is read.
    func attach(_ channel: any Channel) {
        state.withLock { s in
            s.channel = channel
            s.lastReceived = .now
        }
    }

    // MARK: Protocol

    func received(_ message: WireMessage) {
        enum Reply {
            case none
            case send(WireMessage)
            case stop(Int32, String)
        }
        let reply: Reply = state.withLock { s in
            s.lastReceived = .now
            switch (s.phase, message) {
            case (.connecting, .challenge(let challenge)):
                guard challenge.version == ProtocolVersion.current else {
                    return .stop(WorkerService.exitRefused, "the interchange speaks protocol \(challenge.version), this worker \(ProtocolVersion.current)")
                }
                s.nonce = Authenticator.nonce()
                s.phase = .awaitingAcceptance
                return .send(
                    .register(
                        Registration(
                            proof: authenticator.registrationProof(leaderNonce: challenge.nonce, workerNonce: s.nonce),
                            nonce: s.nonce,
                            fingerprint: apps.fingerprint,
                            hostname: hostname,
                            blockID: configuration.blockID,
                            workerID: workerID,
                            capacity: UInt32(capacity),
                            pid: UInt32(getpid())
                        )
                    )
                )
            case (.awaitingAcceptance, .accepted(let acceptance)):
                guard Authenticator.matches(acceptance.proof, authenticator.acceptanceProof(workerNonce: s.nonce)) else {
                    return .stop(WorkerService.exitRefused, "the interchange could not prove it knows the run secret")
                }
                s.phase = .running
                s.heartbeatPeriod = .milliseconds(Int(acceptance.heartbeatPeriodMilliseconds))
                s.heartbeatThreshold = .milliseconds(Int(acceptance.heartbeatThresholdMilliseconds))
                return .none
            case (.running, .tasks(let tasks)):
                s.queue.append(contentsOf: tasks)
                // Armed here, on the event loop, where it costs no extra wake-up.
                armStartedTimer(&s, interval: .milliseconds(2))
                return .none
            case (.awaitingAcceptance, .rejected(let reason)):
                return .stop(WorkerService.exitRefused, "the interchange refused this worker: \(reason)")
            case (.running, .heartbeat), (.closing, _):
                return .none
            case (.running, .drain):
                s.draining = true
                return .none
            case (.running, .shutdown):
                return .stop(0, "")
            default:
                return .stop(WorkerService.exitRefused, "unexpected \(message.kind) message from the interchange")
            }
        }
        switch reply {
        case .none: break
        case .send(let message): state.withLock { $0.channel }?.writeAndFlush(message, promise: nil)
        case .stop(let code, let why):
            if !why.isEmpty { WorkerService.log("worker \(workerID): \(why)") }
            finish(code)
        }
        startRunners()
        finishIfDrained()
    }

    /// Whether the leader has accepted this worker (its proof checked out).
    var isAuthenticated: Bool { state.withLock { $0.phase == .running } }

    /// The TLS handshake failed: remembered so that the close that follows is reported as a refusal.
    func tlsFailed(_ reason: String) {
        // Only a failure before the challenge is about keys; later (a leader killed mid-run) it is a lost leader.
        state.withLock { if $0.phase == .connecting, $0.tlsFailure == nil { $0.tlsFailure = reason } }
    }

    /// The leader closed the connection, or it broke.
    func disconnected() {
        enum Next {
            case reconnect
            case exit(Int32, String?)
        }
        let next: Next = state.withLock { s in
            guard s.exitCode == nil else { return .exit(s.exitCode!, nil) }
            if s.draining || s.phase == .closing { return .exit(0, nil) }
            if let failure = s.tlsFailure {
                return .exit(
                    WorkerService.exitRefused,
                    "the TLS handshake with the interchange failed (\(failure)): the run secret "
                        + "(\(Authenticator.environmentVariable)) is not this run's, or the leader's `encrypted` setting differs"
                )
            }
            switch s.phase {
            case .connecting:
                return .reconnect
            case .awaitingAcceptance:
                // The interchange tells an unauthenticated peer nothing; it just closes.
                return .exit(
                    WorkerService.exitRefused,
                    "the interchange closed the connection without accepting this worker: the run secret "
                        + "(\(Authenticator.environmentVariable)) is not this run's, or the leader ended"
                )
            case .running, .closing:
                return .exit(WorkerService.exitLeaderLost, "the interchange closed the connection")
            }
        }
        switch next {
        case .reconnect:
            let waiters: [CheckedContinuation<Int32, Never>] = state.withLock { s in
                s.reconnect = Self.reconnectCode
                defer { s.exitWaiters = [] }
                return s.exitWaiters
            }
            for waiter in waiters { waiter.resume(returning: Self.reconnectCode) }
        case .exit(let code, let why):
            if let why { WorkerService.log("worker \(workerID): \(why)") }
            finish(code)
        }
    }

    func finish(_ code: Int32) {
        let waiters: [CheckedContinuation<Int32, Never>] = state.withLock { s in
            guard s.exitCode == nil else { return [] }
            s.exitCode = code
            s.phase = .closing
            defer { s.exitWaiters = [] }
            return s.exitWaiters
        }
        for waiter in waiters { waiter.resume(returning: code) }
    }

    /// SIGTERM: before the handshake completed there is nothing to finish, so leave at once; after it,
    /// finish the tasks held and leave.
    private func beginDrain() {
        let (phase, channel) = state.withLock { s in
            s.draining = true
            return (s.phase, s.channel)
        }
        guard phase == .running else {
            if phase != .closing { WorkerService.log("worker \(workerID): terminated before joining the interchange") }
            finish(0)
            _ = channel?.close()
            return
        }
        finishIfDrained()
    }

    /// Once draining with nothing running, say so and leave; queued tasks not started are re-sent elsewhere
    /// by the interchange when the connection closes.
    private func finishIfDrained() {
        let channel: (any Channel)? = state.withLock { s in
            guard s.draining, s.running == 0, s.pendingResults.isEmpty, s.exitCode == nil, s.queueHead >= s.queue.count || s.poisoned else {
                return nil
            }
            return s.channel
        }
        guard let channel else { return }
        channel.writeAndFlush(WireMessage.drained).whenComplete { [self] _ in finish(0) }
    }

    // MARK: Running tasks

    private func startRunners() {
        let starts: Int = state.withLock { s in
            guard s.phase == .running, !s.poisoned else { return 0 }
            let available = s.queue.count - s.queueHead
            let n = max(0, min(capacity - s.running, available))
            s.running += n
            return n
        }
        for _ in 0..<starts { Task { [self] in await runnerLoop() } }
    }

    private func nextTask() -> TaskAssignment? {
        state.withLock { s in
            guard !s.poisoned, s.queueHead < s.queue.count else {
                s.running -= 1
                return nil
            }
            let task = s.queue[s.queueHead]
            s.queueHead += 1
            if s.queueHead > 1024 && s.queueHead * 2 > s.queue.count {
                s.queue.removeFirst(s.queueHead)
                s.queueHead = 0
            }
            s.pendingStarted.append(task.key)
            return task
        }
    }

    private func runnerLoop() async {
        while let task = nextTask() {
            let result = await execute(task)
            state.withLock { $0.pendingResults.append(result) }
            scheduleFlush()
        }
        finishIfDrained()
    }

    private func execute(_ task: TaskAssignment) async -> TaskResult {
        guard let app = apps[task.app] else {
            return TaskResult(
                key: task.key,
                outcome: .failure(RemoteFailure(kind: .workerError, typeName: "AppError", message: "no app named '\(task.app)' on worker \(workerID)"))
            )
        }
        let context = TaskContext(
            taskID: Int(task.key.taskID),
            tryID: Int(task.key.tryID),
            runDirectory: FileManager.default.currentDirectoryPath,
            location: "worker \(workerID)"
        )
        let outcome: Result<[UInt8], any Error>
        if let walltime = app.options.walltime {
            let raced = await WalltimeRace.run(walltime: walltime, taskID: Int(task.key.taskID)) {
                try await app.invoke(encodedInput: task.input, context: context)
            }
            outcome = raced.map { $0 as! [UInt8] }
            if case .failure(let error as AppError) = raced, error.code == .walltimeExceeded, capacity == 1 {
                // The body may still be running: take no more work, report, and let the supervisor restart us.
                state.withLock { s in
                    s.poisoned = true
                    s.draining = true
                }
            }
        } else {
            do { outcome = .success(try await app.invoke(encodedInput: task.input, context: context)) } catch { outcome = .failure(error) }
        }
        switch outcome {
        case .success(let bytes): return TaskResult(key: task.key, outcome: .success(bytes))
        case .failure(let error):
            let kind: RemoteFailure.Kind = (error as? AppError)?.code == .walltimeExceeded ? .walltime : .appError
            // A registered Codable error travels as itself, so the leader rethrows the same type.
            let encoded = apps.encodeError(error)
            return TaskResult(
                key: task.key,
                outcome: .failure(
                    RemoteFailure(
                        kind: kind, typeName: encoded?.typeName ?? String(reflecting: type(of: error)), message: String(describing: error),
                        encodedError: encoded?.bytes
                    )
                )
            )
        }
    }

    /// Coalesces results into one write per event-loop turn. "Started" notices wait for the started timer:
    /// a task that finishes before it fires needs none (its result says it ran), which saves a frame and a
    /// wake-up of the leader per short task. (Notices only feed monitoring: the interchange does not need
    /// them to know which tries a lost worker may have been running.)
    private func scheduleFlush(sendStarted: Bool = false) {
        let channel: (any Channel)? = state.withLock { s in
            guard !s.flushScheduled, let channel = s.channel else { return nil }
            s.flushScheduled = true
            return channel
        }
        guard let channel else { return }
        channel.eventLoop.execute { [self] in
            let (started, results) = state.withLock { s -> ([TaskKey], [TaskResult]) in
                s.flushScheduled = false
                let results = s.pendingResults
                s.pendingResults = []
                if !results.isEmpty {
                    let finished = Set(results.map(\.key))
                    s.pendingStarted.removeAll { finished.contains($0) }
                }
                if s.running == 0 && s.queueHead >= s.queue.count {
                    s.startedTimer?.cancel()
                    s.startedTimer = nil
                }
                guard sendStarted else { return ([], results) }
                defer { s.pendingStarted = [] }
                return (s.pendingStarted, results)
            }
            if !started.isEmpty { channel.write(WireMessage.started(started), promise: nil) }
            if !results.isEmpty { channel.write(WireMessage.results(results), promise: nil) }
            channel.flush()
            finishIfDrained()
        }
    }

    /// Arms the started timer (on the event loop); while tasks run it fires every `interval`.
    private func armStartedTimer(_ s: inout State, interval: TimeAmount) {
        guard s.startedTimer == nil, let channel = s.channel else { return }
        s.startedTimer = channel.eventLoop.scheduleTask(in: interval) { [self] in
            state.withLock { s in
                s.startedTimer = nil
                if s.running > 0 { armStartedTimer(&s, interval: .milliseconds(50)) }
            }
            scheduleFlush(sendStarted: true)
        }
    }

    // MARK: Heartbeats

    private func heartbeatTickIfDue() {
        let due = state.withLock { s in
            guard ContinuousClock.now - s.lastHeartbeatSent >= s.heartbeatPeriod else { return false }
            s.lastHeartbeatSent = .now
            return true
        }
        if due { heartbeatTick() }
    }

    /// Heartbeats run on the event loop, not the cooperative pool: app bodies that keep every pool thread
    /// busy must not silence the worker (the leader would declare it lost).
    private func heartbeatTick() {
        let (threshold, lastReceived, channel, phase) = state.withLock { s in
            (s.heartbeatThreshold, s.lastReceived, s.channel, s.phase)
        }
        if phase == .running || phase == .awaitingAcceptance, ContinuousClock.now - lastReceived > threshold {
            WorkerService.log("worker \(workerID): no word from the interchange for \(threshold); leaving")
            finish(WorkerService.exitLeaderLost)
            return
        }
        if phase == .running { channel?.writeAndFlush(WireMessage.heartbeat, promise: nil) }
    }
}

/// Passes decoded frames to the connection; any decoding error or EOF ends it.
final class WorkerChannelHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: `handshake` is set once in the channel initializer, on the channel's event loop, before
    // any read, and only used there afterwards (NIOLoopBound checks that).
    typealias InboundIn = WireMessage

    let connection: WorkerConnection
    /// The decoder's handshake limits, lifted once the leader accepted this worker.
    var handshake: NIOLoopBound<HandshakeGuard>?

    init(connection: WorkerConnection) { self.connection = connection }

    func channelActive(context: ChannelHandlerContext) {
        connection.attach(context.channel)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.received(Self.unwrapInboundIn(data))
        if let handshake, !handshake.value.isAuthenticated, connection.isAuthenticated { handshake.value.authenticated() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.disconnected()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if TransportSecurity.isHandshakeFailure(error) {
            connection.tlsFailed("\(error)")
        } else {
            WorkerService.log("worker: connection error: \(error)")
        }
        context.close(promise: nil)
    }
}
