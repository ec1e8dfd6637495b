import Foundation
import Testing

@testable import DataflowMonitoring

/// Schema v5: a task whose submission, end and only try (try 0, or none) the writer sees in one cycle is one
/// `task_done` row; every view and the status report show exactly what the split rows of v4 show.
struct WholeLifeTests {
    let runID = "3f2a9c1e-0000-4000-8000-000000000005"

    /// The tasks of ``record(_:flushBetweenCalls:)`` that are whole lives when calls share cycles.
    static let wholeLives = [1, 3, 4, 7, 8, 9, 11]

    /// Records a mix of task lives. `flushBetweenCalls` commits every call on its own, so no task is a whole
    /// life (the v4 rows); otherwise only the explicit flushes split tasks 5 and 9. `foldReturns` records
    /// a succeeded final try's return with its task's end (`taskEnded(returned:)`), as the kernel does,
    /// instead of a `tryReturned` call of its own (the same times either way).
    ///
    /// 1: a plain task; 2: retried (try 0 fails, `fail_retryable`, try 1 succeeds); 3: memoized (no try);
    /// 4: dependency failure (no try); 5: its try's run and its end in a later cycle than its launch;
    /// 6: still running; 7: a join app (`joining`); 8: fails with no retry; 9: a worker's `running` recorded
    /// after the task ended, in a later cycle; 10: pending; 11: a partial failure inside a successful task.
    private func record(_ store: MonitoringStore, flushBetweenCalls: Bool, foldReturns: Bool = false) {
        let run = self.runID
        var time = 100.0
        func step(_ record: (Double) -> Void) {
            record(time)
            time += 1
            if flushBetweenCalls { store.flush() }
        }
        func submit(_ task: Int, app: String = "app", memoize: Bool = false, dependsOn: [Int] = []) {
            step {
                store.taskSubmitted(
                    runID: run, taskID: task, appName: app, memoize: memoize, hashsum: memoize ? "ab\(task)" : nil,
                    dependsOn: dependsOn, executor: "local", time: $0)
            }
        }
        func launch(_ task: Int, _ tryID: Int = 0, executor: String = "local") {
            step { store.tryLaunched(runID: run, taskID: task, tryID: tryID, executor: executor, time: $0) }
        }
        func running(_ task: Int, _ tryID: Int = 0) {
            step {
                store.tryRunning(runID: run, taskID: task, tryID: tryID, hostname: "h\(task)", blockID: "b", time: $0)
            }
        }
        func returned(_ task: Int, _ tryID: Int = 0, failure: String? = nil) {
            step { store.tryReturned(runID: run, taskID: task, tryID: tryID, time: $0, failure: failure) }
        }
        func end(_ task: Int, _ state: TaskState, failCount: Int = 0, failure: String? = nil) {
            step {
                store.taskEnded(
                    runID: run, taskID: task, time: $0, failCount: failCount, failCost: Double(failCount) / 2,
                    finalState: state, failure: failure)
            }
        }
        func finished(_ task: Int, _ tryID: Int = 0, failCount: Int = 0) {
            guard foldReturns else {
                returned(task, tryID)
                end(task, .execDone, failCount: failCount)
                return
            }
            let returnedTime = time
            time += 1
            step {
                store.taskEnded(
                    runID: run, taskID: task, time: $0, failCount: failCount, failCost: Double(failCount) / 2,
                    finalState: .execDone, failure: nil, returned: returnedTime)
            }
        }
        store.workflowStarted(runID: run, workflowName: "w", workflowVersion: "1", runDirectory: "/r", time: 1)
        submit(1)
        submit(5, app: "slow")
        launch(5)
        launch(1)
        running(1)
        finished(1)
        submit(2)
        launch(2)
        running(2)
        returned(2, failure: "boom 0")
        step { store.taskState(runID: run, taskID: 2, tryID: 0, state: .failRetryable, time: $0) }
        launch(2, 1)
        running(2, 1)
        finished(2, 1, failCount: 1)
        submit(3, memoize: true)
        end(3, .memoDone)
        submit(4, dependsOn: [8])
        submit(6)
        launch(6)
        running(6)
        submit(7, app: "join")
        launch(7, executor: "_parsl_internal")
        running(7)
        step { store.taskState(runID: run, taskID: 7, tryID: 0, state: .joining, time: $0) }
        submit(8, app: "fragile")
        launch(8)
        running(8)
        returned(8, failure: "boom 8")
        end(8, .failed, failCount: 1, failure: "boom 8")
        end(4, .depFail, failure: "Dependency failure")
        finished(7)
        submit(9)
        launch(9)
        finished(9)
        submit(10)
        submit(11, app: "tiles")
        launch(11)
        running(11)
        finished(11)
        step { store.partialFailure(runID: run, taskID: 11, item: "tile 3", message: "empty", time: $0) }
        store.flush()
        running(5)
        finished(5)
        step {
            store.tryRunning(runID: run, taskID: 9, tryID: 0, hostname: "late", blockID: "b9", time: $0)
        }
        store.flush()
    }

