import DataflowWireProtocol

/// The worker's side of the protocol as a pure state machine: events in, actions out, no I/O and no clock
/// of its own (every event that needs the time is given it, as a ``Duration`` since an origin the driver
/// chooses). ``WorkerConnection`` drives it: it dials, reads frames, runs task bodies, keeps the timers and
/// does what the actions say.
///
/// It decides when to dial again and when to give up, answers the leader's challenge and checks its proof,
/// queues the tasks it is sent and hands them to at most `capacity` runners, collects results and
/// "started" notices into one write per flush, sends heartbeats and gives the leader up when it is silent,
/// and drains (SIGTERM, a `drain` message, a walltime that may have left a body running).
struct WorkerStateMachine {
    /// What the worker says about itself at registration, and its limits.
    struct Configuration: Sendable {
        var authenticator: Authenticator
        /// Sent at registration.
        var fingerprint: String
        var hostname: String
        var blockID: String
        var workerID: String
        var pid: UInt32
        /// The interchange's `host:port`, for messages.
        var address: String
        /// Task bodies run at once.
        var capacity: Int
        /// How long to keep dialling an interchange that cannot be reached.
        var connectTimeout: Duration
        /// Whether the connection is TLS with the run's key: then a handshake that got as far as the challenge
        /// proved the key, and a close before acceptance is the interchange turning connections away (its
        /// limit on handshakes at once evicts the oldest), so the worker dials again.
        var encrypted = false
        /// Bodies of an app whose bodies take less than this run on the connection's event loop
        /// (``runsOnEventLoop(_:)``); longer ones run on the cooperative pool, so that heartbeats never wait
        /// for them.
        var eventLoopBodyLimit = Duration.milliseconds(1)
        /// Short bodies in a row, and none long, after which an app's bodies run on the event loop. More than
        /// one: a body that does real work now and then (a batch that was empty, an input that failed at once)
        /// must not be taken for a short one, since a long body on the loop stalls heartbeats while it runs.
        var shortBodiesToPromote = 16
        /// Short bodies in a row after which an app that once ran long goes back to the event loop (a body
        /// can take long once because the machine was busy, not because it is long).
        var shortBodiesToReturn = 64
    }

    enum Phase: Sendable, Equatable { case connecting, awaitingAcceptance, running, closing }

    enum Action: Sendable, Equatable {
        /// Write this message and flush.
        case send(WireMessage)
        /// Write `drained`; once it is written, report ``drainedWritten()``.
        case sendDrained
        /// Start this many runners; each takes tasks with ``nextTask()`` until it gets none.
        case startRunners(Int)
        /// Schedule a flush on the connection's event loop, then call ``flush()`` there.
        case scheduleFlush
        /// Fire ``startedTimerFired()`` after this long (none is pending).
        case armStartedTimer(Duration)
        /// Cancel the pending started timer.
        case cancelStartedTimer
        /// Close the connection.
        case close
        /// Say this on standard error.
        case log(String)
        /// The connection is over and the worker exits with this status.
        case exit(Int32)
        /// The connection closed before the leader's challenge: dial again (see ``connectionEnded(now:)``).
        case reconnect
    }

    /// What the driver does next about the connection itself.
    enum ConnectStep: Sendable, Equatable {
        /// Dial, giving up on this attempt after `timeout`.
        case dial(timeout: Duration)
        /// Wait this long (ending early on SIGTERM), then ask ``nextConnectStep(now:)`` again.
        case pause(Duration)
        /// Stop: the process exits with this status.
        case exit(Int32)
    }

    /// What a ``flush()`` writes, in this order.
    struct Flush: Sendable, Equatable {
        var started: [TaskKey] = []
        var results: [TaskResult] = []
        var actions: [Action] = []
    }

