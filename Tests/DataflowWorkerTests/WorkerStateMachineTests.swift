import DataflowWireProtocol
import Testing

@testable import DataflowWorker

/// Transcripts of the worker's state machine: each step is an event (with the time) and the actions it
/// must answer with, in order.
struct WorkerStateMachineTests {
    typealias Machine = WorkerStateMachine

    let authenticator = Authenticator(secret: "the run secret")
    let leaderNonce: [UInt8] = Array(repeating: 7, count: 32)
    let workerNonce: [UInt8] = Array(repeating: 9, count: 32)
    let exitLeaderLost = WorkerService.exitLeaderLost
    let exitRefused = WorkerService.exitRefused

    func machine(capacity: Int = 2, connectTimeout: Duration = .seconds(10), encrypted: Bool = false) -> Machine {
        Machine(
            configuration: .init(
                authenticator: authenticator, fingerprint: "fp", hostname: "node1", blockID: "0", workerID: "0.node1.42",
                pid: 42, address: "leader:9000", capacity: capacity, connectTimeout: connectTimeout, encrypted: encrypted
            ),
            now: .zero
        )
    }

    func registration(capacity: Int = 2) -> WireMessage {
        .register(
            Registration(
                proof: authenticator.registrationProof(leaderNonce: leaderNonce, workerNonce: workerNonce), nonce: workerNonce,
                fingerprint: "fp", hostname: "node1", blockID: "0", workerID: "0.node1.42", capacity: UInt32(capacity), pid: 42
            )
        )
    }

    func acceptance(proof: [UInt8]? = nil) -> WireMessage {
        .accepted(
            Acceptance(
                proof: proof ?? authenticator.acceptanceProof(workerNonce: workerNonce), heartbeatPeriodMilliseconds: 500,
                heartbeatThresholdMilliseconds: 3000
            )
        )
    }

    func task(_ id: UInt64) -> TaskAssignment { TaskAssignment(key: key(id), app: "a", input: [UInt8(id)]) }
    func key(_ id: UInt64) -> TaskKey { TaskKey(taskID: id, tryID: 0) }
    func result(_ id: UInt64) -> TaskResult { TaskResult(key: key(id), outcome: .success([UInt8(id)])) }

    /// A machine that dialled, answered the challenge and was accepted (heartbeat 500 ms, threshold 3 s).
    func joined(capacity: Int = 2) -> Machine {
        var m = machine(capacity: capacity)
        m.connected(nonce: workerNonce, now: .zero)
        _ = m.received(.challenge(Challenge(nonce: leaderNonce)), now: .zero)
        _ = m.received(acceptance(), now: .zero)
        return m
    }

    // MARK: Handshake

    @Test func answersTheChallengeAndJoinsWhenTheLeaderProvesItKnowsTheSecret() {
        var m = machine()
        #expect(m.nextConnectStep(now: .zero) == .dial(timeout: .seconds(5)))
        m.connected(nonce: workerNonce, now: .milliseconds(10))
        #expect(m.phase == .connecting)
        #expect(m.received(.challenge(Challenge(nonce: leaderNonce)), now: .milliseconds(11)) == [.send(registration())])
        #expect(m.phase == .awaitingAcceptance && !m.isAuthenticated)
        #expect(m.received(acceptance(), now: .milliseconds(12)) == [])
        #expect(m.isAuthenticated)
        #expect(m.heartbeatPeriod == .milliseconds(500) && m.heartbeatThreshold == .seconds(3))
        #expect(m.outcome == nil)
    }

    @Test func aLeaderThatCannotProveTheSecretIsRefused() {
        var m = machine()
        m.connected(nonce: workerNonce, now: .zero)
        _ = m.received(.challenge(Challenge(nonce: leaderNonce)), now: .zero)
        let forged = Authenticator(secret: "another secret").acceptanceProof(workerNonce: workerNonce)
        #expect(m.received(acceptance(proof: forged), now: .zero) == [.log("the interchange could not prove it knows the run secret"), .exit(exitRefused)])
        #expect(!m.isAuthenticated && m.outcome == .exit(exitRefused))
        // The close that follows changes nothing, and nothing more is dialled.
        #expect(m.disconnected() == [])
        #expect(m.connectionEnded(now: .zero) == (.exit(exitRefused), []))
    }

