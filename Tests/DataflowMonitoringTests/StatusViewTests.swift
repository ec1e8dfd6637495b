import DataflowMonitoring
import Foundation
import Testing

/// The `status` view (schema v2, and v4 where `task` and `try` are views): state changes derived from the
/// task and try rows plus the explicit ones in `status_event`, the current state per task, and the upgrade
/// of v1 databases (to v4 in one go).
struct StatusViewTests {
    let runID = "3f2a9c1e-0000-4000-8000-000000000002"

    /// `task_current_status` and the report's state for one task.
    private func currentState(_ path: String, task: Int) throws -> (state: String?, tryID: String?, report: [String: Int]) {
        let row = try RawDatabase(path: path).rows(
            "SELECT task_status_name, try_id FROM task_current_status WHERE run_id = '\(self.runID)' AND task_id = \(task)"
        )
        try #require(row.count == 1, "task \(task) has \(row.count) current-status rows")
        return (row[0][0], row[0][1], try StatusReport.load(databasePath: path, runID: self.runID).totals)
    }

    @Test func theFiveCallsStoreNoStatusRowsYetTheViewShowsEveryChange() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        defer { store.close() }
        let run = self.runID
        store.taskSubmitted(
            runID: run, taskID: 1, appName: "a", memoize: false, hashsum: nil, dependsOn: [],
            executor: "local", time: 10)
        store.tryLaunched(runID: run, taskID: 1, tryID: 0, executor: "local", time: 11)
        store.tryRunning(runID: run, taskID: 1, tryID: 0, hostname: "h", blockID: nil, time: 12)
        store.tryReturned(runID: run, taskID: 1, tryID: 0, time: 13, failure: nil)
        store.taskEnded(
            runID: run, taskID: 1, time: 14, failCount: 0, failCost: 0, finalState: .execDone,
            failure: nil)
        store.flush()