    /// Schema v4's views, as the v4 writer created them (its tables are v5's but `task_done`).
    static let version4Views = """
        CREATE VIEW task AS
            SELECT s.task_id, s.run_id, s.task_depends, s.task_func_name, s.task_memoize, s.task_hashsum,
                   s.task_executor, s.task_time_invoked, e.task_time_returned,
                   coalesce(e.task_fail_count, 0) AS task_fail_count,
                   coalesce(e.task_fail_cost, 0.0) AS task_fail_cost, e.task_status_name, e.task_fail_message,
                   e.task_final_try_id
            FROM task_submit AS s
            LEFT JOIN task_end AS e ON e.run_id = s.run_id AND e.task_id = s.task_id;
        CREATE VIEW try AS
            SELECT l.try_id, l.task_id, l.run_id, e.block_id, e.hostname, l.task_executor,
                   l.task_try_time_launched, e.task_try_time_running, e.task_try_time_returned, e.task_fail_history
            FROM try_launch AS l
            LEFT JOIN try_end AS e ON e.run_id = l.run_id AND e.task_id = l.task_id AND e.try_id = l.try_id
            UNION ALL
            SELECT e.try_id, e.task_id, e.run_id, e.block_id, e.hostname, NULL, NULL, e.task_try_time_running,
                   e.task_try_time_returned, e.task_fail_history
            FROM try_end AS e
            WHERE NOT EXISTS (SELECT 1 FROM try_launch AS l
                              WHERE l.run_id = e.run_id AND l.task_id = e.task_id AND l.try_id = e.try_id);
        CREATE VIEW status AS
            SELECT task_id, run_id, 'pending' AS task_status_name, task_time_invoked AS timestamp, 0 AS try_id
            FROM task_submit WHERE task_time_invoked IS NOT NULL
            UNION ALL
            SELECT task_id, run_id, 'launched', task_try_time_launched, try_id
            FROM try_launch WHERE task_try_time_launched IS NOT NULL
            UNION ALL
            SELECT task_id, run_id, 'running', task_try_time_running, try_id
            FROM try_end WHERE task_try_time_running IS NOT NULL
            UNION ALL
            SELECT task_id, run_id, task_status_name, timestamp, try_id FROM status_event
            UNION ALL
            SELECT task_id, run_id, task_status_name, timestamp, try_id FROM (
                SELECT e.run_id, e.task_id, s.task_func_name, e.task_status_name, e.task_time_returned AS timestamp,
                       coalesce(e.task_final_try_id, 0) AS try_id
                FROM task_end AS e
                JOIN task_submit AS s ON s.run_id = e.run_id AND s.task_id = e.task_id);
        CREATE VIEW task_current_status AS
            SELECT e.run_id, e.task_id, s.task_func_name, e.task_status_name, e.task_time_returned AS timestamp,
                   coalesce(e.task_final_try_id, 0) AS try_id
            FROM task_end AS e
            JOIN task_submit AS s ON s.run_id = e.run_id AND s.task_id = e.task_id
            UNION ALL
            SELECT run_id, task_id, task_func_name, task_status_name, timestamp, try_id FROM (
                SELECT s.run_id, s.task_id, f.task_func_name, s.task_status_name, s.timestamp, s.try_id,
                       row_number() OVER (PARTITION BY s.run_id, s.task_id
                                          ORDER BY s.try_id DESC, s.timestamp DESC, s.rank DESC, s.seq DESC) AS n
                FROM (
                    SELECT task_id, run_id, 'pending' AS task_status_name, task_time_invoked AS timestamp,
                           0 AS try_id, 0 AS rank, 0 AS seq
                    FROM task_submit WHERE task_time_invoked IS NOT NULL
                    UNION ALL
                    SELECT task_id, run_id, 'launched', task_try_time_launched, try_id, 1, 0
                    FROM try_launch WHERE task_try_time_launched IS NOT NULL
                    UNION ALL
                    SELECT task_id, run_id, 'running', task_try_time_running, try_id, 2, 0
                    FROM try_end WHERE task_try_time_running IS NOT NULL
                    UNION ALL
                    SELECT task_id, run_id, task_status_name, timestamp, try_id, 3, rowid FROM status_event
                ) AS s
                LEFT JOIN task_submit AS f ON f.run_id = s.run_id AND f.task_id = s.task_id
                WHERE f.task_id IS NULL
                   OR NOT EXISTS (SELECT 1 FROM task_end AS e WHERE e.run_id = s.run_id AND e.task_id = s.task_id)
            )
            WHERE n = 1;
        CREATE VIEW status_utc AS
            SELECT task_id, run_id, task_status_name,
                   strftime('%Y-%m-%d %H:%M:%f', timestamp, 'unixepoch') AS time_utc, timestamp, try_id
            FROM status;
        """