    let configuration: Configuration
    private(set) var phase = Phase.connecting
    /// Set once the worker will leave; the first status set wins.
    private(set) var exitCode: Int32?
    private(set) var draining = false
    /// Set after a walltime: the body may still be running, so this process must take no more work.
    private(set) var poisoned = false
    /// Task bodies running (or runners about to take one).
    private(set) var running = 0
    private(set) var heartbeatPeriod = Duration.seconds(1)
    private(set) var heartbeatThreshold = Duration.seconds(10)

    private var hasConnection = false
    private var nonce: [UInt8] = []
    private var queue: [TaskAssignment] = []
    private var queueHead = 0
    private var pendingStarted: [TaskKey] = []
    private var pendingResults: [TaskResult] = []
    private var flushScheduled = false
    private var flushSendsStarted = false
    private var startedTimerArmed = false
    private var drainedSent = false
    private var lastReceived = Duration.zero
    private var lastHeartbeatSent = Duration.zero
    /// Set when the connection closed before the challenge.
    private var reconnectRequested = false
    /// Set when the TLS handshake failed: the interchange has another key (or no encryption).
    private var tlsFailure: String?
    /// Per app seen: how its bodies took.
    private var bodyTimes: [String: BodyTimes] = [:]

    private struct BodyTimes {
        /// Bodies in a row shorter than ``Configuration/eventLoopBodyLimit``.
        var shortInARow = 0
        var everLong = false
    }
    private var connectDeadline = Duration.zero
    private var retryDelay = Duration.milliseconds(50)
    private var lastConnectError = "no attempt made"

    /// A machine that has not dialled yet; `now` starts the connect timeout.
    init(configuration: Configuration, now: Duration) {
        self.configuration = configuration
        self.connectDeadline = now + configuration.connectTimeout
        self.lastReceived = now
        self.lastHeartbeatSent = now
    }

    /// Tasks received and not yet taken by a runner.
    var queued: Int { queue.count - queueHead }

    /// Whether the leader has accepted this worker (its proof checked out).
    var isAuthenticated: Bool { phase == .running }

    /// What ``WorkerConnection`` waits for while connected: an exit status, or a request to dial again.
    var outcome: Outcome? {
        if let exitCode { return .exit(exitCode) }
        return reconnectRequested ? .reconnect : nil
    }

    /// How a connection ended.
    enum Outcome: Sendable, Equatable {
        case exit(Int32)
        case reconnect
    }

    // MARK: Connecting

    /// Whether to dial now, or stop.
    func nextConnectStep(now: Duration) -> ConnectStep {
        if let exitCode { return .exit(exitCode) }
        return .dial(timeout: min(.seconds(5), max(.milliseconds(100), connectDeadline - now)))
    }

    /// The dial failed: wait and try again, or give up past the connect timeout.
    mutating func dialFailed(_ error: String, now: Duration) -> (ConnectStep, [Action]) {
        lastConnectError = error
        if now > connectDeadline { return unreachable() }
        return (pause(), [])
    }

    /// The connection is up (before any frame is read); `nonce` is this worker's fresh nonce for it.
    mutating func connected(nonce: [UInt8], now: Duration) {
        hasConnection = true
        self.nonce = nonce
        lastReceived = now
    }

    /// The connection whose ``outcome`` was awaited is closed: stop, or dial again while time is left.
    mutating func connectionEnded(now: Duration) -> (ConnectStep, [Action]) {
        guard reconnectRequested, exitCode == nil else { return (.exit(exitCode ?? 0), []) }
        // Closed before the interchange said anything (its handshake timeout, or too many connections at
        // once): dial again while time is left.
        lastConnectError = "the interchange closed the connection before accepting this worker"
        reconnectRequested = false
        hasConnection = false
        phase = .connecting
        if now > connectDeadline { return unreachable() }
        return (pause(), [])
    }

    private mutating func pause() -> ConnectStep {
        defer { retryDelay = min(retryDelay * 2, .seconds(1)) }
        return .pause(retryDelay)
    }

