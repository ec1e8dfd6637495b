import Foundation
import Testing

@testable import DataflowMonitoring

/// A task still pending or running at the end of a cycle is held back one more cycle, so that it is one
/// `task_done` row when it ends in that cycle; held once only, never past a `flush()` or `close()`, never
/// lost nor written twice.
struct HeldSubmissionTests {
    let runID = "3f2a9c1e-0000-4000-8000-000000000015"

    /// Cycles start when `cycleEvents` events wait (the flush interval is a minute): each phase records
    /// exactly that many, the last one wakes the writer, and the test waits until the phase's whole lives
    /// are committed.
    static let cycleEvents = 43
    static let filler = 10

    @Test func aTaskIsHeldBackOnceAndNeitherLostNorWrittenTwice() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(
            path: directory.databasePath,
            configuration: .init(flushInterval: .seconds(60), batchSize: Self.cycleEvents))
        let db = try RawDatabase(path: directory.databasePath)
        let run = self.runID
        var time = 1.0
        var nextFiller = 1_000
        func submit(_ task: Int) {
            store.taskSubmitted(
                runID: run, taskID: task, appName: "app", memoize: false, hashsum: nil, dependsOn: [], executor: "local",
                time: time)
            time += 1
        }
        func launch(_ task: Int) {
            store.tryLaunched(runID: run, taskID: task, tryID: 0, executor: "local", time: time)
            time += 1
        }
        func running(_ task: Int) {
            store.tryRunning(runID: run, taskID: task, tryID: 0, hostname: "h\(task)", blockID: nil, time: time)
            time += 1
        }
        func end(_ task: Int) {
            store.tryReturned(runID: run, taskID: task, tryID: 0, time: time, failure: nil)
            store.taskEnded(
                runID: run, taskID: task, time: time + 1, failCount: 0, failCost: 0, finalState: .execDone, failure: nil)
            time += 2
        }
        /// `filler` whole tasks (4 events each); waits until the cycle they complete is committed.
        func fillAndWait() throws {
            for _ in 0..<Self.filler {
                submit(nextFiller)
                launch(nextFiller)
                end(nextFiller)
                nextFiller += 1
            }
            let expected = String(nextFiller - 1_000)
            let deadline = Date(timeIntervalSinceNow: 20)
            while try db.scalar("SELECT count(*) FROM task_done WHERE task_id >= 1000") != expected {
                try #require(Date() < deadline, "the cycle did not commit")
                usleep(2_000)
            }
        }
        func rows(_ table: String, _ task: Int) throws -> String? {
            try db.scalar("SELECT count(*) FROM \(table) WHERE task_id = \(task)")
        }

        // Cycle 1 (43 events): workflow, 1 submitted and launched, the filler.
        store.workflowStarted(runID: run, workflowName: "w", workflowVersion: "1", runDirectory: "/r", time: 0)
        submit(1)
        launch(1)
        try fillAndWait()
        #expect(try rows("task", 1) == "0", "held back")
        #expect(try rows("try", 1) == "0")

        // Cycle 2: 1 runs (held once already: written split now), 2 is submitted and launched (held).
        running(1)
        submit(2)
        launch(2)
        try fillAndWait()
        #expect(try rows("task_submit", 1) == "1")
        #expect(
            try db.rows("SELECT try_id, task_try_time_launched, hostname FROM try WHERE task_id = 1") == [["0", "2.0", "h1"]])
        #expect(try rows("task", 2) == "0", "held back")

        // Cycle 3: 2 and 1 end (2 held back in cycle 2 becomes one row), 3 is submitted.
        end(2)
        end(1)
        submit(3)
        // 5 events so far; 38 more: a memoized task (no try) and one filler task fewer.
        submit(900)
        store.taskEnded(
            runID: run, taskID: 900, time: time, failCount: 0, failCost: 0, finalState: .memoDone, failure: nil)
        for _ in 0..<(Self.filler - 1) {
            submit(nextFiller)
            launch(nextFiller)
            end(nextFiller)
            nextFiller += 1
        }
        let deadline = Date(timeIntervalSinceNow: 20)
        while try db.scalar("SELECT count(*) FROM task_done WHERE task_id >= 900") != "30" {
            try #require(Date() < deadline, "the cycle did not commit")
            usleep(2_000)
        }
        #expect(try db.rows("SELECT task_id FROM task_done WHERE task_id < 900") == [["2"]])
        #expect(try rows("task_submit", 2) == "0")
        #expect(try rows("task_end", 1) == "1")
        #expect(try rows("task_done", 1) == "0")
        #expect(try rows("task", 3) == "0", "held back")

        // A flush writes what is held back: 3 and 4 (submitted after the cycle) are visible after it.
        submit(4)
        store.flush()
        #expect(try rows("task_submit", 3) == "1")
        #expect(try rows("task_submit", 4) == "1")
        // Held back past the flush, they are not held again: written as the split rows of a later end.
        launch(3)
        end(3)
        submit(5)
        store.close()
        #expect(store.droppedEvents == 0)

        // Every task once, each with its events; close() wrote 5 although it was never in a cycle before.
        let tasks = (1...5).map(String.init) + (900..<901).map(String.init)
        #expect(
            try db.rows("SELECT task_id, count(*) FROM task WHERE task_id < 1000 GROUP BY task_id ORDER BY task_id")
                == tasks.map { [$0, "1"] })
        #expect(try db.scalar("SELECT count(*) FROM task WHERE task_id >= 1000") == String(nextFiller - 1_000))
        #expect(
            try db.rows("SELECT task_id, task_status_name FROM task_current_status WHERE task_id < 1000 ORDER BY task_id")
                == [
                    ["1", "exec_done"], ["2", "exec_done"], ["3", "exec_done"], ["4", "pending"], ["5", "pending"],
                    ["900", "memo_done"],
                ])
        #expect(
            try db.rows("SELECT task_status_name FROM status WHERE task_id = 1 \(statusLifecycleOrder)").map { $0[0] }
                == ["pending", "launched", "running", "exec_done"])
        #expect(try db.scalar("SELECT count(*) FROM try WHERE task_id < 1000") == "3")
    }
}