    /// A v4 database with the events of ``record(_:flushBetweenCalls:)``: v4 wrote split rows only, as a v5
    /// writer does when every call is a cycle of its own.
    private func writeVersion4Database(_ path: String) throws {
        let store = try MonitoringStore(path: path)
        self.record(store, flushBetweenCalls: true)
        store.close()
        let db = try RawDatabase(path: path, writable: true)
        try #require(try db.scalar("SELECT count(*) FROM task_done") == "0")
        try db.execute(
            """
            BEGIN;
            DROP VIEW status_utc; DROP VIEW task_current_status; DROP VIEW workflow_utc; DROP VIEW status;
            DROP VIEW task; DROP VIEW try; DROP TABLE task_done;
            \(Self.version4Views)
            PRAGMA user_version=4;
            COMMIT;
            """
        )
    }

    @Test func aVersion4DatabaseGainsTheWholeLifeTableAndShowsTheSameRows() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.databasePath
        try self.writeVersion4Database(path)
        let before = try self.views(RawDatabase(path: path))
        #expect(before["task"]?.count == 11)
        // A reader of a v4 file (opened read-only, never upgraded) reads its tables as they are.
        let reportBefore = try self.report(path)
        #expect(reportBefore.taskCount == 11)
        #expect(reportBefore.failures.map(\.taskID) == [2, 4, 8])

        let store = try MonitoringStore(path: path)
        let db = try RawDatabase(path: path)
        #expect(try db.scalar("PRAGMA user_version") == "5")
        #expect(try db.scalar("SELECT count(*) FROM task_done") == "0")
        #expect(try self.views(db) == before)
        #expect(try self.report(path) == reportBefore)