    private mutating func unreachable() -> (ConnectStep, [Action]) {
        let why =
            "cannot reach the interchange at \(configuration.address) within \(configuration.connectTimeout): \(lastConnectError)"
        return (.exit(WorkerService.exitLeaderLost), [.log(why)] + finish(WorkerService.exitLeaderLost))
    }

    // MARK: Protocol

    /// A frame from the leader.
    mutating func received(_ message: WireMessage, now: Duration) -> [Action] {
        lastReceived = now
        var actions: [Action] = []
        switch (phase, message) {
        case (.connecting, .challenge(let challenge)):
            guard challenge.version == ProtocolVersion.current else {
                return stop(WorkerService.exitRefused, "the interchange speaks protocol \(challenge.version), this worker \(ProtocolVersion.current)")
            }
            phase = .awaitingAcceptance
            let c = configuration
            actions.append(
                .send(
                    .register(
                        Registration(
                            proof: c.authenticator.registrationProof(leaderNonce: challenge.nonce, workerNonce: nonce),
                            nonce: nonce,
                            fingerprint: c.fingerprint,
                            hostname: c.hostname,
                            blockID: c.blockID,
                            workerID: c.workerID,
                            capacity: UInt32(c.capacity),
                            pid: c.pid
                        )
                    )
                )
            )
        case (.awaitingAcceptance, .accepted(let acceptance)):
            guard Authenticator.matches(acceptance.proof, configuration.authenticator.acceptanceProof(workerNonce: nonce)) else {
                return stop(WorkerService.exitRefused, "the interchange could not prove it knows the run secret")
            }
            phase = .running
            heartbeatPeriod = .milliseconds(Int(acceptance.heartbeatPeriodMilliseconds))
            heartbeatThreshold = .milliseconds(Int(acceptance.heartbeatThresholdMilliseconds))
        case (.running, .tasks(let tasks)):
            queue.append(contentsOf: tasks)
            // The first notice goes out soon after the tasks arrive: a task that finishes before needs none.
            if let arm = armStartedTimer(after: .milliseconds(2)) { actions.append(arm) }
        case (.awaitingAcceptance, .rejected(let reason)):
            return stop(WorkerService.exitRefused, "the interchange refused this worker: \(reason)")
        case (.running, .heartbeat), (.closing, _):
            break
        case (.running, .drain):
            draining = true
        case (.running, .shutdown):
            return stop(0, nil)
        default:
            return stop(WorkerService.exitRefused, "unexpected \(message.kind) message from the interchange")
        }
        if let start = startRunners() { actions.append(start) }
        if let drained = finishIfDrained() { actions.append(drained) }
        return actions
    }

    /// The TLS handshake failed; remembered so that the close that follows is reported as a refusal.
    mutating func tlsHandshakeFailed(_ reason: String) {
        // Only a failure before the challenge is about keys; later (a leader killed mid-run) it is a lost leader.
        if phase == .connecting, tlsFailure == nil { tlsFailure = reason }
    }

    /// The leader closed the connection, or it broke.
    mutating func disconnected() -> [Action] {
        guard exitCode == nil else { return [] }
        if draining || phase == .closing { return finish(0) }
        if let tlsFailure {
            return stop(
                WorkerService.exitRefused,
                "the TLS handshake with the interchange failed (\(tlsFailure)): the run secret "
                    + "(\(Authenticator.environmentVariable)) is not this run's, or the leader's `encrypted` setting differs"
            )
        }
        switch phase {
        case .connecting:
            reconnectRequested = true
            return [.reconnect]
        case .awaitingAcceptance where configuration.encrypted:
            reconnectRequested = true
            return [.reconnect]
        case .awaitingAcceptance:
            // The interchange tells an unauthenticated peer nothing; it just closes.
            return stop(
                WorkerService.exitRefused,
                "the interchange closed the connection without accepting this worker: the run secret "
                    + "(\(Authenticator.environmentVariable)) is not this run's, or the leader ended"
            )
        case .running, .closing:
            return stop(WorkerService.exitLeaderLost, "the interchange closed the connection")
        }
    }

