import DataflowMonitoring
import Foundation
import Testing

/// Schema v4: `task` is a view over `task_submit` and `task_end`, `try` over `try_launch` and `try_end`, each
/// row inserted once in the usual case, and v2 databases (where both were tables updated in place) are
/// upgraded in place (v3 differs from v2 only by two new tables, which the upgrade creates).
struct TaskViewTests {
    let runID = "3f2a9c1e-0000-4000-8000-000000000003"

    @Test func submissionAndEndAreTwoInsertsAndTheViewJoinsThem() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.databasePath
        let store = try MonitoringStore(path: path)
        let run = self.runID
        store.workflowStarted(runID: run, workflowName: "w", workflowVersion: "1", runDirectory: "/r", time: 1)
        store.taskSubmitted(
            runID: run, taskID: 1, appName: "a", memoize: true, hashsum: "ab12", dependsOn: [7, 8],
            executor: "local", time: 10)
        store.taskSubmitted(
            runID: run, taskID: 2, appName: "b", memoize: false, hashsum: nil, dependsOn: [], executor: "local",
            time: 20)
        store.tryLaunched(runID: run, taskID: 1, tryID: 0, executor: "local", time: 11)
        // The end of task 1 in a later commit than its submission: still an insert, never an update.
        store.flush()
        store.taskEnded(
            runID: run, taskID: 1, time: 14, failCount: 1, failCost: 1.5, finalState: .failed, failure: "boom")
        store.close()

