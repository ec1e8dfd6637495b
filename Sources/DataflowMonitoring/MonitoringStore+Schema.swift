extension MonitoringStore {
    /// The schema version stored in `PRAGMA user_version`; bump it when a table changes.
    /// 2: `status` became a view derived from `task`, `try` and `status_event` (see ``statusViewSQL``).
    /// 3: `file_check` and `partial_failure` tables (new tables only; a version-2 file gains them when opened).
    /// 4: `task` and `try` became views over tables that are inserted into, not updated: `task_submit` and
    /// `task_end` (see ``taskViewSQL``), `try_launch` and `try_end` (see ``tryViewSQL``).
    /// 5: `task_done`, a task's whole life in one row when the writer saw all of it in one batch (a new table;
    /// the views read it too, and a v4 file gains it when opened).
    static let schemaVersion = 5

    /// Parsl's monitoring tables, with Parsl's table and column names.
    ///
    /// Differences from Parsl, and why:
    /// - times are REAL unix seconds (Parsl stores datetimes); the `*_utc` views show them as text;
    /// - `task` and `try` are views, not tables (see ``taskViewSQL`` and ``tryViewSQL``): a task's row is
    ///   written in two inserts, one at submission (`task_submit`) and one at its end (`task_end`), and a
    ///   try's in two, at launch (`try_launch`) and when it ran (`try_end`), because updating the row
    ///   written at submission or launch when the task ended (usually in a later batch) was half of the
    ///   writer's time; and a task whose submission, end and only try (try 0, or none) the writer sees in one
    ///   batch is one row of `task_done` instead of those four (most tasks of a busy run: the writer's
    ///   inserts were most of its time); `task_done` has no key: a row appended to a rowid table costs
    ///   about 40% less than one placed by a `(run_id, task_id)` key (the writer's largest cost), so the views
    ///   never look a task up in it row by row (`NOT EXISTS` would scan it per row): they `LEFT JOIN` it,
    ///   for which SQLite builds an automatic index once per query (0.2 s for 300k rows);
    /// - `status` is a view, not a table (see ``statusViewSQL``): the five calls of a task's usual life
    ///   already put every timestamp of its `pending`, `launched`, `running` and final rows into the task and
    ///   `try` rows, so writing them again as rows cost the writer two thirds of its inserts; only states that
    ///   no other row implies (`fail_retryable`, `joining`, ...) are stored, in `status_event`;
    /// - `task` gains `task_executor`, `task_status_name` (final state), `task_fail_message` and
    ///   `task_final_try_id` (the try of the final `status` row), and `block` gains `reason`, so a status
    ///   report needs no other source;
    /// - columns we never fill (stdin/stdout paths, resource samples, python versions) are left out.
    static let tablesSQL = """
        CREATE TABLE IF NOT EXISTS workflow (
            run_id TEXT PRIMARY KEY NOT NULL,
            workflow_name TEXT,
            workflow_version TEXT,
            time_began REAL NOT NULL,
            time_completed REAL,
            host TEXT,
            user TEXT,
            rundir TEXT,
            tasks_failed_count INTEGER NOT NULL DEFAULT 0,
            tasks_completed_count INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS task_submit (
            task_id INTEGER NOT NULL,
            run_id TEXT NOT NULL,
            task_depends TEXT,
            task_func_name TEXT NOT NULL,
            task_memoize INTEGER NOT NULL DEFAULT 0,
            task_hashsum TEXT,
            task_executor TEXT,
            task_time_invoked REAL,
            PRIMARY KEY (run_id, task_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS task_submit_hashsum_idx ON task_submit (task_hashsum)
            WHERE task_hashsum IS NOT NULL;
        CREATE TABLE IF NOT EXISTS task_end (
            task_id INTEGER NOT NULL,
            run_id TEXT NOT NULL,
            task_time_returned REAL,
            task_fail_count INTEGER NOT NULL DEFAULT 0,
            task_fail_cost REAL NOT NULL DEFAULT 0,
            task_status_name TEXT NOT NULL,
            task_fail_message TEXT,
            task_final_try_id INTEGER,
            PRIMARY KEY (run_id, task_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS try_launch (
            try_id INTEGER NOT NULL,
            task_id INTEGER NOT NULL,
            run_id TEXT NOT NULL,
            task_executor TEXT,
            task_try_time_launched REAL,
            PRIMARY KEY (run_id, task_id, try_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS try_end (
            try_id INTEGER NOT NULL,
            task_id INTEGER NOT NULL,
            run_id TEXT NOT NULL,
            block_id TEXT,
            hostname TEXT,
            task_try_time_running REAL,
            task_try_time_returned REAL,
            task_fail_history TEXT,
            PRIMARY KEY (run_id, task_id, try_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS task_done (
            task_id INTEGER NOT NULL,
            run_id TEXT NOT NULL,
            task_depends TEXT,
            task_func_name TEXT NOT NULL,
            task_memoize INTEGER NOT NULL DEFAULT 0,
            task_hashsum TEXT,
            task_executor TEXT,
            task_time_invoked REAL,
            task_time_returned REAL,
            task_fail_count INTEGER NOT NULL DEFAULT 0,
            task_fail_cost REAL NOT NULL DEFAULT 0,
            task_status_name TEXT NOT NULL,
            task_fail_message TEXT,
            try_id INTEGER,
            try_executor TEXT,
            task_try_time_launched REAL,
            hostname TEXT,
            block_id TEXT,
            task_try_time_running REAL,
            task_try_time_returned REAL,
            task_fail_history TEXT
        );
        CREATE INDEX IF NOT EXISTS task_done_hashsum_idx ON task_done (task_hashsum)
            WHERE task_hashsum IS NOT NULL;
        CREATE TABLE IF NOT EXISTS status_event (
            task_id INTEGER NOT NULL,
            run_id TEXT NOT NULL,
            task_status_name TEXT NOT NULL,
            timestamp REAL NOT NULL,
            try_id INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS status_event_task_idx ON status_event (run_id, task_id);
        CREATE TABLE IF NOT EXISTS block (
            run_id TEXT NOT NULL,
            block_id TEXT NOT NULL,
            executor_label TEXT NOT NULL,
            job_id TEXT,
            status TEXT NOT NULL,
            reason TEXT,
            timestamp REAL NOT NULL
        );
        CREATE INDEX IF NOT EXISTS block_run_idx ON block (run_id, block_id);
        CREATE TABLE IF NOT EXISTS node (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL,
            hostname TEXT NOT NULL,
            uid TEXT NOT NULL,
            block_id TEXT,
            worker_count INTEGER NOT NULL,
            active INTEGER NOT NULL,
            timestamp REAL NOT NULL
        );
        CREATE TABLE IF NOT EXISTS file_check (
            run_id TEXT NOT NULL,
            task_id INTEGER NOT NULL,
            reason TEXT NOT NULL,
            path TEXT NOT NULL,
            timestamp REAL NOT NULL
        );
        CREATE TABLE IF NOT EXISTS partial_failure (
            run_id TEXT NOT NULL,
            task_id INTEGER NOT NULL,
            item TEXT NOT NULL,
            message TEXT NOT NULL,
            timestamp REAL NOT NULL
        );
        """

    /// Parsl's `task` table as a view: a submitted task with the columns of its end (NULL, and 0 fail count
    /// and cost, until it ends), in the table's column order, and every whole life in `task_done` (whose final
    /// try is 0: a task with a later try is never written there). A `task_end` row without its `task_submit`
    /// row (possible only if the writer lost the submission) is not a task, here or in the other views.
    static let taskViewSQL = """
        CREATE VIEW task AS
            SELECT s.task_id, s.run_id, s.task_depends, s.task_func_name, s.task_memoize, s.task_hashsum,
                   s.task_executor, s.task_time_invoked, e.task_time_returned,
                   coalesce(e.task_fail_count, 0) AS task_fail_count,
                   coalesce(e.task_fail_cost, 0.0) AS task_fail_cost, e.task_status_name, e.task_fail_message,
                   e.task_final_try_id
            FROM task_submit AS s
            LEFT JOIN task_end AS e ON e.run_id = s.run_id AND e.task_id = s.task_id
            UNION ALL
            SELECT task_id, run_id, task_depends, task_func_name, task_memoize, task_hashsum, task_executor,
                   task_time_invoked, task_time_returned, task_fail_count, task_fail_cost, task_status_name,
                   task_fail_message, 0
            FROM task_done;
        """

    /// Parsl's `try` table as a view, in the table's column order: a launched try with what is known of its
    /// run, a try known only from its run (a worker's `running` may be recorded before the leader's
    /// `launched`), and the try of a whole life in `task_done` (`try_id` NULL: the task had none), with
    /// anything recorded of it after the task ended (a late `running`, in `try_end`).
    static let tryViewSQL = """
        CREATE VIEW try AS
            SELECT l.try_id, l.task_id, l.run_id, e.block_id, e.hostname, l.task_executor,
                   l.task_try_time_launched, e.task_try_time_running, e.task_try_time_returned, e.task_fail_history
            FROM try_launch AS l
            LEFT JOIN try_end AS e ON e.run_id = l.run_id AND e.task_id = l.task_id AND e.try_id = l.try_id
            UNION ALL
            SELECT e.try_id, e.task_id, e.run_id, e.block_id, e.hostname, NULL, NULL, e.task_try_time_running,
                   e.task_try_time_returned, e.task_fail_history
            FROM try_end AS e
            LEFT JOIN task_done AS d ON d.run_id = e.run_id AND d.task_id = e.task_id AND d.try_id = e.try_id
            WHERE NOT EXISTS (SELECT 1 FROM try_launch AS l
                              WHERE l.run_id = e.run_id AND l.task_id = e.task_id AND l.try_id = e.try_id)
              AND d.task_id IS NULL
            UNION ALL
            SELECT d.try_id, d.task_id, d.run_id, coalesce(e.block_id, d.block_id), coalesce(e.hostname, d.hostname),
                   d.try_executor, d.task_try_time_launched,
                   coalesce(e.task_try_time_running, d.task_try_time_running),
                   coalesce(e.task_try_time_returned, d.task_try_time_returned),
                   coalesce(e.task_fail_history, d.task_fail_history)
            FROM task_done AS d
            LEFT JOIN try_end AS e ON e.run_id = d.run_id AND e.task_id = d.task_id AND e.try_id = d.try_id
            WHERE d.try_id IS NOT NULL;
        """

    /// The ended tasks' final rows (run_id, task_id, task_func_name, task_status_name, timestamp, try_id).
    static let endedTasksSQL = """
        SELECT e.run_id, e.task_id, s.task_func_name, e.task_status_name, e.task_time_returned AS timestamp,
               coalesce(e.task_final_try_id, 0) AS try_id
        FROM task_end AS e
        JOIN task_submit AS s ON s.run_id = e.run_id AND s.task_id = e.task_id
        UNION ALL
        SELECT run_id, task_id, task_func_name, task_status_name, task_time_returned, 0 FROM task_done
        """

    /// Parsl's `status` table as a view: one row per state change, with Parsl's columns.
    ///
    /// The rows: `pending` (try 0) at `task_time_invoked`; `launched` and `running` of each try at its
    /// times; every `status_event` row; the final state at `task_time_returned` with `task_final_try_id`.
    /// No `ORDER BY` (it would make every aggregate over the view sort the whole run, ~5x slower):
    /// order by `timestamp`, or by `task_id, try_id, timestamp` for each task's history; rows of one try that
    /// share a timestamp are ordered as in ``unfinishedStatusRowsSQL``, and the final state comes last.
    static let statusViewSQL = """
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
            \(wholeLifeStatusRowsSQL)
            UNION ALL
            SELECT task_id, run_id, task_status_name, timestamp, try_id FROM (\(endedTasksSQL));
        """

    /// The `pending`, `launched` and `running` rows of the whole lives in `task_done` (their final rows are in
    /// ``endedTasksSQL``).
    static let wholeLifeStatusRowsSQL = """
        SELECT task_id, run_id, 'pending', task_time_invoked, 0 FROM task_done WHERE task_time_invoked IS NOT NULL
            UNION ALL
            SELECT task_id, run_id, 'launched', task_try_time_launched, try_id
            FROM task_done WHERE task_try_time_launched IS NOT NULL
            UNION ALL
            SELECT task_id, run_id, 'running', task_try_time_running, try_id
            FROM task_done WHERE task_try_time_running IS NOT NULL
        """

    /// A task's state changes other than its final one, each with its place in the task's history: the
    /// latest is the last by `try_id, timestamp, rank, seq`, where `rank` is the lifecycle position
    /// (`pending` 0 < `launched` 1 < `running` 2 < recorded `status_event` rows 3) and `seq` is record
    /// order among `status_event` rows. Try first: a later try starts after the earlier one ended even when
    /// clocks (a worker's, the leader's) disagree. A task that has ended is in its final state whatever the
    /// times say (so the whole lives of `task_done`, all ended, have no rows here).
    static let unfinishedStatusRowsSQL = """
        SELECT task_id, run_id, 'pending' AS task_status_name, task_time_invoked AS timestamp, 0 AS try_id,
               0 AS rank, 0 AS seq
        FROM task_submit WHERE task_time_invoked IS NOT NULL
        UNION ALL
        SELECT task_id, run_id, 'launched', task_try_time_launched, try_id, 1, 0
        FROM try_launch WHERE task_try_time_launched IS NOT NULL
        UNION ALL
        SELECT task_id, run_id, 'running', task_try_time_running, try_id, 2, 0
        FROM try_end WHERE task_try_time_running IS NOT NULL
        UNION ALL
        SELECT task_id, run_id, task_status_name, timestamp, try_id, 3, rowid FROM status_event
        """

    /// The latest state per task (see ``unfinishedStatusRowsSQL``): the final state of tasks that ended,
    /// else the latest of their other rows (only unfinished tasks are sorted, one partition each, and a
    /// `WHERE run_id = ... AND task_id = ...` reaches the tables' keys).
    static let taskCurrentStatusViewSQL = """
        CREATE VIEW task_current_status AS
            \(endedTasksSQL)
            UNION ALL
            SELECT run_id, task_id, task_func_name, task_status_name, timestamp, try_id FROM (
                SELECT s.run_id, s.task_id, f.task_func_name, s.task_status_name, s.timestamp, s.try_id,
                       row_number() OVER (PARTITION BY s.run_id, s.task_id
                                          ORDER BY s.try_id DESC, s.timestamp DESC, s.rank DESC, s.seq DESC) AS n
                FROM (\(unfinishedStatusRowsSQL)) AS s
                LEFT JOIN task_submit AS f ON f.run_id = s.run_id AND f.task_id = s.task_id
                LEFT JOIN task_done AS d ON d.run_id = s.run_id AND d.task_id = s.task_id
                WHERE (f.task_id IS NULL
                       OR NOT EXISTS (SELECT 1 FROM task_end AS e WHERE e.run_id = s.run_id AND e.task_id = s.task_id))
                  AND d.task_id IS NULL
            )
            WHERE n = 1;
        """

    /// Views for people with `sqlite3`: Parsl's `task` and `status`, each task's current state, and UTC times.
    static let viewsSQL = """
        \(taskViewSQL)
        \(tryViewSQL)
        \(statusViewSQL)
        \(taskCurrentStatusViewSQL)
        CREATE VIEW status_utc AS
            SELECT task_id, run_id, task_status_name,
                   strftime('%Y-%m-%d %H:%M:%f', timestamp, 'unixepoch') AS time_utc, timestamp, try_id
            FROM status;
        CREATE VIEW workflow_utc AS
            SELECT run_id, workflow_name, workflow_version,
                   strftime('%Y-%m-%d %H:%M:%f', time_began, 'unixepoch') AS time_began_utc,
                   strftime('%Y-%m-%d %H:%M:%f', time_completed, 'unixepoch') AS time_completed_utc,
                   host, user, rundir, tasks_completed_count, tasks_failed_count
            FROM workflow;
        """

    /// The views ``viewsSQL`` creates, dropped and recreated on every schema upgrade (before v4, `task` and `try`,
    /// before v2 `status`, were tables; only views are dropped).
    static let viewNames = ["status_utc", "task_current_status", "workflow_utc", "status", "task", "try"]

    /// Sets the connection up for the writer and creates (or upgrades) the schema.
    static func prepareDatabase(
        _ connection: SQLiteConnection,
        configuration: Configuration
    ) throws(MonitoringError) {
        // WAL: readers (StatusReport, sqlite3) never block the writer and see only committed batches.
        // Bigger pages: fewer page splits as the task and try tables grow (measured ~+20% rows/s in v1).
        // Only takes effect on a new file, which is why it comes before the switch to WAL.
        try connection.execute("PRAGMA page_size=16384", code: .schema)
        let mode = try connection.scalarText("PRAGMA journal_mode=WAL")
        guard mode?.lowercased() == "wal" else {
            throw connection.error(.schema, "cannot switch to WAL journal mode (got \(mode ?? "nothing"))")
        }
        try connection.execute("PRAGMA synchronous=\(configuration.synchronous.rawValue)", code: .schema)
        // A bigger page cache keeps the index pages of a long run in memory.
        try connection.execute("PRAGMA cache_size=-65536", code: .schema)
        try connection.execute("PRAGMA temp_store=MEMORY", code: .schema)
        // `wal_autocheckpoint` stays at SQLite's 1000 pages: 10,000 measured no better (session 5).

        let version = Int(try connection.scalarText("PRAGMA user_version") ?? "0") ?? 0
        guard version <= schemaVersion else {
            throw connection.error(
                .schema,
                "database schema version \(version) is newer than this program's (\(schemaVersion))"
            )
        }
        guard version < schemaVersion else { return }
        try connection.execute("BEGIN IMMEDIATE", code: .schema)
        do {
            // v1's `status` and v2's `task` are tables ("DROP VIEW IF EXISTS status" would fail): drop only
            // real views.
            for view in viewNames
            where try connection.scalarText("SELECT type FROM sqlite_master WHERE name = '\(view)'") == "view" {
                try connection.execute("DROP VIEW \(view)", code: .schema)
            }
            try connection.execute(tablesSQL, code: .schema)
            try Self.migrateStatusTable(connection)
            try Self.migrateTaskTable(connection)
            try Self.migrateTryTable(connection)
            try connection.execute(viewsSQL, code: .schema)
            try connection.execute("PRAGMA user_version=\(schemaVersion)", code: .schema)
            try connection.execute("COMMIT", code: .schema)
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    // MARK: Writer statements (prepared once, bound per event)

    static let insertWorkflowSQL = """
        INSERT INTO workflow (run_id, workflow_name, workflow_version, time_began, host, user, rundir)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        ON CONFLICT (run_id) DO UPDATE SET workflow_name = excluded.workflow_name,
            workflow_version = excluded.workflow_version, time_began = excluded.time_began,
            host = excluded.host, user = excluded.user, rundir = excluded.rundir
        """
    static let endWorkflowSQL = """
        UPDATE workflow SET time_completed = ?2, tasks_completed_count = ?3, tasks_failed_count = ?4
        WHERE run_id = ?1
        """
    /// Rows per multi-row `INSERT` (see ``MultiRowInsert``); the remainder of a batch goes one row at a time.
    static let rowsPerInsert = 128

    /// A task's submission, one insert (the `task` view joins it with the task's end).
    /// `OR REPLACE`: a submission recorded again (not done by the kernel) keeps its latest values.
    static let insertTaskSubmitColumns = 7
    static let insertTaskSubmitPrefix = """
        INSERT OR REPLACE INTO task_submit (run_id, task_id, task_func_name, task_memoize, task_hashsum,
            task_depends, task_executor, task_time_invoked)
        VALUES
        """
    /// A task's end, one insert whether or not its submission is in the same batch.
    static let insertTaskEndColumns = 7
    static let insertTaskEndPrefix = """
        INSERT OR REPLACE INTO task_end (run_id, task_id, task_time_returned, task_fail_count, task_fail_cost,
            task_status_name, task_fail_message, task_final_try_id)
        VALUES
        """
    /// A whole life (submission, end and try 0 if any, seen in one batch): one insert instead of four, appended
    /// to a table without a key (see ``tablesSQL``).
    static let insertTaskDoneColumns = 20
    static let insertTaskDonePrefix = """
        INSERT INTO task_done (run_id, task_id, task_func_name, task_memoize, task_hashsum,
            task_depends, task_executor, task_time_invoked, task_time_returned, task_fail_count, task_fail_cost,
            task_status_name, task_fail_message, try_id, try_executor, task_try_time_launched, hostname, block_id,
            task_try_time_running, task_try_time_returned, task_fail_history)
        VALUES
        """
    /// The usual whole life (`exec_done` on its only try, no failure, dependency, hash or block) with what
    /// most rows share bound once per statement: `?1` run id, `?2` app, `?3` executor, `?4` hostname, `?5`
    /// memoize; each row binds only its id and five times (7 parameters instead of 20).
    static let insertPlainLifeShared = 5
    static let insertPlainLifeColumns = 6
    static let insertPlainLifePrefix = """
        INSERT INTO task_done (run_id, task_func_name, task_executor, hostname, task_memoize, task_depends,
            task_fail_count, task_fail_cost, task_status_name, try_id, try_executor, task_id, task_time_invoked,
            task_time_returned, task_try_time_launched, task_try_time_running, task_try_time_returned)
        VALUES
        """
    /// One row of ``insertPlainLifePrefix`` whose own parameters start at `first`; the constants are what the
    /// general insert binds for such a life (`''` for no dependencies, as `task_depends` is for them).
    static func plainLifeRow(_ first: Int) -> String {
        "(?1, ?2, ?3, ?4, ?5, '', 0, 0.0, 'exec_done', 0, ?3, ?\(first), ?\(first + 1), ?\(first + 2), ?\(first + 3), "
            + "?\(first + 4), ?\(first + 5))"
    }
    /// Only explicit ``MonitoringStore/taskState(runID:taskID:tryID:state:time:)`` calls become rows;
    /// the `status` view derives the rest.
    static let insertStatusEventColumns = 4
    static let insertStatusEventPrefix = """
        INSERT INTO status_event (run_id, task_id, try_id, task_status_name, timestamp) VALUES
        """
    /// A try's launch and the rest of it are two rows (the `try` view joins them), each with every column the
    /// batch saw; NULL means "not seen in this batch". The upserts keep the existing value for those, so the
    /// pieces may arrive in any order and in different batches (a worker's "running" may be recorded before
    /// "launched", or in an earlier batch than "returned"); usually each is a plain insert.
    static let upsertTryLaunchColumns = 4
    static let upsertTryLaunchPrefix = """
        INSERT INTO try_launch (run_id, task_id, try_id, task_executor, task_try_time_launched)
        VALUES
        """
    static let upsertTryLaunchSuffix = """
        ON CONFLICT (run_id, task_id, try_id) DO UPDATE SET
            task_executor = coalesce(excluded.task_executor, task_executor),
            task_try_time_launched = coalesce(excluded.task_try_time_launched, task_try_time_launched)
        """
    static let upsertTryEndColumns = 7
    static let upsertTryEndPrefix = """
        INSERT INTO try_end (run_id, task_id, try_id, hostname, block_id, task_try_time_running,
            task_try_time_returned, task_fail_history)
        VALUES
        """
    static let upsertTryEndSuffix = """
        ON CONFLICT (run_id, task_id, try_id) DO UPDATE SET
            hostname = coalesce(excluded.hostname, hostname), block_id = coalesce(excluded.block_id, block_id),
            task_try_time_running = coalesce(excluded.task_try_time_running, task_try_time_running),
            task_try_time_returned = coalesce(excluded.task_try_time_returned, task_try_time_returned),
            task_fail_history = coalesce(excluded.task_fail_history, task_fail_history)
        """
    static let insertBlockSQL = """
        INSERT INTO block (run_id, block_id, executor_label, job_id, status, reason, timestamp)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        """
    static let insertFileCheckSQL = """
        INSERT INTO file_check (run_id, task_id, reason, path, timestamp) VALUES (?1, ?2, ?3, ?4, ?5)
        """
    static let insertPartialFailureSQL = """
        INSERT INTO partial_failure (run_id, task_id, item, message, timestamp) VALUES (?1, ?2, ?3, ?4, ?5)
        """
    static let insertNodeSQL = """
        INSERT INTO node (run_id, hostname, uid, block_id, worker_count, active, timestamp)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        """
}