        // New tasks in the upgraded file: a whole life is one row, and the views show it with the old rows.
        let run = self.runID
        store.taskSubmitted(
            runID: run, taskID: 12, appName: "app", memoize: false, hashsum: nil, dependsOn: [], executor: "local",
            time: 500)
        store.tryLaunched(runID: run, taskID: 12, tryID: 0, executor: "local", time: 501)
        store.tryReturned(runID: run, taskID: 12, tryID: 0, time: 502, failure: nil)
        store.taskEnded(
            runID: run, taskID: 12, time: 503, failCount: 0, failCost: 0, finalState: .execDone, failure: nil)
        store.close()
        #expect(try db.scalar("SELECT count(*) FROM task_done") == "1")
        #expect(try db.scalar("SELECT count(*) FROM task") == "12")
        #expect(
            try db.rows("SELECT task_status_name, timestamp FROM status WHERE task_id = 12 ORDER BY timestamp") == [
                ["pending", "500.0"], ["launched", "501.0"], ["exec_done", "503.0"],
            ])
        #expect(try self.report(path).totals["exec_done"] == 7)
        #expect(reportBefore.totals["exec_done"] == 6)
    }

    /// Every view, ordered by its keys.
    private func views(_ db: RawDatabase) throws -> [String: [[String?]]] {
        [
            "task": try db.rows("SELECT * FROM task ORDER BY run_id, task_id"),
            "try": try db.rows("SELECT * FROM try ORDER BY run_id, task_id, try_id"),
            "status": try db.rows("SELECT * FROM status ORDER BY run_id, task_id, try_id, timestamp, task_status_name"),
            "task_current_status": try db.rows("SELECT * FROM task_current_status ORDER BY run_id, task_id"),
            "status_utc": try db.rows("SELECT * FROM status_utc ORDER BY run_id, task_id, try_id, timestamp"),
        ]
    }

    private func report(_ path: String) throws -> StatusReport {
        var report = try StatusReport.load(databasePath: path, runID: self.runID)
        report.generated = 0
        return report
    }

    /// A launch recorded with its submission (`taskSubmitted(launched: true)`, as the kernel does for a task
    /// it dispatches at once) gives the same rows as a `tryLaunched` at the same time, whole or split, and a
    /// memoized task submitted the same way without `launched` has no try.
    @Test(arguments: [false, true])
    func aLaunchRecordedWithItsSubmissionIsATryLaunched(flushBetweenCalls: Bool) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func record(_ store: MonitoringStore, together: Bool) {
            let run = self.runID
            func step(_ call: () -> Void) {
                call()
                if flushBetweenCalls { store.flush() }
            }
            store.workflowStarted(runID: run, workflowName: "w", workflowVersion: "1", runDirectory: "/r", time: 1)
            for task in 1...3 {
                let time = Double(10 * task)
                step {
                    store.taskSubmitted(
                        runID: run, taskID: task, appName: "app", memoize: true, hashsum: nil, dependsOn: [],
                        executor: "threads", time: time, launched: together)
                }
                if !together { step { store.tryLaunched(runID: run, taskID: task, tryID: 0, executor: "threads", time: time) } }
                step { store.tryRunning(runID: run, taskID: task, tryID: 0, hostname: "h", blockID: nil, time: time + 1) }
                step {
                    store.taskEnded(
                        runID: run, taskID: task, time: time + 3, failCount: 0, failCost: 0, finalState: .execDone, failure: nil,
                        returned: time + 2)
                }
            }
            step {
                store.taskSubmitted(
                    runID: run, taskID: 4, appName: "app", memoize: true, hashsum: nil, dependsOn: [], executor: "threads", time: 50)
            }
            step {
                store.taskEnded(runID: run, taskID: 4, time: 51, failCount: 0, failCost: 0, finalState: .memoDone, failure: nil)
            }
        }
        var results: [[String: [[String?]]]] = []
        for together in [true, false] {
            let path = directory.url.appendingPathComponent("\(together)/monitoring.db").path
            let store = try MonitoringStore(path: path, configuration: .init(flushInterval: .seconds(60)))
            record(store, together: together)
            store.close()
            let db = try RawDatabase(path: path)
            results.append(try self.views(db))
            #expect(try db.scalar("SELECT count(*) FROM try WHERE task_try_time_launched IS NOT NULL") == "3")
        }
        for name in results[1].keys { #expect(results[0][name] == results[1][name], "\(name)") }
    }

    @Test func wholeLivesAreOneRowAndEveryViewShowsWhatTheSplitRowsShow() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let wholePath = directory.url.appendingPathComponent("whole/monitoring.db").path
        let splitPath = directory.url.appendingPathComponent("split/monitoring.db").path
        let foldedPath = directory.url.appendingPathComponent("folded/monitoring.db").path
        let whole = try MonitoringStore(path: wholePath, configuration: .init(flushInterval: .seconds(60)))
        self.record(whole, flushBetweenCalls: false, foldReturns: true)
        whole.close()
        let split = try MonitoringStore(path: splitPath)
        self.record(split, flushBetweenCalls: true)
        split.close()
        // Split rows with the returns folded into the ends: `try_end` upserts of the tries launched earlier.
        let folded = try MonitoringStore(path: foldedPath)
        self.record(folded, flushBetweenCalls: true, foldReturns: true)
        folded.close()
        #expect(whole.droppedEvents == 0 && split.droppedEvents == 0 && folded.droppedEvents == 0)

        let wholeDB = try RawDatabase(path: wholePath)
        let splitDB = try RawDatabase(path: splitPath)
        // The split store wrote v4's rows only; the other store one row for each whole life.
        #expect(try splitDB.scalar("SELECT count(*) FROM task_done") == "0")
        #expect(
            try wholeDB.rows("SELECT task_id FROM task_done ORDER BY task_id").map { $0[0] }
                == Self.wholeLives.map(String.init))
        for table in ["task_submit", "task_end", "try_launch", "try_end"] {
            let rows = try wholeDB.scalar(
                "SELECT count(*) FROM \(table) WHERE task_id IN (\(Self.wholeLives.map(String.init).joined(separator: ",")))")
            // Only task 9's late `running` is a row of its own.
            #expect(rows == (table == "try_end" ? "1" : "0"), "\(table)")
        }
        // Memoized and dependency-failed tasks had no try, the others try 0.
        #expect(
            try wholeDB.rows("SELECT task_id, try_id FROM task_done ORDER BY task_id") == [
                ["1", "0"], ["3", nil], ["4", nil], ["7", "0"], ["8", "0"], ["9", "0"], ["11", "0"],
            ])

        let wholeViews = try self.views(wholeDB)
        let splitViews = try self.views(splitDB)
        let foldedViews = try self.views(RawDatabase(path: foldedPath))
        for (name, rows) in splitViews {
            #expect(wholeViews[name] == rows, "\(name)")
            #expect(foldedViews[name] == rows, "\(name)")
        }
        // Every succeeded try has its return time, folded or not.
        #expect(
            splitViews["try"]?.filter { $0[8] == nil }.map { "\($0[1]!)/\($0[0]!)" } == ["6/0"])
        // The split rows are what they should be: each task once, tries of 3 and 4 absent, 9 with its late run.
        #expect(splitViews["task"]?.count == 11)
        #expect(
            splitViews["try"]?.map { "\($0[1]!)/\($0[0]!)" } == [
                "1/0", "2/0", "2/1", "5/0", "6/0", "7/0", "8/0", "9/0", "11/0",
            ])
        #expect(splitViews["try"]?.first { $0[1] == "9" }?[4] == "late")
        #expect(
            splitViews["task_current_status"]?.map { "\($0[1]!):\($0[3]!)" } == [
                "1:exec_done", "2:exec_done", "3:memo_done", "4:dep_fail", "5:exec_done", "6:running",
                "7:exec_done", "8:failed", "9:exec_done", "10:pending", "11:exec_done",
            ])
        #expect(
            try wholeDB.rows("SELECT task_status_name FROM status WHERE task_id = 7 ORDER BY timestamp").map { $0[0] }
                == ["pending", "launched", "running", "joining", "exec_done"])

        let wholeReport = try self.report(wholePath)
        #expect(wholeReport == (try self.report(splitPath)))
        #expect(try self.report(foldedPath) == wholeReport)
        #expect(wholeReport.taskCount == 11)
        #expect(wholeReport.failures.map(\.message) == ["boom 0", "Dependency failure", "boom 8"])
        #expect(wholeReport.failures.last?.hostname == "h8")
        #expect(wholeReport.partialFailures.map(\.appName) == ["tiles"])
    }

    /// A cycle that misses an event still being appended writes up to it and holds the rest back; the next
    /// cycle, which has it, writes them in order. The last cycle, and a gap a whole cycle did not fill, write
    /// everything.
    @Test func aCycleWritesUpToTheFirstMissingNumber() {
        var prefix = RecordPrefix()
        func cycle(_ sequences: [UInt64], closing: Bool = false) -> [UInt64] {
            prefix.startCycle(closing: closing)
            defer { prefix.endCycle() }
            return sequences.filter { prefix.admit($0) }
        }
        #expect(cycle([0, 1, 2]) == [0, 1, 2])
        // 3 was numbered but its shard had been taken: 4 and 6 wait.
        #expect(cycle([4, 6]) == [])
        #expect(cycle([3, 4, 5, 6, 8]) == [3, 4, 5, 6])
        // 7 still missing a whole cycle later: written without it.
        #expect(cycle([8, 9]) == [8, 9])
        #expect(cycle([10, 12]) == [10])
        // The last cycle does not wait for 11.
        #expect(cycle([12, 13], closing: true) == [12, 13])
        #expect(prefix.next == 14)
    }

    /// Producers on several threads, a try's launch on one and the rest of its task on another, cycles every
    /// few events: each try is written once and whole, each task once (held-back events included).
    @Test func cyclesCutBetweenThreadsStillWriteEachTryOnce() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(
            path: directory.databasePath, configuration: .init(flushInterval: .milliseconds(1), batchSize: 16))
        let run = self.runID
        let tasks = 4_000
        let threads = 4
        let handOff = DispatchGroup()
        let queues = (0..<threads).map { DispatchQueue(label: "worker \($0)") }
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for task in stride(from: thread, to: tasks, by: threads) {
                store.taskSubmitted(
                    runID: run, taskID: task, appName: "app", memoize: false, hashsum: nil, dependsOn: [],
                    executor: "local", time: Double(task))
                store.tryLaunched(runID: run, taskID: task, tryID: 0, executor: "local", time: Double(task))
                // The rest of the task on another thread (as an executor's worker thread would).
                queues[(thread + 1) % threads].async(group: handOff) {
                    store.tryRunning(runID: run, taskID: task, tryID: 0, hostname: "h", blockID: nil, time: Double(task))
                    store.tryReturned(runID: run, taskID: task, tryID: 0, time: Double(task), failure: nil)
                    store.taskEnded(
                        runID: run, taskID: task, time: Double(task), failCount: 0, failCost: 0, finalState: .execDone,
                        failure: nil)
                }
            }
        }
        handOff.wait()
        store.close()
        #expect(store.droppedEvents == 0)

        let db = try RawDatabase(path: directory.databasePath)
        #expect(try db.scalar("SELECT count(*) FROM task") == String(tasks))
        #expect(
            try db.scalar(
                """
                SELECT count(*) FROM try WHERE try_id = 0 AND task_executor = 'local' AND hostname = 'h'
                    AND task_try_time_launched IS NOT NULL AND task_try_time_running IS NOT NULL
                    AND task_try_time_returned IS NOT NULL
                """
            ) == String(tasks))
        #expect(try db.scalar("SELECT count(*) FROM try") == String(tasks))
        #expect(try db.scalar("SELECT count(*) FROM status") == String(4 * tasks))
        #expect(
            try db.scalar("SELECT count(*) FROM task_current_status WHERE task_status_name = 'exec_done'")
                == String(tasks))
    }
}