    @Test func refusalsWrongVersionsAndUnexpectedMessagesEndTheWorker() {
        var old = machine()
        old.connected(nonce: workerNonce, now: .zero)
        #expect(
            old.received(.challenge(Challenge(version: ProtocolVersion.current + 1, nonce: leaderNonce)), now: .zero) == [
                .log("the interchange speaks protocol \(ProtocolVersion.current + 1), this worker \(ProtocolVersion.current)"), .exit(exitRefused),
            ]
        )

        var refused = machine()
        refused.connected(nonce: workerNonce, now: .zero)
        _ = refused.received(.challenge(Challenge(nonce: leaderNonce)), now: .zero)
        #expect(refused.received(.rejected("build mismatch"), now: .zero) == [.log("the interchange refused this worker: build mismatch"), .exit(exitRefused)])

        // Tasks before the leader proved itself are not run.
        var early = machine()
        early.connected(nonce: workerNonce, now: .zero)
        #expect(early.received(.tasks([task(0)]), now: .zero) == [.log("unexpected tasks message from the interchange"), .exit(exitRefused)])
    }

    @Test func aCloseWhileAwaitingAcceptanceIsARefusalAndATLSFailureNamesTheSecret() {
        var m = machine()
        m.connected(nonce: workerNonce, now: .zero)
        _ = m.received(.challenge(Challenge(nonce: leaderNonce)), now: .zero)
        let actions = m.disconnected()
        #expect(actions.last == .exit(exitRefused))
        #expect(actions.first.map { "\($0)".contains("without accepting this worker") } == true)

        var tls = machine()
        tls.connected(nonce: workerNonce, now: .zero)
        tls.tlsHandshakeFailed("bad record mac")
        let tlsActions = tls.disconnected()
        #expect(tlsActions.last == .exit(exitRefused))
        #expect(tlsActions.first.map { "\($0)".contains("TLS handshake with the interchange failed (bad record mac)") } == true)

        // After joining, a TLS error is a leader that died mid-record, not a wrong key.
        var late = joined()
        late.tlsHandshakeFailed("unexpected EOF")
        #expect(late.disconnected() == [.log("the interchange closed the connection"), .exit(exitLeaderLost)])
    }

    /// Over TLS, reaching the challenge proved the key: a close before acceptance is the interchange evicting
    /// the oldest handshake (a burst of workers over its limit), so the worker dials again until its timeout.
    @Test func anEncryptedWorkerEvictedBeforeAcceptanceDialsAgain() {
        var m = machine(connectTimeout: .seconds(3), encrypted: true)
        #expect(m.nextConnectStep(now: .zero) == .dial(timeout: .seconds(3)))
        m.connected(nonce: workerNonce, now: .zero)
        _ = m.received(.challenge(Challenge(nonce: leaderNonce)), now: .zero)
        #expect(m.phase == .awaitingAcceptance)
        #expect(m.disconnected() == [.reconnect])
        #expect(m.connectionEnded(now: .milliseconds(10)) == (.pause(.milliseconds(50)), []))
        #expect(m.phase == .connecting)
        // Past the connect timeout it gives up, saying what happened last.
        m.connected(nonce: workerNonce, now: .seconds(4))
        _ = m.received(.challenge(Challenge(nonce: leaderNonce)), now: .seconds(4))
        #expect(m.disconnected() == [.reconnect])
        let (step, actions) = m.connectionEnded(now: .seconds(4))
        #expect(step == .exit(WorkerService.exitLeaderLost))
        #expect(actions.contains { "\($0)".contains("before accepting this worker") })
    }

    // MARK: Connecting

    @Test func dialsAgainWithBackoffUntilTheConnectTimeoutThenGivesUp() {
        var m = machine(connectTimeout: .seconds(3))
        #expect(m.nextConnectStep(now: .zero) == .dial(timeout: .seconds(3)))
        #expect(m.dialFailed("connection refused", now: .milliseconds(1)) == (.pause(.milliseconds(50)), []))
        #expect(m.dialFailed("connection refused", now: .milliseconds(60)) == (.pause(.milliseconds(100)), []))
        // Closed before the challenge (the interchange's handshake limit): dial again, the delay still growing.
        m.connected(nonce: workerNonce, now: .milliseconds(200))
        #expect(m.disconnected() == [.reconnect])
        #expect(m.outcome == .reconnect)
        #expect(m.connectionEnded(now: .milliseconds(210)) == (.pause(.milliseconds(200)), []))
        #expect(m.outcome == nil && m.phase == .connecting)
        #expect(m.dialFailed("connection refused", now: .milliseconds(500)) == (.pause(.milliseconds(400)), []))
        #expect(m.dialFailed("connection refused", now: .seconds(1)) == (.pause(.milliseconds(800)), []))
        #expect(m.dialFailed("connection refused", now: .seconds(2)) == (.pause(.seconds(1)), []))
        // Near the deadline an attempt still gets at least 100 ms.
        #expect(m.nextConnectStep(now: .milliseconds(2950)) == .dial(timeout: .milliseconds(100)))
        let (step, actions) = m.dialFailed("connection refused", now: .milliseconds(3050))
        #expect(step == .exit(exitLeaderLost))
        #expect(actions == [.log("cannot reach the interchange at leader:9000 within 3.0 seconds: connection refused"), .exit(exitLeaderLost)])
        #expect(m.nextConnectStep(now: .seconds(4)) == .exit(exitLeaderLost))
    }

    @Test func sigtermWhileConnectingLeavesAtOnce() {
        var dialling = machine()
        #expect(dialling.terminate() == [.log("terminated before joining the interchange"), .exit(0)])
        #expect(dialling.nextConnectStep(now: .zero) == .exit(0))

        var connected = machine()
        connected.connected(nonce: workerNonce, now: .zero)
        _ = connected.received(.challenge(Challenge(nonce: leaderNonce)), now: .zero)
        #expect(connected.terminate() == [.log("terminated before joining the interchange"), .exit(0), .close])
        #expect(connected.disconnected() == [])
        #expect(connected.connectionEnded(now: .zero) == (.exit(0), []))
    }

    // MARK: Tasks

    @Test func tasksQueueRunAtMostCapacityAtOnceAndResultsAreBatched() {
        var m = joined(capacity: 2)
        #expect(m.received(.tasks([task(0), task(1), task(2)]), now: .seconds(1)) == [.armStartedTimer(.milliseconds(2)), .startRunners(2)])
        #expect(m.running == 2 && m.queued == 3)
        // Runner A and runner B take one each; the third waits.
        #expect(m.nextTask() == task(0))
        #expect(m.nextTask() == task(1))
        // Both finish before the flush runs: one flush carries both results.
        #expect(m.taskFinished(result(0)) == true)
        #expect(m.nextTask() == task(2))
        #expect(m.taskFinished(result(1)) == false)
        #expect(m.nextTask() == nil)
        #expect(m.runnerEnded() == [])
        #expect(m.running == 1)
        // Tasks that finished before the started timer need no "started" notice.
        #expect(m.flush() == .init(started: [], results: [result(0), result(1)], actions: []))
        // More tasks while one runner is busy start only one more runner.
        #expect(m.received(.tasks([task(3), task(4)]), now: .seconds(1)) == [.startRunners(1)])
        #expect(m.nextTask() == task(3))
        // The started timer: notices for what is still running, and again while anything runs.
        #expect(m.startedTimerFired() == [.armStartedTimer(.milliseconds(50)), .scheduleFlush])
        #expect(m.flush() == .init(started: [key(2), key(3)], results: [], actions: []))
        #expect(m.taskFinished(result(2)) == true)
        #expect(m.nextTask() == task(4))
        #expect(m.taskFinished(result(3)) == false)
        #expect(m.nextTask() == nil)
        #expect(m.runnerEnded() == [])
        // task 4's notice is pending, but it finishes first: its result is enough.
        #expect(m.flush() == .init(started: [], results: [result(2), result(3)], actions: []))
        #expect(m.taskFinished(result(4)) == true)
        #expect(m.nextTask() == nil)
        #expect(m.runnerEnded() == [])
        // Idle again: the timer is cancelled.
        #expect(m.flush() == .init(started: [], results: [result(4)], actions: [.cancelStartedTimer]))
        #expect(m.running == 0 && m.queued == 0)
    }

    @Test func aRunnerOnTheEventLoopSendsItsResultAtOnceWhenNothingElseWaits() {
        var m = joined(capacity: 1)
        // One task: its result goes out as soon as the body ends, and the runner ends (the timer with it).
        _ = m.received(.tasks([task(0)]), now: .zero)
        #expect(m.nextTask() == task(0))
        #expect(m.finished(result(0)) == .init(next: nil, write: .init(results: [result(0)], actions: [.cancelStartedTimer])))
        #expect(m.running == 0)
        // Several queued: results wait for the loop's turn (one flush scheduled) while the runner goes on;
        // the last one goes out with the batch at once.
        _ = m.received(.tasks([task(1), task(2), task(3)]), now: .zero)
        #expect(m.nextTask() == task(1))
        #expect(m.finished(result(1)) == .init(next: task(2), scheduleFlush: true))
        #expect(m.finished(result(2)) == .init(next: task(3), scheduleFlush: false))
        #expect(m.finished(result(3)) == .init(next: nil, write: .init(results: [result(1), result(2), result(3)], actions: [.cancelStartedTimer])))
        // The flush scheduled meanwhile finds nothing left to write.
        #expect(m.flush() == .init())
    }

    @Test func aLongQueueOnTheEventLoopSendsResultsInBatches() {
        var m = joined(capacity: 1)
        let count = Machine.resultsPerWrite + 2
        _ = m.received(.tasks((0..<UInt64(count)).map(task)), now: .zero)
        var next = m.nextTask()
        var written: [[TaskResult]] = []
        while let current = next {
            let after = m.finished(result(current.key.taskID))
            if let write = after.write { written.append(write.results) }
            next = after.next
        }
        #expect(written.map(\.count) == [Machine.resultsPerWrite, 2])
    }

    @Test func shortBodiesRunOnTheEventLoopLongOnesOnThePool() {
        var m = joined(capacity: 1)
        // Unknown apps run on the pool; a run of short bodies moves them to the event loop.
        #expect(!m.runsOnEventLoop("a"))
        for _ in 1..<m.configuration.shortBodiesToPromote { m.bodyTook("a", .microseconds(20)) }
        #expect(!m.runsOnEventLoop("a"))
        m.bodyTook("a", .microseconds(20))
        #expect(m.runsOnEventLoop("a"))
        #expect(!m.runsOnEventLoop("b"))
        // A long body sends the app back to the pool; it returns only after many short ones in a row.
        m.bodyTook("a", .milliseconds(5))
        #expect(!m.runsOnEventLoop("a"))
        for _ in 1..<m.configuration.shortBodiesToReturn { m.bodyTook("a", .microseconds(20)) }
        #expect(!m.runsOnEventLoop("a"))
        m.bodyTook("a", .microseconds(20))
        #expect(m.runsOnEventLoop("a"))
        // An app that is long from the start never runs on the event loop.
        m.bodyTook("b", .seconds(2))
        #expect(!m.runsOnEventLoop("b"))
    }

    @Test func aTimerFiringWhileAFlushIsPendingAddsItsNoticesToThatFlush() {
        var m = joined(capacity: 1)
        _ = m.received(.tasks([task(0), task(1)]), now: .zero)
        #expect(m.nextTask() == task(0))
        #expect(m.taskFinished(result(0)) == true)
        #expect(m.nextTask() == task(1))
        #expect(m.startedTimerFired() == [.armStartedTimer(.milliseconds(50))])
        #expect(m.flush() == .init(started: [key(1)], results: [result(0)], actions: []))
    }

    @Test func aWalltimeWithOneSlotTakesNoMoreWorkAndLeavesOnceReported() {
        var m = joined(capacity: 1)
        _ = m.received(.tasks([task(0), task(1)]), now: .zero)
        #expect(m.nextTask() == task(0))
        m.walltimeExceeded()
        #expect(m.taskFinished(result(0)) == true)
        #expect(m.nextTask() == nil)
        #expect(m.runnerEnded() == [])
        #expect(m.received(.tasks([task(2)]), now: .zero) == [])
        // The failure goes out first, then `drained`; task 1 never ran and is sent elsewhere.
        #expect(m.flush() == .init(started: [], results: [result(0)], actions: [.sendDrained]))
        #expect(m.drainedWritten() == [.exit(0)])

        // With several slots in one process, a walltime poisons nothing.
        var shared = joined(capacity: 2)
        _ = shared.received(.tasks([task(0)]), now: .zero)
        shared.walltimeExceeded()
        #expect(!shared.poisoned && !shared.draining)
    }

    // MARK: Heartbeats

    @Test func heartbeatsGoOutEveryPeriodAndASilentLeaderIsGivenUp() {
        var m = joined()
        #expect(m.heartbeatTick(now: .milliseconds(100)) == [])
        #expect(m.heartbeatTick(now: .milliseconds(500)) == [.send(.heartbeat)])
        #expect(m.heartbeatTick(now: .milliseconds(600)) == [])
        _ = m.received(.heartbeat, now: .seconds(1))
        #expect(m.heartbeatTick(now: .seconds(1)) == [.send(.heartbeat)])
        // Exactly the threshold since the last word is still fine ...
        #expect(m.heartbeatTick(now: .seconds(4)) == [.send(.heartbeat)])
        // ... past it the leader is lost (a cut link: no close ever arrives).
        #expect(
            m.heartbeatTick(now: .milliseconds(4500)) == [.log("no word from the interchange for \(Duration.seconds(3)); leaving"), .exit(exitLeaderLost)]
        )
        #expect(m.heartbeatTick(now: .seconds(6)) == [])
    }

    @Test func beforeAcceptanceNoHeartbeatsGoOutButSilenceStillCounts() {
        var m = machine()
        m.connected(nonce: workerNonce, now: .zero)
        #expect(m.heartbeatTick(now: .seconds(5)) == [])
        _ = m.received(.challenge(Challenge(nonce: leaderNonce)), now: .seconds(5))
        #expect(m.heartbeatTick(now: .seconds(15)) == [])
        #expect(m.heartbeatTick(now: .seconds(16)).last == .exit(exitLeaderLost))
    }

    // MARK: Draining and leaving

    @Test func aDrainMessageFinishesTheTasksHeldThenSaysDrained() {
        var m = joined(capacity: 1)
        _ = m.received(.tasks([task(0), task(1)]), now: .zero)
        #expect(m.nextTask() == task(0))
        #expect(m.received(.drain, now: .zero) == [])
        #expect(m.taskFinished(result(0)) == true)
        // Tasks already held still run.
        #expect(m.nextTask() == task(1))
        #expect(m.flush() == .init(started: [], results: [result(0)], actions: []))
        #expect(m.taskFinished(result(1)) == true)
        #expect(m.nextTask() == nil)
        #expect(m.runnerEnded() == [])
        #expect(m.flush() == .init(started: [], results: [result(1)], actions: [.cancelStartedTimer, .sendDrained]))
        #expect(m.terminate() == [])
        #expect(m.drainedWritten() == [.exit(0)])
        #expect(m.disconnected() == [])
    }

    @Test func sigtermWhenIdleSaysDrainedOnceAndTheCloseThatFollowsIsClean() {
        var m = joined()
        #expect(m.terminate() == [.sendDrained])
        #expect(m.terminate() == [])
        // The leader closes first: still a clean exit.
        #expect(m.disconnected() == [.exit(0)])
        #expect(m.drainedWritten() == [])
    }

    @Test func aLostLeaderAndAShutdownEndTheWorkerDifferently() {
        var lost = joined()
        _ = lost.received(.tasks([task(0)]), now: .zero)
        #expect(lost.nextTask() == task(0))
        #expect(lost.disconnected() == [.log("the interchange closed the connection"), .exit(exitLeaderLost)])
        // The body's result has nowhere to go, and no new work starts.
        _ = lost.taskFinished(result(0))
        #expect(lost.received(.tasks([task(1)]), now: .zero) == [])

        var told = joined()
        #expect(told.received(.shutdown, now: .zero) == [.exit(0)])
        #expect(told.disconnected() == [])
        #expect(told.connectionEnded(now: .zero) == (.exit(0), []))
    }
}
