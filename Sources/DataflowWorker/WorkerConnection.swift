import DataflowApps
import DataflowWireProtocol
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One connection to the interchange and the tasks it runs, up to `capacity` at once: a thin driver of
/// ``WorkerStateMachine``, which makes every decision.
///
/// The driver dials, feeds the machine what happens (frames, closes, SIGTERM, finished bodies, timer
/// ticks, each with the time) and does what it answers. Inbound frames arrive on the channel's event loop.
/// Runners are Swift tasks on that loop (``EventLoopTaskExecutor``): a body the machine calls short runs
/// there, others on the cooperative pool; a result is written from the loop at once when the runner has
/// nothing else to run, else with the loop's next batch (one write per turn, with "started" notices).
final class WorkerConnection: Sendable {
    let configuration: WorkerService.Configuration
    let capacity: Int
    let apps: AppRegistry
    let codec = WireCodec()
    let workerID: String

    private struct State {
        var machine: WorkerStateMachine
        var channel: (any Channel)?
        var outcomeWaiters: [CheckedContinuation<WorkerStateMachine.Outcome, Never>] = []
        /// Sends "started" notices for tasks still running a moment after they arrived.
        var startedTimer: Scheduled<Void>?
        /// Runs the runners on the connection's event loop.
        var runnerExecutor: EventLoopTaskExecutor?
    }

    private let state: Mutex<State>
    /// The machine's times are durations since this instant.
    private let origin = ContinuousClock.now
    /// The tasks' run directory: this process's working directory, read once (not a `getcwd` per task).
    private let runDirectory = FileManager.default.currentDirectoryPath

    init(configuration: WorkerService.Configuration, capacity: Int, apps: AppRegistry) {
        self.configuration = configuration
        self.capacity = capacity
        self.apps = apps
        let hostname = ProcessInfo.processInfo.hostName
        let slot = configuration.slot.map { ".\($0)" } ?? ""
        let workerID = "\(configuration.blockID).\(hostname).\(getpid())\(slot)"
        self.workerID = workerID
        let machine = WorkerStateMachine(
            configuration: .init(
                authenticator: Authenticator(secret: configuration.secret),
                fingerprint: apps.fingerprint,
                hostname: hostname,
                blockID: configuration.blockID,
                workerID: workerID,
                pid: UInt32(getpid()),
                address: "\(configuration.host):\(configuration.port)",
                capacity: capacity,
                connectTimeout: configuration.connectTimeout,
                encrypted: configuration.encrypted
            ),
            now: .zero
        )
        self.state = Mutex(State(machine: machine))
    }

    private var now: Duration { ContinuousClock.now - origin }

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
        termination.setEventHandler { [self] in perform(state.withLock { $0.machine.terminate() }) }
        termination.resume()
        defer { termination.cancel() }

