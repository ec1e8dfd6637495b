import Foundation

/// Runs the queries behind ``StatusReport/load(databasePath:runID:failureLimit:)`` on a read-only connection.
struct StatusReportLoader {
    let connection: SQLiteConnection

    init(path: String, immutable: Bool = false) throws(MonitoringError) {
        // Read-only never creates the file, so a wrong path is an error rather than an empty database.
        self.connection = try SQLiteConnection(path: path, readOnly: true, immutable: immutable)
    }

    /// Where the task and try columns are: the `task` and `try` tables (schema v2 and v3), or the tables the
    /// v4 and v5 views join. The views are for people; these queries read the tables, because through the
    /// views SQLite could not use their keys for the per-task lookups (a 300,000-task run's counts took 4.3 s
    /// instead of 0.3 s).
    struct Layout {
        /// The task rows, as `t` (submission columns).
        var taskTable: String
        /// Joins the end columns in, as `d` (nothing when `t` has them).
        var endJoin: String
        /// The alias with the end columns (`task_status_name`, `task_fail_message`).
        var end: String
        /// The tables with a try's launch columns and with the rest of it.
        var launches: String
        var runs: String
        /// Schema v5: whole lives are rows of `task_done`, apart from the tables above. Every such task has
        /// ended, so its current state is its final one.
        var lives = false

        /// Schema v2 and v3: `task` and `try` are tables.
        static let tables = Layout(taskTable: "task", endJoin: "", end: "t", launches: "try", runs: "try")
        /// Schema v4: submissions and ends, launches and runs are rows of their own.
        static let split = Layout(
            taskTable: "task_submit",
            endJoin: "LEFT JOIN task_end AS d ON d.run_id = t.run_id AND d.task_id = t.task_id",
            end: "d",
            launches: "try_launch",
            runs: "try_end"
        )

        /// The layout of the database behind `connection`.
        static func of(_ connection: SQLiteConnection) throws(MonitoringError) -> Layout {
            let tables = try connection.scalarText(
                """
                SELECT group_concat(name) FROM (SELECT name FROM sqlite_master
                    WHERE type = 'table' AND name IN ('task_submit', 'task_done') ORDER BY name)
                """
            )
            switch tables {
            case "task_done,task_submit":
                var layout = Layout.split
                layout.lives = true
                return layout
            case "task_submit": return .split
            default: return .tables
            }
        }

        /// The current state of task `t`: its final state if it ended, else its latest row in the `status`
        /// view, ordered as in `task_current_status` (see ``MonitoringStore/unfinishedStatusRowsSQL``).
        /// Unfinished tasks only: each costs a few key lookups, and ended tasks (most of a finished run)
        /// none.
        var currentStateSQL: String {
            """
            coalesce(\(end).task_status_name, (
                SELECT task_status_name FROM (
                    SELECT 'pending' AS task_status_name, t.task_time_invoked AS timestamp, 0 AS try_id, 0 AS rank,
                           0 AS seq
                    UNION ALL
                    SELECT 'launched', y.task_try_time_launched, y.try_id, 1, 0 FROM \(launches) AS y
                    WHERE y.run_id = t.run_id AND y.task_id = t.task_id AND y.task_try_time_launched IS NOT NULL
                    UNION ALL
                    SELECT 'running', y.task_try_time_running, y.try_id, 2, 0 FROM \(runs) AS y
                    WHERE y.run_id = t.run_id AND y.task_id = t.task_id AND y.task_try_time_running IS NOT NULL
                    UNION ALL
                    SELECT e.task_status_name, e.timestamp, e.try_id, 3, e.rowid FROM status_event AS e
                    WHERE e.run_id = t.run_id AND e.task_id = t.task_id
                )
                ORDER BY try_id DESC, timestamp DESC, rank DESC, seq DESC LIMIT 1))
            """
        }