    /// SIGTERM: before the handshake completed there is nothing to finish, so leave at once; after it,
    /// finish the tasks held and leave.
    mutating func terminate() -> [Action] {
        draining = true
        guard phase == .running else {
            var actions: [Action] = []
            if phase != .closing { actions.append(.log("terminated before joining the interchange")) }
            actions += finish(0)
            if hasConnection { actions.append(.close) }
            return actions
        }
        return finishIfDrained().map { [$0] } ?? []
    }

    /// The `drained` message is written (or could not be): leave.
    mutating func drainedWritten() -> [Action] { finish(0) }

    // MARK: Running tasks

    /// A runner asks for its next task; nil ends the runner.
    mutating func nextTask() -> TaskAssignment? {
        guard !poisoned, queueHead < queue.count else {
            running -= 1
            return nil
        }
        let task = queue[queueHead]
        queueHead += 1
        if queueHead > 1024 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        pendingStarted.append(task.key)
        return task
    }

    /// A runner ended (after ``nextTask()`` gave it none).
    mutating func runnerEnded() -> [Action] {
        finishIfDrained().map { [$0] } ?? []
    }

    /// A task body ended; its result waits for the next flush. Returns whether to schedule one.
    mutating func taskFinished(_ result: TaskResult) -> Bool {
        pendingResults.append(result)
        return requestFlush(sendStarted: false)
    }

    /// Whether a body of `app` runs on the connection's event loop instead of the cooperative pool: once
    /// ``Configuration/shortBodiesToPromote`` bodies of `app` in a row ran in less than
    /// ``Configuration/eventLoopBodyLimit`` and none took longer, or, after one did, once
    /// ``Configuration/shortBodiesToReturn`` in a row were short again.
    ///
    /// A short body then costs no thread hop (the task arrives, runs and its result is written on one
    /// thread). A body that unexpectedly runs long stalls the loop (heartbeats, reads) for its length, and
    /// sends its app's next bodies to the pool.
    func runsOnEventLoop(_ app: String) -> Bool {
        guard let times = bodyTimes[app] else { return false }
        return times.shortInARow >= (times.everLong ? configuration.shortBodiesToReturn : configuration.shortBodiesToPromote)
    }

    /// A body of `app` took `duration` (wall time, wherever it ran).
    mutating func bodyTook(_ app: String, _ duration: Duration) {
        if duration >= configuration.eventLoopBodyLimit {
            bodyTimes[app] = BodyTimes(shortInARow: 0, everLong: true)
        } else {
            bodyTimes[app, default: BodyTimes()].shortInARow += 1
        }
    }

    /// What a runner on the event loop does after a body: its next task (`nil` ends the runner, as from
    /// ``nextTask()``), and the result's way out.
    struct AfterBody: Sendable, Equatable {
        var next: TaskAssignment?
        /// Write this at once: no other task waits, so nothing is gained by waiting for the loop's turn
        /// (or enough results have piled up to send a batch).
        var write: Flush?
        /// Schedule a flush on the event loop, then call ``flush()`` there (as for ``taskFinished(_:)``).
        var scheduleFlush = false
    }

    /// Results held back at most while a runner on the event loop goes on to the next task.
    static let resultsPerWrite = 32

    /// A runner on the event loop finished a body: records the result and hands it its next task. The
    /// result goes out at once when the runner has no next task or enough results are pending; otherwise
    /// with the next flush.
    mutating func finished(_ result: TaskResult) -> AfterBody {
        pendingResults.append(result)
        let next = nextTask()
        if next == nil || pendingResults.count >= Self.resultsPerWrite, hasConnection {
            return AfterBody(next: next, write: flush())
        }
        return AfterBody(next: next, scheduleFlush: requestFlush(sendStarted: false))
    }