        let db = try RawDatabase(path: path)
        #expect(try db.scalar("SELECT type FROM sqlite_master WHERE name = 'task'") == "view")
        #expect(try db.scalar("SELECT count(*) FROM task_submit") == "2")
        #expect(try db.scalar("SELECT count(*) FROM task_end") == "1")
        // Parsl's columns, in the table's order, with 0 fail count and cost until a task ends.
        #expect(
            try db.rows("SELECT * FROM task ORDER BY task_id") == [
                ["1", run, "7,8", "a", "1", "ab12", "local", "10.0", "14.0", "1", "1.5", "failed", "boom", "0"],
                ["2", run, "", "b", "0", nil, "local", "20.0", nil, "0", "0.0", nil, nil, nil],
            ]
        )
        #expect(
            try db.rows("SELECT task_id, task_status_name FROM task_current_status ORDER BY task_id") == [
                ["1", "failed"], ["2", "pending"],
            ]
        )
        let report = try StatusReport.load(databasePath: path, runID: run)
        #expect(report.totals == ["failed": 1, "pending": 1])
        #expect(report.failures.map(\.message) == ["boom"])
    }

    @Test func aTrysLaunchAndItsRunAreTwoRowsAndTheViewJoinsThem() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.databasePath
        let store = try MonitoringStore(path: path)
        let run = self.runID
        store.tryLaunched(runID: run, taskID: 1, tryID: 0, executor: "htex", time: 11)
        store.flush()
        // Running and returned in a later commit than the launch (the usual case in a burst).
        store.tryRunning(runID: run, taskID: 1, tryID: 0, hostname: "node1", blockID: "0", time: 12)
        store.tryReturned(runID: run, taskID: 1, tryID: 0, time: 13, failure: "boom")
        // A worker's report before the leader's launch: a try known only from its run, then completed.
        store.tryRunning(runID: run, taskID: 2, tryID: 0, hostname: "node2", blockID: nil, time: 22)
        store.flush()
        store.tryLaunched(runID: run, taskID: 2, tryID: 0, executor: "htex", time: 21)
        store.tryRunning(runID: run, taskID: 3, tryID: 1, hostname: "node3", blockID: nil, time: 32)
        store.close()

        let db = try RawDatabase(path: path)
        #expect(try db.scalar("SELECT count(*) FROM try_launch") == "2")
        #expect(try db.scalar("SELECT count(*) FROM try_end") == "3")
        #expect(
            try db.rows("SELECT * FROM try ORDER BY task_id, try_id") == [
                ["0", "1", run, "0", "node1", "htex", "11.0", "12.0", "13.0", "boom"],
                ["0", "2", run, nil, "node2", "htex", "21.0", "22.0", nil, nil],
                ["1", "3", run, nil, "node3", nil, nil, "32.0", nil, nil],
            ]
        )
        #expect(
            try db.rows("SELECT task_id, task_status_name, try_id FROM status ORDER BY task_id, timestamp") == [
                ["1", "launched", "0"], ["1", "running", "0"], ["2", "launched", "0"], ["2", "running", "0"],
                ["3", "running", "1"],
            ]
        )
    }

    @Test func anEndWhoseSubmissionWasLostIsNoTask() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.databasePath
        let store = try MonitoringStore(path: path)
        store.taskEnded(
            runID: self.runID, taskID: 9, time: 1, failCount: 0, failCost: 0, finalState: .execDone, failure: nil)
        store.close()
        let db = try RawDatabase(path: path)
        #expect(try db.scalar("SELECT count(*) FROM task_end") == "1")
        #expect(try db.scalar("SELECT count(*) FROM task") == "0")
        #expect(try db.scalar("SELECT count(*) FROM status") == "0")
        #expect(try db.scalar("SELECT count(*) FROM task_current_status") == "0")
    }

    /// The v2 schema as the v2 writer made it (tables, the views that read `task`, version 2).
    static let version2Schema = """
        CREATE TABLE workflow (run_id TEXT PRIMARY KEY NOT NULL, workflow_name TEXT, workflow_version TEXT,
            time_began REAL NOT NULL, time_completed REAL, host TEXT, user TEXT, rundir TEXT,
            tasks_failed_count INTEGER NOT NULL DEFAULT 0, tasks_completed_count INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE task (task_id INTEGER NOT NULL, run_id TEXT NOT NULL, task_depends TEXT,
            task_func_name TEXT NOT NULL, task_memoize INTEGER NOT NULL DEFAULT 0, task_hashsum TEXT,
            task_executor TEXT, task_time_invoked REAL, task_time_returned REAL,
            task_fail_count INTEGER NOT NULL DEFAULT 0, task_fail_cost REAL NOT NULL DEFAULT 0,
            task_status_name TEXT, task_fail_message TEXT, task_final_try_id INTEGER,
            PRIMARY KEY (run_id, task_id)) WITHOUT ROWID;
        CREATE INDEX task_hashsum_idx ON task (task_hashsum) WHERE task_hashsum IS NOT NULL;
        CREATE TABLE try (try_id INTEGER NOT NULL, task_id INTEGER NOT NULL, run_id TEXT NOT NULL, block_id TEXT,
            hostname TEXT, task_executor TEXT, task_try_time_launched REAL, task_try_time_running REAL,
            task_try_time_returned REAL, task_fail_history TEXT, PRIMARY KEY (run_id, task_id, try_id)) WITHOUT ROWID;
        CREATE TABLE status_event (task_id INTEGER NOT NULL, run_id TEXT NOT NULL, task_status_name TEXT NOT NULL,
            timestamp REAL NOT NULL, try_id INTEGER NOT NULL);
        CREATE INDEX status_event_task_idx ON status_event (run_id, task_id);
        CREATE TABLE block (run_id TEXT NOT NULL, block_id TEXT NOT NULL, executor_label TEXT NOT NULL, job_id TEXT,
            status TEXT NOT NULL, reason TEXT, timestamp REAL NOT NULL);
        CREATE TABLE node (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, hostname TEXT NOT NULL, uid TEXT NOT NULL,
            block_id TEXT, worker_count INTEGER NOT NULL, active INTEGER NOT NULL, timestamp REAL NOT NULL);
        CREATE TABLE file_check (run_id TEXT NOT NULL, task_id INTEGER NOT NULL, reason TEXT NOT NULL,
            path TEXT NOT NULL, timestamp REAL NOT NULL);
        CREATE VIEW status AS
            SELECT task_id, run_id, 'pending' AS task_status_name, task_time_invoked AS timestamp, 0 AS try_id
            FROM task WHERE task_time_invoked IS NOT NULL
            UNION ALL
            SELECT task_id, run_id, 'launched', task_try_time_launched, try_id FROM try
            WHERE task_try_time_launched IS NOT NULL
            UNION ALL
            SELECT task_id, run_id, 'running', task_try_time_running, try_id FROM try
            WHERE task_try_time_running IS NOT NULL
            UNION ALL
            SELECT task_id, run_id, task_status_name, timestamp, try_id FROM status_event
            UNION ALL
            SELECT task_id, run_id, task_status_name, task_time_returned, coalesce(task_final_try_id, 0)
            FROM task WHERE task_status_name IS NOT NULL;
        CREATE VIEW workflow_utc AS SELECT run_id, workflow_name FROM workflow;
        PRAGMA user_version=2;
        """

    private func writeVersion2Database(_ path: String) throws {
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        let db = try RawDatabase(path: path, writable: true)
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute(Self.version2Schema)
        let run = self.runID
        try db.execute(
            """
            BEGIN;
            INSERT INTO workflow (run_id, workflow_name, time_began) VALUES ('\(run)', 'old', 1);
            INSERT INTO task (run_id, task_id, task_func_name, task_depends, task_memoize, task_hashsum,
                              task_executor, task_time_invoked, task_time_returned, task_fail_count,
                              task_fail_cost, task_status_name, task_fail_message, task_final_try_id) VALUES
                ('\(run)', 1, 'a', '', 1, 'ff00', 'local', 10, 14, 0, 0, 'exec_done', NULL, 0),
                ('\(run)', 2, 'a', '1', 0, NULL, 'local', 20, 28, 1, 1, 'exec_done', NULL, 1),
                ('\(run)', 4, 'b', '2', 0, NULL, 'local', 40, NULL, 0, 0, NULL, NULL, NULL),
                ('\(run)', 5, 'b', '4', 0, NULL, 'local', 50, 51, 0, 0, 'dep_fail', 'Dependency failure', 0);
            INSERT INTO try (run_id, task_id, try_id, task_executor, hostname, task_try_time_launched,
                             task_try_time_running, task_try_time_returned, task_fail_history) VALUES
                ('\(run)', 1, 0, 'local', 'h', 11, 12, 13, NULL),
                ('\(run)', 2, 0, 'local', 'h', 21, 22, 23, 'boom'),
                ('\(run)', 2, 1, 'local', 'h', 25, 26, 27, NULL),
                ('\(run)', 4, 0, 'local', 'h', 41, 42, NULL, NULL);
            INSERT INTO status_event (run_id, task_id, try_id, task_status_name, timestamp) VALUES
                ('\(run)', 2, 0, 'fail_retryable', 24);
            COMMIT;
            """
        )
    }

    @Test func aVersion2DatabaseIsUpgradedAndShowsTheSameTaskAndStatusRows() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.databasePath
        try self.writeVersion2Database(path)
        let statusColumns = "task_id, run_id, task_status_name, timestamp, try_id"
        let tasksBefore = try RawDatabase(path: path).rows("SELECT * FROM task ORDER BY task_id")
        let triesBefore = try RawDatabase(path: path).rows("SELECT * FROM try ORDER BY task_id, try_id")
        let statusBefore = try RawDatabase(path: path).rows("SELECT \(statusColumns) FROM status ORDER BY \(statusColumns)")
        #expect(tasksBefore.count == 4)
        // A reader of an old file (a snapshot published by an older leader) reads its tables as they are.
        let reportBefore = try StatusReport.load(databasePath: path, runID: self.runID)
        #expect(reportBefore.totals == ["exec_done": 2, "running": 1, "dep_fail": 1])
        #expect(reportBefore.failures.map(\.taskID) == [2, 5])
        #expect(statusBefore.count == 16)

        let store = try MonitoringStore(path: path)
        store.close()
        let db = try RawDatabase(path: path)
        #expect(try db.scalar("PRAGMA user_version") == "5")
        // v5's whole-life table too, empty: the old rows stay where the upgrade to v4 put them.
        #expect(try db.scalar("SELECT count(*) FROM task_done") == "0")
        #expect(try db.scalar("SELECT type FROM sqlite_master WHERE name = 'task'") == "view")
        #expect(try db.rows("SELECT * FROM task ORDER BY task_id") == tasksBefore)
        #expect(try db.scalar("SELECT type FROM sqlite_master WHERE name = 'try'") == "view")
        #expect(try db.rows("SELECT * FROM try ORDER BY task_id, try_id") == triesBefore)
        #expect(try db.scalar("SELECT count(*) FROM try_launch") == "4")
        #expect(try db.scalar("SELECT count(*) FROM try_end") == "4")
        #expect(try db.rows("SELECT \(statusColumns) FROM status ORDER BY \(statusColumns)") == statusBefore)
        #expect(try db.scalar("SELECT count(*) FROM task_submit") == "4")
        #expect(try db.scalar("SELECT count(*) FROM task_end") == "3")
        #expect(try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'task_hashsum_idx'") == "0")
        // The hash index moved to the new table, and queries by hash use it.
        let plan = try db.rows("EXPLAIN QUERY PLAN SELECT task_id FROM task_submit WHERE task_hashsum = 'ff00'")
        #expect(plan.contains { row in row.contains { $0?.contains("task_submit_hashsum_idx") == true } })
        #expect(
            try db.rows("SELECT task_id, task_status_name, try_id FROM task_current_status ORDER BY task_id") == [
                ["1", "exec_done", "0"], ["2", "exec_done", "1"], ["4", "running", "0"], ["5", "dep_fail", "0"],
            ]
        )

        let upgraded = try StatusReport.load(databasePath: path, runID: self.runID)
        #expect(upgraded.totals == reportBefore.totals)
        #expect(upgraded.failures == reportBefore.failures)

        // The upgraded database takes new rows and reports on old and new ones alike; reopening is a no-op.
        let again = try MonitoringStore(path: path)
        again.taskEnded(
            runID: self.runID, taskID: 4, time: 43, failCount: 0, failCost: 0, finalState: .execDone,
            failure: nil)
        again.close()
        let report = try StatusReport.load(databasePath: path, runID: self.runID)
        #expect(report.totals == ["exec_done": 3, "dep_fail": 1])
        #expect(report.failures.map(\.taskID) == [2, 5])
        #expect(try db.scalar("SELECT task_status_name FROM task WHERE task_id = 4") == "exec_done")
        #expect(try db.scalar("SELECT count(*) FROM status") == "17")
    }
}