        var countsSQL: String {
            let tasks = """
                SELECT t.task_func_name AS app, \(currentStateSQL) AS state
                FROM \(taskTable) AS t \(endJoin)
                WHERE t.run_id = ?1
                """
            guard self.lives else { return "SELECT app, state, count(*) FROM (\(tasks)) GROUP BY 1, 2" }
            return """
                SELECT app, state, count(*) FROM (
                    \(tasks)
                    UNION ALL
                    SELECT task_func_name, task_status_name FROM task_done WHERE run_id = ?1
                )
                GROUP BY 1, 2
                """
        }

        /// Failed tries, plus tasks that failed with no failed try (dep_fail, or failures before launch).
        var failuresSQL: String {
            // A whole life's try is its try 0, in its own row (with a `running` recorded after its end, in
            // `try_end`).
            let lives =
                self.lives
                ? """
                UNION ALL
                SELECT d.task_id, d.task_func_name, d.try_id, d.task_fail_history, coalesce(y.hostname, d.hostname),
                       d.task_status_name
                FROM task_done AS d
                LEFT JOIN \(runs) AS y ON y.run_id = d.run_id AND y.task_id = d.task_id AND y.try_id = d.try_id
                WHERE d.run_id = ?1 AND d.task_fail_history IS NOT NULL
                UNION ALL
                SELECT task_id, task_func_name, NULL, task_fail_message, NULL, task_status_name
                FROM task_done WHERE run_id = ?1 AND task_fail_message IS NOT NULL AND task_fail_history IS NULL
                """ : ""
            return """
                WITH failure (task_id, task_func_name, try_id, message, hostname, state) AS (
                    SELECT y.task_id, t.task_func_name, y.try_id, y.task_fail_history, y.hostname, \(currentStateSQL)
                    FROM \(runs) AS y
                    JOIN \(taskTable) AS t ON t.run_id = y.run_id AND t.task_id = y.task_id
                    \(endJoin)
                    WHERE y.run_id = ?1 AND y.task_fail_history IS NOT NULL
                    UNION ALL
                    SELECT t.task_id, t.task_func_name, NULL, \(end).task_fail_message, NULL, \(currentStateSQL)
                    FROM \(taskTable) AS t \(endJoin)
                    WHERE t.run_id = ?1 AND \(end).task_fail_message IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM \(runs) AS y WHERE y.run_id = t.run_id AND y.task_id = t.task_id
                                      AND y.task_fail_history IS NOT NULL)
                    \(lives)
                )
                SELECT task_id, task_func_name, try_id, message, hostname, state, count(*) OVER () FROM failure
                ORDER BY task_id, try_id LIMIT ?2
                """
        }
    }

    /// Each block's latest row (the job id from any row, as later rows may not repeat it).
    private static let blocksSQL = """
        SELECT b.executor_label, b.block_id,
               (SELECT j.job_id FROM block AS j WHERE j.run_id = b.run_id AND j.executor_label = b.executor_label
                AND j.block_id = b.block_id AND j.job_id IS NOT NULL LIMIT 1),
               b.status, b.reason, b.timestamp
        FROM block AS b
        WHERE b.run_id = ?1 AND b.rowid = (SELECT max(l.rowid) FROM block AS l WHERE l.run_id = b.run_id
                                           AND l.executor_label = b.executor_label AND l.block_id = b.block_id)
        ORDER BY b.executor_label, CAST(b.block_id AS INTEGER), b.block_id
        """