        let db = try RawDatabase(path: directory.databasePath)
        #expect(try db.scalar("SELECT count(*) FROM status_event") == "0")
        // `select * from status` has Parsl's columns, in Parsl's order.
        #expect(
            try db.rows("SELECT * FROM status ORDER BY timestamp") == [
                ["1", run, "pending", "10.0", "0"], ["1", run, "launched", "11.0", "0"],
                ["1", run, "running", "12.0", "0"], ["1", run, "exec_done", "14.0", "0"],
            ]
        )
        #expect(
            try db.rows("SELECT task_status_name, time_utc FROM status_utc ORDER BY timestamp").first
                == ["pending", "1970-01-01 00:00:10.000"]
        )
    }

    @Test func currentStateIsTheLatestChangeAndTheFinalStateOnceEnded() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.databasePath
        let store = try MonitoringStore(path: path)
        defer { store.close() }
        let run = self.runID
        store.workflowStarted(runID: run, workflowName: "w", workflowVersion: "1", runDirectory: "/r", time: 0)
        store.taskSubmitted(
            runID: run, taskID: 1, appName: "join", memoize: false, hashsum: nil, dependsOn: [],
            executor: "local", time: 10)
        store.flush()
        #expect(try self.currentState(path, task: 1) == ("pending", "0", ["pending": 1]))

        // Launch and running in the same clock tick: lifecycle order breaks the tie.
        store.tryLaunched(runID: run, taskID: 1, tryID: 0, executor: "local", time: 11)
        store.flush()
        #expect(try self.currentState(path, task: 1) == ("launched", "0", ["launched": 1]))
        store.tryRunning(runID: run, taskID: 1, tryID: 0, hostname: "h", blockID: nil, time: 11)
        store.flush()
        #expect(try self.currentState(path, task: 1) == ("running", "0", ["running": 1]))

        store.tryReturned(runID: run, taskID: 1, tryID: 0, time: 12, failure: "boom")
        store.taskState(runID: run, taskID: 1, tryID: 0, state: .failRetryable, time: 12)
        store.flush()
        #expect(try self.currentState(path, task: 1) == ("fail_retryable", "0", ["fail_retryable": 1]))

        // The next try wins even if its clock says it launched before the previous try failed.
        store.tryLaunched(runID: run, taskID: 1, tryID: 1, executor: "local", time: 11.5)
        store.flush()
        #expect(try self.currentState(path, task: 1) == ("launched", "1", ["launched": 1]))
        store.tryRunning(runID: run, taskID: 1, tryID: 1, hostname: "h", blockID: nil, time: 13)
        store.taskState(runID: run, taskID: 1, tryID: 1, state: .joining, time: 14)
        store.flush()
        #expect(try self.currentState(path, task: 1) == ("joining", "1", ["joining": 1]))

        // Ended is final, even with a (misordered) later explicit row.
        store.taskEnded(
            runID: run, taskID: 1, time: 15, failCount: 1, failCost: 1, finalState: .execDone,
            failure: nil)
        store.taskState(runID: run, taskID: 1, tryID: 1, state: .runningEnded, time: 16)
        store.flush()
        #expect(try self.currentState(path, task: 1) == ("exec_done", "1", ["exec_done": 1]))

        let history = try RawDatabase(path: path).rows(
            "SELECT try_id, task_status_name, timestamp FROM status \(statusLifecycleOrder)"
        )
        #expect(
            history == [
                ["0", "pending", "10.0"], ["0", "launched", "11.0"], ["0", "running", "11.0"],
                ["0", "fail_retryable", "12.0"], ["1", "launched", "11.5"], ["1", "running", "13.0"],
                ["1", "joining", "14.0"], ["1", "exec_done", "15.0"], ["1", "running_ended", "16.0"],
            ]
        )
        #expect(try RawDatabase(path: path).scalar("SELECT count(*) FROM status_event") == "3")
    }

    @Test func currentStatusCoversTasksWithOnlyExplicitRowsAndManyTasks() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        defer { store.close() }
        let run = self.runID
        store.workflowStarted(runID: run, workflowName: "w", workflowVersion: "1", runDirectory: "/r", time: 0)
        for task in 0..<300 {
            store.taskSubmitted(
                runID: run, taskID: task, appName: "a", memoize: false, hashsum: nil, dependsOn: [],
                executor: "local", time: Double(task))
            if task % 3 > 0 {
                store.tryLaunched(runID: run, taskID: task, tryID: 0, executor: "local", time: Double(task) + 0.1)
            }
            if task % 3 == 2 {
                store.taskEnded(
                    runID: run, taskID: task, time: Double(task) + 0.2, failCount: 0, failCost: 0,
                    finalState: .execDone, failure: nil)
            }
        }
        // No task row at all: only taskState calls (as in a database of an older kernel).
        store.taskState(runID: run, taskID: 1_000, tryID: 0, state: .pending, time: 1)
        store.taskState(runID: run, taskID: 1_000, tryID: 0, state: .launched, time: 2)
        store.flush()

        let db = try RawDatabase(path: directory.databasePath)
        #expect(
            try db.rows("SELECT task_status_name, count(*) FROM task_current_status GROUP BY 1 ORDER BY 1") == [
                ["exec_done", "100"], ["launched", "101"], ["pending", "100"],
            ]
        )
        #expect(try db.scalar("SELECT task_func_name IS NULL FROM task_current_status WHERE task_id = 1000") == "1")
        #expect(try db.scalar("SELECT count(*) FROM status") == String(300 + 200 + 100 + 2))
        let report = try StatusReport.load(databasePath: directory.databasePath, runID: run)
        #expect(report.totals == ["exec_done": 100, "launched": 100, "pending": 100])
    }

    /// Parsl's v1 schema as this store wrote it before `status` became a view.
    static let version1Schema = """
        CREATE TABLE workflow (run_id TEXT PRIMARY KEY NOT NULL, workflow_name TEXT, workflow_version TEXT,
            time_began REAL NOT NULL, time_completed REAL, host TEXT, user TEXT, rundir TEXT,
            tasks_failed_count INTEGER NOT NULL DEFAULT 0, tasks_completed_count INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE task (task_id INTEGER NOT NULL, run_id TEXT NOT NULL, task_depends TEXT,
            task_func_name TEXT NOT NULL, task_memoize INTEGER NOT NULL DEFAULT 0, task_hashsum TEXT,
            task_executor TEXT, task_time_invoked REAL, task_time_returned REAL,
            task_fail_count INTEGER NOT NULL DEFAULT 0, task_fail_cost REAL NOT NULL DEFAULT 0,
            task_status_name TEXT, task_fail_message TEXT, PRIMARY KEY (run_id, task_id)) WITHOUT ROWID;
        CREATE INDEX task_hashsum_idx ON task (task_hashsum) WHERE task_hashsum IS NOT NULL;
        CREATE TABLE try (try_id INTEGER NOT NULL, task_id INTEGER NOT NULL, run_id TEXT NOT NULL, block_id TEXT,
            hostname TEXT, task_executor TEXT, task_try_time_launched REAL, task_try_time_running REAL,
            task_try_time_returned REAL, task_fail_history TEXT, PRIMARY KEY (run_id, task_id, try_id)) WITHOUT ROWID;
        CREATE TABLE status (task_id INTEGER NOT NULL, run_id TEXT NOT NULL, task_status_name TEXT NOT NULL,
            timestamp REAL NOT NULL, try_id INTEGER NOT NULL);
        CREATE TABLE block (run_id TEXT NOT NULL, block_id TEXT NOT NULL, executor_label TEXT NOT NULL, job_id TEXT,
            status TEXT NOT NULL, reason TEXT, timestamp REAL NOT NULL);
        CREATE INDEX block_run_idx ON block (run_id, block_id);
        CREATE TABLE node (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, hostname TEXT NOT NULL, uid TEXT NOT NULL,
            block_id TEXT, worker_count INTEGER NOT NULL, active INTEGER NOT NULL, timestamp REAL NOT NULL);
        CREATE VIEW task_current_status AS
            SELECT s.run_id, s.task_id, t.task_func_name, s.task_status_name, s.timestamp, s.try_id
            FROM (SELECT run_id, task_id, task_status_name, timestamp, try_id, max(rowid)
                  FROM status GROUP BY run_id, task_id) AS s
            LEFT JOIN task AS t ON t.run_id = s.run_id AND t.task_id = s.task_id;
        CREATE VIEW status_utc AS
            SELECT task_id, run_id, task_status_name,
                   strftime('%Y-%m-%d %H:%M:%f', timestamp, 'unixepoch') AS time_utc, timestamp, try_id
            FROM status;
        CREATE VIEW workflow_utc AS SELECT run_id, workflow_name FROM workflow;
        PRAGMA user_version=1;
        """

    /// A v1 run as the v1 writer stored it: every state change is a `status` row.
    private func writeVersion1Database(_ path: String) throws {
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        let db = try RawDatabase(path: path, writable: true)
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute(Self.version1Schema)
        let run = self.runID
        try db.execute(
            """
            BEGIN;
            INSERT INTO workflow (run_id, workflow_name, time_began) VALUES ('\(run)', 'old', 1);
            INSERT INTO task (run_id, task_id, task_func_name, task_executor, task_time_invoked, task_time_returned,
                              task_fail_count, task_status_name, task_fail_message) VALUES
                ('\(run)', 1, 'a', 'local', 10, 14, 0, 'exec_done', NULL),
                ('\(run)', 2, 'a', 'local', 20, 28, 1, 'exec_done', NULL),
                ('\(run)', 4, 'b', 'local', 40, NULL, 0, NULL, NULL),
                ('\(run)', 5, 'b', 'local', 50, 51, 0, 'dep_fail', 'Dependency failure');
            INSERT INTO try (run_id, task_id, try_id, task_executor, hostname, task_try_time_launched,
                             task_try_time_running, task_try_time_returned, task_fail_history) VALUES
                ('\(run)', 1, 0, 'local', 'h', 11, 12, 13, NULL),
                ('\(run)', 2, 0, 'local', 'h', 21, 22, 23, 'boom'),
                ('\(run)', 2, 1, 'local', 'h', 25, 26, 27, NULL),
                ('\(run)', 4, 0, 'local', 'h', 41, 42, NULL, NULL);
            INSERT INTO status (run_id, task_id, try_id, task_status_name, timestamp) VALUES
                ('\(run)', 1, 0, 'pending', 10), ('\(run)', 2, 0, 'pending', 20), ('\(run)', 1, 0, 'launched', 11),
                ('\(run)', 1, 0, 'running', 12), ('\(run)', 1, 0, 'exec_done', 14),
                ('\(run)', 2, 0, 'launched', 21), ('\(run)', 2, 0, 'running', 22),
                ('\(run)', 2, 0, 'fail_retryable', 24), ('\(run)', 2, 1, 'launched', 25),
                ('\(run)', 2, 1, 'running', 26), ('\(run)', 2, 1, 'exec_done', 28),
                ('\(run)', 3, 0, 'pending', 30), ('\(run)', 3, 0, 'launched', 31),
                ('\(run)', 4, 0, 'pending', 40), ('\(run)', 4, 0, 'launched', 41), ('\(run)', 4, 0, 'running', 42),
                ('\(run)', 5, 0, 'pending', 50), ('\(run)', 5, 0, 'dep_fail', 51);
            COMMIT;
            """
        )
    }

    @Test func aVersion1DatabaseIsUpgradedAndShowsTheSameStatusRows() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.databasePath
        try self.writeVersion1Database(path)
        let columns = "task_id, run_id, task_status_name, timestamp, try_id"
        let before = try RawDatabase(path: path).rows("SELECT \(columns) FROM status ORDER BY \(columns)")
        let currentBefore = try RawDatabase(path: path).rows(
            "SELECT task_id, task_status_name, try_id FROM task_current_status ORDER BY task_id"
        )
        #expect(before.count == 18)

        let store = try MonitoringStore(path: path)
        store.close()
        let db = try RawDatabase(path: path)
        #expect(try db.scalar("PRAGMA user_version") == "5")
        #expect(try db.scalar("SELECT count(*) FROM task_done") == "0")
        #expect(try db.scalar("SELECT type FROM sqlite_master WHERE name = 'status'") == "view")
        #expect(try db.rows("SELECT \(columns) FROM status ORDER BY \(columns)") == before)
        #expect(
            try db.rows("SELECT task_id, task_status_name, try_id FROM task_current_status ORDER BY task_id")
                == currentBefore
        )
        #expect(currentBefore.map { $0[1] } == ["exec_done", "exec_done", "launched", "running", "dep_fail"])
        // Only what no task or try row implies was kept as rows, in record order.
        #expect(
            try db.rows("SELECT task_id, try_id, task_status_name FROM status_event ORDER BY rowid") == [
                ["2", "0", "fail_retryable"], ["3", "0", "pending"], ["3", "0", "launched"],
            ]
        )
        #expect(try db.scalar("SELECT task_final_try_id FROM task WHERE task_id = 2") == "1")
        #expect(try db.scalar("SELECT count(*) FROM sqlite_master WHERE name LIKE 'status_v1%'") == "0")

        // The upgraded database takes new rows and reports on old and new ones alike; reopening is a no-op.
        let again = try MonitoringStore(path: path)
        again.taskEnded(
            runID: self.runID, taskID: 4, time: 43, failCount: 0, failCost: 0, finalState: .execDone,
            failure: nil)
        again.close()
        let report = try StatusReport.load(databasePath: path, runID: self.runID)
        #expect(report.totals == ["exec_done": 3, "dep_fail": 1])
        #expect(try db.scalar("SELECT count(*) FROM status") == "19")
    }

    @Test func aNewerSchemaIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try MonitoringStore(path: directory.databasePath).close()
        try RawDatabase(path: directory.databasePath, writable: true).execute("PRAGMA user_version=99")
        let error = try #require(throws: MonitoringError.self) {
            _ = try MonitoringStore(path: directory.databasePath)
        }
        #expect(error.code == .schema)
    }
}