    /// A body ran past its walltime: with one slot it may still be running, so take no more work and leave
    /// once its failure is reported (the supervisor starts a fresh process).
    mutating func walltimeExceeded() {
        guard configuration.capacity == 1 else { return }
        poisoned = true
        draining = true
    }

    /// The scheduled flush runs (on the event loop): what to write now.
    ///
    /// Results go out at once; "started" notices only when the started timer asked: a task that finishes
    /// before it fires needs none (its result says it ran), which saves a frame and a wake-up of the leader
    /// per short task. (Notices only feed monitoring: the interchange does not need them to know which
    /// tries a lost worker may have been running.)
    mutating func flush() -> Flush {
        var flush = Flush()
        flushScheduled = false
        swap(&flush.results, &pendingResults)
        if !flush.results.isEmpty && !pendingStarted.isEmpty {
            let finished = Set(flush.results.map(\.key))
            pendingStarted.removeAll { finished.contains($0) }
        }
        if running == 0 && queueHead >= queue.count && startedTimerArmed {
            startedTimerArmed = false
            flush.actions.append(.cancelStartedTimer)
        }
        if flushSendsStarted {
            flushSendsStarted = false
            swap(&flush.started, &pendingStarted)
        }
        if let drained = finishIfDrained() { flush.actions.append(drained) }
        return flush
    }

    /// The started timer fired: send the notices of tasks still running, and fire again while any run.
    mutating func startedTimerFired() -> [Action] {
        startedTimerArmed = false
        var actions: [Action] = []
        if running > 0, let arm = armStartedTimer(after: .milliseconds(50)) { actions.append(arm) }
        if requestFlush(sendStarted: true) { actions.append(.scheduleFlush) }
        return actions
    }

    // MARK: Heartbeats

    /// The driver's periodic tick (it ticks often; the machine decides when a heartbeat is due). Heartbeats
    /// run on the event loop, not the cooperative pool: app bodies that keep every pool thread busy must not
    /// silence the worker (the leader would declare it lost).
    mutating func heartbeatTick(now: Duration) -> [Action] {
        guard now - lastHeartbeatSent >= heartbeatPeriod else { return [] }
        lastHeartbeatSent = now
        if phase == .running || phase == .awaitingAcceptance, now - lastReceived > heartbeatThreshold {
            return stop(WorkerService.exitLeaderLost, "no word from the interchange for \(heartbeatThreshold); leaving")
        }
        return phase == .running ? [.send(.heartbeat)] : []
    }

    // MARK: Helpers

    private mutating func startRunners() -> Action? {
        guard phase == .running, !poisoned else { return nil }
        let n = max(0, min(configuration.capacity - running, queue.count - queueHead))
        guard n > 0 else { return nil }
        running += n
        return .startRunners(n)
    }

    /// Once draining with nothing running, say so and leave; queued tasks not started are sent elsewhere by
    /// the interchange when the connection closes.
    private mutating func finishIfDrained() -> Action? {
        guard draining, !drainedSent, hasConnection, running == 0, pendingResults.isEmpty, exitCode == nil,
            queueHead >= queue.count || poisoned
        else { return nil }
        drainedSent = true
        return .sendDrained
    }

    private mutating func requestFlush(sendStarted: Bool) -> Bool {
        if sendStarted { flushSendsStarted = true }
        guard !flushScheduled, hasConnection else { return false }
        flushScheduled = true
        return true
    }

    private mutating func armStartedTimer(after interval: Duration) -> Action? {
        guard !startedTimerArmed, hasConnection else { return nil }
        startedTimerArmed = true
        return .armStartedTimer(interval)
    }

    private mutating func stop(_ code: Int32, _ why: String?) -> [Action] {
        guard exitCode == nil else { return [] }
        return (why.map { [.log($0)] } ?? []) + finish(code)
    }

    private mutating func finish(_ code: Int32) -> [Action] {
        guard exitCode == nil else { return [] }
        exitCode = code
        phase = .closing
        return [.exit(code)]
    }
}