    func load(runID: String?, failureLimit: Int) throws(MonitoringError) -> StatusReport {
        // One read transaction: every query sees the same committed snapshot while the writer goes on.
        try self.connection.execute("BEGIN")
        defer { try? self.connection.execute("COMMIT") }

        var report = try self.workflow(runID: runID)
        let layout = try Layout.of(self.connection)
        let counts = try self.connection.prepare(layout.countsSQL)
        counts.bind(1, report.runID)
        while try counts.step() {
            let app = counts.text(0) ?? "?"
            let state = counts.text(1) ?? "?"
            let count = counts.int(2)
            report.countsByApp[app, default: [:]][state, default: 0] += count
            report.totals[state, default: 0] += count
            report.taskCount += count
        }

        let failures = try self.connection.prepare(layout.failuresSQL)
        failures.bind(1, report.runID)
        failures.bind(2, max(0, failureLimit))
        while try failures.step() {
            report.failures.append(
                StatusReport.Failure(
                    taskID: failures.int(0),
                    appName: failures.text(1) ?? "?",
                    tryID: failures.optionalInt(2),
                    message: failures.text(3) ?? "",
                    hostname: failures.text(4),
                    currentState: failures.text(5) ?? "unknown"
                )
            )
            report.failureCount = failures.int(6)
        }

        let blocks = try self.connection.prepare(Self.blocksSQL)
        blocks.bind(1, report.runID)
        while try blocks.step() {
            report.blocks.append(
                StatusReport.Block(
                    executor: blocks.text(0) ?? "?",
                    blockID: blocks.text(1) ?? "?",
                    jobID: blocks.text(2),
                    state: blocks.text(3) ?? "?",
                    reason: blocks.text(4),
                    time: blocks.double(5)
                )
            )
        }
        // Absent in databases written before file checks existed.
        if let reruns = try? self.connection.prepare("SELECT reason, count(*) FROM file_check WHERE run_id = ?1 GROUP BY reason") {
            reruns.bind(1, report.runID)
            while try reruns.step() { report.reruns[reruns.text(0) ?? "?"] = reruns.int(1) }
        }
        // Absent in databases written before partial failures existed (opened read-only, never migrated).
        let hasPartialFailures = try self.connection.scalarText(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'partial_failure'")
        if hasPartialFailures == "1" {
            let partial = try self.connection.prepare(Self.partialFailuresSQL(layout))
            partial.bind(1, report.runID)
            partial.bind(2, max(0, failureLimit))
            while try partial.step() {
                report.partialFailures.append(
                    StatusReport.PartialFailure(
                        taskID: partial.int(0), appName: partial.text(1) ?? "?", item: partial.text(2) ?? "", message: partial.text(3) ?? ""))
                report.partialFailureCount = partial.int(4)
            }
        }
        return report
    }

    /// Items that failed inside successful tasks, with their app, in the order their tasks reported them (the
    /// app from the task table itself, not the view: see ``Layout``).
    private static func partialFailuresSQL(_ layout: Layout) -> String {
        let lives = layout.lives ? "LEFT JOIN task_done AS d ON d.run_id = p.run_id AND d.task_id = p.task_id" : ""
        let app = layout.lives ? "coalesce(t.task_func_name, d.task_func_name, '?')" : "coalesce(t.task_func_name, '?')"
        return """
            SELECT p.task_id, \(app), p.item, p.message, count(*) OVER ()
            FROM partial_failure AS p
            LEFT JOIN \(layout.taskTable) AS t ON t.run_id = p.run_id AND t.task_id = p.task_id
            \(lives)
            WHERE p.run_id = ?1
            ORDER BY p.task_id, p.rowid LIMIT ?2
            """
    }

    /// Reads the run's `workflow` row into an otherwise empty report.
    private func workflow(runID: String?) throws(MonitoringError) -> StatusReport {
        let columns = """
            SELECT run_id, workflow_name, workflow_version, rundir, host, user, time_began, time_completed
            FROM workflow
            """
        let statement: SQLiteStatement
        if let runID {
            statement = try self.connection.prepare(columns + " WHERE run_id = ?1")
            statement.bind(1, runID)
        } else {
            statement = try self.connection.prepare(columns + " ORDER BY time_began DESC, rowid DESC LIMIT 1")
        }
        guard try statement.step() else {
            let which = runID.map { "run '\($0)'" } ?? "any run"
            throw self.connection.error(.notFound, "no workflow row for \(which)")
        }
        return StatusReport(
            runID: statement.text(0) ?? "",
            workflowName: statement.text(1),
            workflowVersion: statement.text(2),
            runDirectory: statement.text(3),
            host: statement.text(4),
            user: statement.text(5),
            started: statement.double(6),
            ended: statement.optionalDouble(7),
            generated: Date().timeIntervalSince1970,
            taskCount: 0,
            countsByApp: [:],
            totals: [:],
            failures: [],
            failureCount: 0
        )
    }
}