        var step = state.withLock { $0.machine.nextConnectStep(now: now) }
        while true {
            switch step {
            case .exit(let code):
                return code
            case .pause(let delay):
                await sleepUnlessTerminated(delay)
                step = state.withLock { $0.machine.nextConnectStep(now: now) }
            case .dial(let timeout):
                let channel: any Channel
                do {
                    channel = try await connect(timeout: timeout)
                } catch {
                    step = advance { $0.machine.dialFailed("\(error)", now: now) }
                    continue
                }
                // The period is only known after the handshake; tick often and let the machine decide.
                let heartbeat = channel.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) {
                    [self] _ in
                    perform(state.withLock { $0.machine.heartbeatTick(now: now) })
                }
                _ = await withCheckedContinuation { (continuation: CheckedContinuation<WorkerStateMachine.Outcome, Never>) in
                    let ready: WorkerStateMachine.Outcome? = state.withLock { s in
                        if let outcome = s.machine.outcome { return outcome }
                        s.outcomeWaiters.append(continuation)
                        return nil
                    }
                    if let ready { continuation.resume(returning: ready) }
                }
                heartbeat.cancel()
                try? await channel.close()
                step = advance { s in
                    s.channel = nil
                    return s.machine.connectionEnded(now: now)
                }
            }
        }
    }

    /// Feeds a connect event to the machine and performs its actions; returns the next step.
    private func advance(
        _ event: (inout State) -> (WorkerStateMachine.ConnectStep, [WorkerStateMachine.Action])
    ) -> WorkerStateMachine.ConnectStep {
        let (step, actions) = state.withLock { event(&$0) }
        perform(actions)
        return step
    }

    /// Sleeps in short steps so that SIGTERM (which sets the exit status) ends the wait at once.
    private func sleepUnlessTerminated(_ duration: Duration) async {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end, state.withLock({ $0.machine.exitCode == nil }) {
            try? await Task.sleep(for: min(.milliseconds(50), end - ContinuousClock.now))
        }
    }

    private func connect(timeout: Duration) async throws -> any Channel {
        let handler = WorkerChannelHandler(connection: self)
        let codec = self.codec
        let tls = configuration.encrypted ? try TransportSecurity.clientContext(secret: configuration.secret) : nil
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(timeout))
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

    // MARK: Events from the channel (on its event loop)

    /// The connection is up, before any frame is read.
    func attach(_ channel: any Channel) {
        let nonce = Authenticator.nonce()
        state.withLock { s in
            s.channel = channel
            s.runnerExecutor = EventLoopTaskExecutor(eventLoop: channel.eventLoop)
            s.machine.connected(nonce: nonce, now: now)
        }
    }

    /// A frame from the leader; returns whether the leader has accepted this worker (its proof checked out).
    func received(_ message: WireMessage) -> Bool {
        let (actions, authenticated) = state.withLock { s in (s.machine.received(message, now: now), s.machine.isAuthenticated) }
        perform(actions)
        return authenticated
    }

    /// The TLS handshake failed: remembered so that the close that follows is reported as a refusal.
    func tlsFailed(_ reason: String) {
        state.withLock { $0.machine.tlsHandshakeFailed(reason) }
    }

    /// The leader closed the connection, or it broke.
    func disconnected() {
        perform(state.withLock { $0.machine.disconnected() })
    }

    // MARK: Actions

    private func perform(_ actions: [WorkerStateMachine.Action]) {
        for action in actions { perform(action) }
    }

    private func perform(_ action: WorkerStateMachine.Action) {
        switch action {
        case .send(let message):
            state.withLock { $0.channel }?.writeAndFlush(message, promise: nil)
        case .sendDrained:
            guard let channel = state.withLock({ $0.channel }) else { return }
            channel.writeAndFlush(WireMessage.drained).whenComplete { [self] _ in perform(state.withLock { $0.machine.drainedWritten() }) }
        case .startRunners(let count):
            // Started from the loop (a frame just arrived) onto the loop: no thread is woken.
            let executor = state.withLock { $0.runnerExecutor }
            for _ in 0..<count { Task(executorPreference: executor) { [self] in await runnerLoop() } }
        case .scheduleFlush:
            if let channel = state.withLock({ $0.channel }) { scheduleFlush(on: channel) }
        case .armStartedTimer(let delay):
            guard let channel = state.withLock({ $0.channel }) else { return }
            let timer = channel.eventLoop.scheduleTask(in: TimeAmount(delay)) { [self] in
                perform(state.withLock { $0.machine.startedTimerFired() })
            }
            state.withLock { $0.startedTimer = timer }
        case .cancelStartedTimer:
            state.withLock { s in
                s.startedTimer?.cancel()
                s.startedTimer = nil
            }
        case .close:
            _ = state.withLock { $0.channel }?.close()
        case .log(let message):
            WorkerService.log("worker \(workerID): \(message)")
        case .exit(let code):
            resumeWaiters(.exit(code))
        case .reconnect:
            resumeWaiters(.reconnect)
        }
    }

    private func resumeWaiters(_ outcome: WorkerStateMachine.Outcome) {
        let waiters = state.withLock { s in
            defer { s.outcomeWaiters = [] }
            return s.outcomeWaiters
        }
        for waiter in waiters { waiter.resume(returning: outcome) }
    }

    // MARK: Running tasks

    /// Runs on the connection's event loop (the task prefers its executor): short bodies run right here,
    /// others on the cooperative pool, and the runner comes back here to report.
    private func runnerLoop() async {
        var next = state.withLock { $0.machine.nextTask() }
        while let task = next {
            let app = apps[task.app]
            let onLoop = app?.options.walltime == nil && state.withLock { $0.machine.runsOnEventLoop(task.app) }
            let start = ContinuousClock.now
            let result: TaskResult
            if onLoop {
                result = await execute(task)
            } else {
                result = await withTaskExecutorPreference(globalConcurrentExecutor) { await execute(task) }
            }
            let took = ContinuousClock.now - start
            // One lock per result: the machine hands out the next task and says how the result goes out.
            let (after, channel) = state.withLock { s in
                s.machine.bodyTook(task.app, took)
                return (s.machine.finished(result), s.channel)
            }
            next = after.next
            guard let channel else { continue }
            if let flush = after.write {
                write(flush, on: channel)
            } else if after.scheduleFlush {
                scheduleFlush(on: channel)
            }
        }
        perform(state.withLock { $0.machine.runnerEnded() })
    }

    /// Coalesces results and notices into one write per event-loop turn.
    private func scheduleFlush(on channel: any Channel) {
        channel.eventLoop.execute { [self] in write(state.withLock { $0.machine.flush() }, on: channel) }
    }

    private func write(_ flush: WorkerStateMachine.Flush, on channel: any Channel) {
        if !flush.started.isEmpty { channel.write(WireMessage.started(flush.started), promise: nil) }
        if !flush.results.isEmpty { channel.write(WireMessage.results(flush.results), promise: nil) }
        if !flush.started.isEmpty || !flush.results.isEmpty { channel.flush() }
        perform(flush.actions)
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
            runDirectory: runDirectory,
            location: "worker \(workerID)"
        )
        let outcome: Result<[UInt8], any Error>
        if let walltime = app.options.walltime {
            let raced = await WalltimeRace.run(walltime: walltime, taskID: Int(task.key.taskID)) {
                try await app.invoke(encodedInput: task.input, context: context)
            }
            outcome = raced.map { $0 as! [UInt8] }
            if case .failure(let error as AppError) = raced, error.code == .walltimeExceeded {
                // With one slot the body may still be running: take no more work, report, and let the supervisor
                // restart us.
                state.withLock { $0.machine.walltimeExceeded() }
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
}
