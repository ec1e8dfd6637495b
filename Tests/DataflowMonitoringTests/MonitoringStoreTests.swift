import DataflowMonitoring
import Foundation
import Testing

struct MonitoringStoreTests {
    let runID = "3f2a9c1e-0000-4000-8000-000000000001"

    @Test func schemaIsCreatedAndQueryableWithTheSQLiteCAPI() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        store.close()

        let db = try RawDatabase(path: directory.databasePath)
        let tables = try db.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map { $0[0] }
        #expect(
            tables == [
                "block", "file_check", "node", "partial_failure", "status_event", "task_done", "task_end",
                "task_submit",
                "try_end", "try_launch", "workflow",
            ])
        let views = try db.rows("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name").map { $0[0] }
        #expect(views == ["status", "status_utc", "task", "task_current_status", "try", "workflow_utc"])
        #expect(try db.scalar("PRAGMA journal_mode") == "wal")
        #expect(try db.scalar("PRAGMA user_version") == "5")
        // Parsl's column names are there and the empty tables answer queries.
        #expect(try db.scalar("SELECT count(task_status_name) FROM status") == "0")
        #expect(try db.rows("SELECT task_func_name, task_depends, task_hashsum, task_fail_cost FROM task").isEmpty)
        #expect(try db.rows("SELECT try_id, block_id, hostname, task_try_time_running FROM try").isEmpty)
    }

    /// Closing checkpoints the WAL into the database and removes it, even while the writer object is still
    /// alive: a run leaves one file, not a database plus tens of megabytes of WAL.
    @Test func closingLeavesNoWriteAheadLog() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        store.workflowStarted(runID: runID, workflowName: "wal", workflowVersion: "1", runDirectory: "/tmp/x", time: 1)
        for task in 0..<20_000 {
            store.taskSubmitted(
                runID: runID, taskID: task, appName: "noop", memoize: false, hashsum: nil, dependsOn: [], executor: "threads", time: 2)
        }
        store.flush()
        #expect(FileManager.default.fileExists(atPath: directory.databasePath + "-wal"))
        store.close()
        #expect(!FileManager.default.fileExists(atPath: directory.databasePath + "-wal"))
        let db = try RawDatabase(path: directory.databasePath)
        #expect(try db.scalar("SELECT count(*) FROM task") == "20000")
    }

    @Test func reopeningAnExistingDatabaseKeepsItsRows() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try MonitoringStore(path: directory.databasePath)
        first.taskState(runID: self.runID, taskID: 1, tryID: 0, state: .pending, time: 1)
        first.close()
        let second = try MonitoringStore(path: directory.databasePath)
        second.taskState(runID: self.runID, taskID: 1, tryID: 0, state: .launched, time: 2)
        second.close()
        #expect(try RawDatabase(path: directory.databasePath).scalar("SELECT count(*) FROM status") == "2")
    }

    @Test func statesAreRecordedInOrderWithTimestamps() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        defer { store.close() }
        let states: [TaskState] = [.pending, .launched, .running, .runningEnded, .execDone]
        for (index, state) in states.enumerated() {
            store.taskState(
                runID: self.runID,
                taskID: 7,
                tryID: 0,
                state: state,
                time: 1_700_000_000.25 + Double(index)
            )
        }
        store.flush()

        let rows = try RawDatabase(path: directory.databasePath).rows(
            "SELECT task_status_name, timestamp, try_id, run_id FROM status WHERE task_id = 7 ORDER BY timestamp"
        )
        #expect(rows.map { $0[0] } == ["pending", "launched", "running", "running_ended", "exec_done"])
        #expect(rows.map { Double($0[1] ?? "") } == (0..<5).map { 1_700_000_000.25 + Double($0) })
        #expect(rows.allSatisfy { $0[2] == "0" && $0[3] == self.runID })
        let current = try RawDatabase(path: directory.databasePath).rows(
            "SELECT task_status_name FROM task_current_status WHERE task_id = 7"
        )
        #expect(current == [["exec_done"]])
    }

    @Test func taskRowIsWrittenAtSubmitAndUpdatedWhenTheTaskEnds() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        defer { store.close() }
        store.taskSubmitted(
            runID: self.runID,
            taskID: 3,
            appName: "rasterize",
            memoize: true,
            hashsum: "abc123",
            dependsOn: [1, 2],
            executor: "htex",
            time: 100
        )
        store.flush()
        let db = try RawDatabase(path: directory.databasePath)
        let query = """
            SELECT task_func_name, task_memoize, task_hashsum, task_depends, task_executor, task_time_invoked,
                   task_time_returned, task_fail_count, task_status_name, task_fail_message
            FROM task WHERE run_id = '\(self.runID)' AND task_id = 3
            """
        #expect(try db.rows(query) == [["rasterize", "1", "abc123", "1,2", "htex", "100.0", nil, "0", nil, nil]])

        store.taskEnded(
            runID: self.runID,
            taskID: 3,
            time: 105.5,
            failCount: 2,
            failCost: 2,
            finalState: .failed,
            failure: "boom"
        )
        store.flush()
        #expect(
            try db.rows(query) == [
                ["rasterize", "1", "abc123", "1,2", "htex", "100.0", "105.5", "2", "failed", "boom"]
            ]
        )
        // Submit and end imply the first and last status rows; with no try seen, the final row is try 0.
        #expect(
            try db.rows("SELECT try_id, task_status_name, timestamp FROM status WHERE task_id = 3 ORDER BY timestamp")
                == [["0", "pending", "100.0"], ["0", "failed", "105.5"]]
        )
    }

    /// Records the kernel's calls for four tasks: a plain one, one retried once, a memoized one and a
    /// dependency failure. `flushBetweenCalls` puts every call in a batch of its own.
    private func recordLifecycles(_ store: MonitoringStore, flushBetweenCalls: Bool) {
        let run = self.runID
        var time = 0.0
        func step(_ record: () -> Void) {
            record()
            time += 1
            if flushBetweenCalls { store.flush() }
        }
        func submit(_ task: Int, memoize: Bool = false) {
            step {
                store.taskSubmitted(
                    runID: run, taskID: task, appName: "app", memoize: memoize, hashsum: nil,
                    dependsOn: task == 4 ? [3] : [], executor: "local", time: time)
            }
        }
        func runTry(_ task: Int, _ tryID: Int, failure: String?) {
            step { store.tryLaunched(runID: run, taskID: task, tryID: tryID, executor: "local", time: time) }
            step { store.tryRunning(runID: run, taskID: task, tryID: tryID, hostname: "h", blockID: nil, time: time) }
            step { store.tryReturned(runID: run, taskID: task, tryID: tryID, time: time, failure: failure) }
        }
        func end(_ task: Int, _ state: TaskState, failCount: Int = 0, failure: String? = nil) {
            step {
                store.taskEnded(
                    runID: run, taskID: task, time: time, failCount: failCount, failCost: Double(failCount),
                    finalState: state, failure: failure)
            }
        }
        submit(1)
        runTry(1, 0, failure: nil)
        end(1, .execDone)
        submit(2)
        runTry(2, 0, failure: "boom")
        step { store.taskState(runID: run, taskID: 2, tryID: 0, state: .failRetryable, time: time) }
        runTry(2, 1, failure: nil)
        end(2, .execDone, failCount: 1)
        submit(3, memoize: true)
        end(3, .memoDone)
        submit(4)
        end(4, .depFail, failure: "Dependency failure")
        store.flush()
    }

    @Test(arguments: [false, true])
    func theKernelsFiveCallsImplyTheirStatusRows(flushBetweenCalls: Bool) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        defer { store.close() }
        self.recordLifecycles(store, flushBetweenCalls: flushBetweenCalls)

        let db = try RawDatabase(path: directory.databasePath)
        let status = try db.rows("SELECT task_id, try_id, task_status_name, timestamp FROM status ORDER BY timestamp")
        let expected: [[String?]] = [
            ["1", "0", "pending", "0.0"], ["1", "0", "launched", "1.0"], ["1", "0", "running", "2.0"],
            ["1", "0", "exec_done", "4.0"],
            ["2", "0", "pending", "5.0"], ["2", "0", "launched", "6.0"], ["2", "0", "running", "7.0"],
            ["2", "0", "fail_retryable", "9.0"], ["2", "1", "launched", "10.0"], ["2", "1", "running", "11.0"],
            ["2", "1", "exec_done", "13.0"],
            ["3", "0", "pending", "14.0"], ["3", "0", "memo_done", "15.0"],
            ["4", "0", "pending", "16.0"], ["4", "0", "dep_fail", "17.0"],
        ]
        #expect(status == expected)
        #expect(
            try db.rows(
                """
                SELECT task_id, task_memoize, task_depends, task_time_invoked, task_time_returned, task_fail_count,
                       task_status_name, task_fail_message
                FROM task ORDER BY task_id
                """
            ) == [
                ["1", "0", "", "0.0", "4.0", "0", "exec_done", nil],
                ["2", "0", "", "5.0", "13.0", "1", "exec_done", nil],
                ["3", "1", "", "14.0", "15.0", "0", "memo_done", nil],
                ["4", "0", "3", "16.0", "17.0", "0", "dep_fail", "Dependency failure"],
            ]
        )
        #expect(
            try db.rows(
                """
                SELECT task_id, try_id, task_executor, hostname, task_try_time_launched, task_try_time_running,
                       task_try_time_returned, task_fail_history
                FROM try ORDER BY task_id, try_id
                """
            ) == [
                ["1", "0", "local", "h", "1.0", "2.0", "3.0", nil],
                ["2", "0", "local", "h", "6.0", "7.0", "8.0", "boom"],
                ["2", "1", "local", "h", "10.0", "11.0", "12.0", nil],
            ]
        )
        #expect(
            try db.rows("SELECT task_status_name FROM task_current_status ORDER BY task_id").map { $0[0] } == [
                "exec_done", "exec_done", "memo_done", "dep_fail",
            ])
        #expect(store.droppedEvents == 0)
    }

    @Test func manyTasksInOneBatchAreMergedIntoOneRowEach() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // One batch larger than the writer's merge window and not a multiple of its rows per statement.
        let store = try MonitoringStore(path: directory.databasePath, configuration: .init(flushInterval: .seconds(60)))
        defer { store.close() }
        let tasks = 5_003
        for task in 0..<tasks {
            let time = Double(task)
            store.taskSubmitted(
                runID: self.runID, taskID: task, appName: "noop", memoize: false, hashsum: nil,
                dependsOn: task > 0 ? [task - 1, -7] : [], executor: "local", time: time)
            store.tryLaunched(runID: self.runID, taskID: task, tryID: 0, executor: "local", time: time)
            store.tryRunning(runID: self.runID, taskID: task, tryID: 0, hostname: "h", blockID: "b", time: time)
            store.tryReturned(runID: self.runID, taskID: task, tryID: 0, time: time, failure: nil)
            store.taskEnded(
                runID: self.runID, taskID: task, time: time + 0.5, failCount: 0, failCost: 0,
                finalState: .execDone, failure: nil)
        }
        store.flush()
        let db = try RawDatabase(path: directory.databasePath)
        #expect(try db.scalar("SELECT count(*) FROM status") == String(4 * tasks))
        #expect(try db.scalar("SELECT count(*) FROM task WHERE task_status_name = 'exec_done'") == String(tasks))
        #expect(try db.scalar("SELECT count(*) FROM try WHERE task_try_time_returned IS NOT NULL") == String(tasks))
        #expect(try db.scalar("SELECT task_depends FROM task WHERE task_id = 4321") == "4320,-7")
        #expect(
            try db.scalar("SELECT count(*) FROM task_current_status WHERE task_status_name = 'exec_done'")
                == String(tasks))
        // Every task's rows are pending, launched, running, exec_done; only the explicit calls are stored.
        #expect(try db.scalar("SELECT count(*) FROM status_event") == "0")
        // One batch saw each task's whole life: one `task_done` row each, nothing else.
        #expect(try db.scalar("SELECT count(*) FROM task_done") == String(tasks))
        #expect(try db.scalar("SELECT (SELECT count(*) FROM task_submit) + (SELECT count(*) FROM try_end)") == "0")
        let out = try db.scalar(
            """
            SELECT count(*) FROM (SELECT task_id, group_concat(task_status_name) AS states
                                  FROM (SELECT * FROM status \(statusLifecycleOrder)) GROUP BY task_id)
            WHERE states != 'pending,launched,running,exec_done'
            """
        )
        #expect(out == "0")
    }

    @Test func tryRowCollectsLaunchRunningAndReturnInAnyOrder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        defer { store.close() }
        // The worker's "running" may arrive before the kernel's "launched".
        store.tryRunning(runID: self.runID, taskID: 1, tryID: 0, hostname: "node-a", blockID: "0", time: 11)
        store.tryLaunched(runID: self.runID, taskID: 1, tryID: 0, executor: "htex", time: 10)
        store.tryReturned(runID: self.runID, taskID: 1, tryID: 0, time: 12, failure: "ValueError: bad tile")
        store.tryLaunched(runID: self.runID, taskID: 1, tryID: 1, executor: "htex", time: 13)
        store.tryRunning(runID: self.runID, taskID: 1, tryID: 1, hostname: nil, blockID: nil, time: 14)
        store.tryReturned(runID: self.runID, taskID: 1, tryID: 1, time: 15, failure: nil)
        store.flush()

        let rows = try RawDatabase(path: directory.databasePath).rows(
            """
            SELECT try_id, task_executor, hostname, block_id, task_try_time_launched, task_try_time_running,
                   task_try_time_returned, task_fail_history
            FROM try WHERE task_id = 1 ORDER BY try_id
            """
        )
        #expect(
            rows == [
                ["0", "htex", "node-a", "0", "10.0", "11.0", "12.0", "ValueError: bad tile"],
                ["1", "htex", nil, nil, "13.0", "14.0", "15.0", nil],
            ]
        )
    }

    @Test func workflowBlockAndNodeRowsAreRecorded() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        store.workflowStarted(
            runID: self.runID,
            workflowName: "viz",
            workflowVersion: "1.2",
            runDirectory: "/runs/000",
            time: 50
        )
        store.blockStatus(
            runID: self.runID,
            blockID: "0",
            executor: "htex",
            jobID: "job-1",
            status: "PENDING",
            reason: nil,
            time: 51
        )
        store.blockStatus(
            runID: self.runID,
            blockID: "0",
            executor: "htex",
            jobID: "job-1",
            status: "FAILED",
            reason: "OOMKilled",
            time: 52
        )
        store.node(
            runID: self.runID,
            hostname: "node-a",
            blockID: "0",
            workerID: "a1b2c3",
            workerCount: 4,
            active: true,
            time: 53
        )
        store.workflowEnded(runID: self.runID, time: 60, tasksCompleted: 9, tasksFailed: 1)
        store.close()

        let db = try RawDatabase(path: directory.databasePath)
        #expect(
            try db.rows(
                """
                SELECT workflow_name, workflow_version, rundir, time_began, time_completed, tasks_completed_count,
                       tasks_failed_count, host IS NOT NULL FROM workflow WHERE run_id = '\(self.runID)'
                """
            ) == [["viz", "1.2", "/runs/000", "50.0", "60.0", "9", "1", "1"]]
        )
        #expect(
            try db.rows("SELECT status, reason, job_id FROM block ORDER BY timestamp") == [
                ["PENDING", nil, "job-1"], ["FAILED", "OOMKilled", "job-1"],
            ]
        )
        #expect(
            try db.rows("SELECT hostname, uid, block_id, worker_count, active FROM node") == [
                ["node-a", "a1b2c3", "0", "4", "1"]
            ]
        )
        #expect(try db.scalar("SELECT time_began_utc FROM workflow_utc") == "1970-01-01 00:00:50.000")
    }

    @Test func flushMakesEverythingRecordedSoFarVisible() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // A long interval and a big batch: without flush() nothing would be written for a minute.
        let configuration = MonitoringStore.Configuration(flushInterval: .seconds(60), batchSize: 1_000_000)
        let store = try MonitoringStore(path: directory.databasePath, configuration: configuration)
        defer { store.close() }
        for task in 0..<1_000 {
            store.taskState(runID: self.runID, taskID: task, tryID: 0, state: .pending, time: Double(task))
        }
        let db = try RawDatabase(path: directory.databasePath)
        #expect(try db.scalar("SELECT count(*) FROM status") == "0")
        store.flush()
        #expect(try db.scalar("SELECT count(*) FROM status") == "1000")
        store.flush()  // nothing pending: returns at once
        #expect(try db.scalar("SELECT count(*) FROM status") == "1000")
    }

    @Test func closeIsIdempotentAndLaterCallsAreIgnored() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath, configuration: .init(flushInterval: .seconds(60)))
        store.taskState(runID: self.runID, taskID: 1, tryID: 0, state: .pending, time: 1)
        store.close()  // flushes
        store.close()
        store.taskState(runID: self.runID, taskID: 2, tryID: 0, state: .pending, time: 2)
        store.flush()
        store.close()
        #expect(try RawDatabase(path: directory.databasePath).scalar("SELECT count(*) FROM status") == "1")
        #expect(store.droppedEvents == 0)
        #expect(store.lastError == nil)
    }

    @Test func badPathThrowsMonitoringErrorNamingThePath() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // A regular file where a directory should be: neither the directory nor the database can be created.
        let blocker = directory.url.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: blocker)
        let path = blocker.appendingPathComponent("run/monitoring.db").path

        let error = try #require(throws: MonitoringError.self) {
            _ = try MonitoringStore(path: path)
        }
        #expect(error.code == .openFailed)
        #expect(error.message.contains(path))
        #expect(error.description.contains(path))

        let readError = try #require(throws: MonitoringError.self) {
            _ = try StatusReport.load(databasePath: directory.url.appendingPathComponent("missing.db").path)
        }
        #expect(readError.code == .openFailed)
        #expect(readError.message.contains("missing.db"))
    }

    @Test func backpressureWithATinyBufferStillLandsEveryRow() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configuration = MonitoringStore.Configuration(
            flushInterval: .milliseconds(5),
            maxBufferedEvents: 8,
            batchSize: 4
        )
        let store = try MonitoringStore(path: directory.databasePath, configuration: configuration)
        let producers = 4
        let perProducer = 5_000
        let runID = self.runID
        DispatchQueue.concurrentPerform(iterations: producers) { producer in
            for index in 0..<perProducer {
                let task = producer * perProducer + index
                store.taskState(runID: runID, taskID: task, tryID: 0, state: .pending, time: Double(task))
            }
        }
        store.close()

        let db = try RawDatabase(path: directory.databasePath)
        #expect(try db.scalar("SELECT count(*) FROM status") == String(producers * perProducer))
        #expect(try db.scalar("SELECT count(DISTINCT task_id) FROM status") == String(producers * perProducer))
        #expect(store.droppedEvents == 0)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["MONITORING_BENCHMARK"] != nil))
    func writeRateBenchmarkPrintsStatusRowsPerSecond() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        let rows = 1_000_000
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<rows {
            store.taskState(runID: self.runID, taskID: index / 4, tryID: 0, state: .launched, time: Double(index))
        }
        store.flush()
        let elapsed = (clock.now - start) / .seconds(1)
        store.close()
        print("monitoring benchmark: \(rows) status rows in \(elapsed) s = \(Int(Double(rows) / elapsed)) rows/s")
    }
}
