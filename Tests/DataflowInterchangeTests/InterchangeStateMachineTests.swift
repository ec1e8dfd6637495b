import DataflowWireProtocol
import Testing

@testable import DataflowInterchange

struct InterchangeStateMachineTests {
    typealias Machine = InterchangeStateMachine

    func task(_ id: UInt64) -> Machine.QueuedTask { .init(key: TaskKey(taskID: id, tryID: 0), app: "a", input: []) }

    func worker(_ name: String, capacity: Int = 1, prefetch: Int = 0, block: String = "0") -> Machine.WorkerRecord {
        .init(workerID: name, hostname: "h", blockID: block, capacity: capacity, prefetch: prefetch, lastHeard: 0, idleSince: 0)
    }

    func sent(_ actions: [Machine.Action]) -> [Int: [UInt64]] {
        var out: [Int: [UInt64]] = [:]
        for case .send(let w, let tasks) in actions { out[w, default: []] += tasks.map(\.key.taskID) }
        return out
    }

    @Test func queuesUntilAWorkerJoinsThenFillsItsSlots() {
        var m = Machine(heartbeatThreshold: 10)
        #expect(sent(m.submit((0..<5).map(task))).isEmpty)
        #expect(m.outstanding == 5)
        #expect(sent(m.workerJoined(1, worker("w1", capacity: 2, prefetch: 1))) == [1: [0, 1, 2]])
        #expect(sent(m.workerJoined(2, worker("w2", capacity: 1))) == [2: [3]])
        #expect(m.outstanding == 5)
    }

    @Test func resultsFreeSlotsAndAreDeliveredOnceFromTheHolderOnly() {
        var m = Machine(heartbeatThreshold: 10)
        _ = m.workerJoined(1, worker("w1"))
        _ = m.workerJoined(2, worker("w2"))
        _ = m.submit((0..<3).map(task))
        let result = TaskResult(key: TaskKey(taskID: 0, tryID: 0), outcome: .success([]))
        // The wrong worker's claim is ignored.
        let holder = m.workers.first { $0.value.held[result.key] != nil }!.key
        let other = holder == 1 ? 2 : 1
        #expect(m.results(other, [result], now: 1).allSatisfy { if case .deliver = $0 { false } else { true } })
        let actions = m.results(holder, [result], now: 1)
        #expect(actions.filter { if case .deliver = $0 { true } else { false } }.count == 1)
        #expect(sent(actions)[holder] == [2])
        // A duplicate is ignored.
        #expect(m.results(holder, [result], now: 2).allSatisfy { if case .deliver = $0 { false } else { true } })
    }

    @Test func aLostWorkersRunningTriesAreLostAndItsPrefetchedOnesRequeued() {
        var m = Machine(heartbeatThreshold: 10)
        _ = m.workerJoined(1, worker("w1", capacity: 1, prefetch: 2))
        _ = m.submit((0..<3).map(task))
        let actions = m.workerLeft(1, reason: "crashed")
        let lost = actions.compactMap { if case .lost(let key, _, _) = $0 { key.taskID } else { nil } }
        #expect(lost == [0])
        #expect(m.outstanding == 2)
        #expect(sent(m.workerJoined(2, worker("w2", capacity: 2))) == [2: [1, 2]])
    }

    @Test func startedNoticesCountEvenBeyondCapacityAndDrainedWorkersLoseNothing() {
        var m = Machine(heartbeatThreshold: 10)
        _ = m.workerJoined(1, worker("w1", capacity: 1, prefetch: 2))
        _ = m.submit((0..<3).map(task))
        _ = m.started(1, [TaskKey(taskID: 2, tryID: 0)], now: 0)
        let lost = m.workerLeft(1, reason: "x").compactMap { if case .lost(let key, _, _) = $0 { key.taskID } else { nil } }
        #expect(Set(lost) == [0, 2])

        var d = Machine(heartbeatThreshold: 10)
        _ = d.workerJoined(1, worker("w1", capacity: 1, prefetch: 2))
        _ = d.submit((0..<3).map(task))
        d.drained(1)
        #expect(d.workerLeft(1, reason: "drained").allSatisfy { if case .lost = $0 { false } else { true } })
        #expect(d.outstanding == 3)
    }

    @Test func silentWorkersAreClosedAfterTheThreshold() {
        var m = Machine(heartbeatThreshold: 5)
        _ = m.workerJoined(1, worker("w1"))
        _ = m.workerJoined(2, worker("w2"))
        m.heard(2, now: 4)
        let actions = m.tick(now: 6)
        let closed = actions.compactMap { if case .close(let w, _) = $0 { w } else { nil } }
        #expect(closed == [1])
        #expect(m.workers.keys.sorted() == [2])
    }

    @Test func drainingWorkersGetNoNewWork() {
        var m = Machine(heartbeatThreshold: 10)
        _ = m.workerJoined(1, worker("w1", block: "0"))
        _ = m.workerJoined(2, worker("w2", block: "1"))
        let drains = m.drain(blockID: "0").compactMap { if case .drain(let w) = $0 { w } else { nil } }
        #expect(drains == [1])
        #expect(sent(m.submit((0..<3).map(task))) == [2: [0]])
    }
}
