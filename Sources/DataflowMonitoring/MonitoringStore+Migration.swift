extension MonitoringStore {
    /// The v1 rows that the v2 `status` view derives from `task` and `try`; all other v1 rows are kept.
    /// A v1 row is implied when its state and time match the task's or try's column exactly (the writer
    /// copied the same value into both).
    static let impliedV1StatusSQL = """
        (s.task_status_name = 'pending' AND s.try_id = 0 AND EXISTS (
            SELECT 1 FROM task AS t WHERE t.run_id = s.run_id AND t.task_id = s.task_id
                AND t.task_time_invoked = s.timestamp))
        OR (s.task_status_name = 'launched' AND EXISTS (
            SELECT 1 FROM try AS y WHERE y.run_id = s.run_id AND y.task_id = s.task_id AND y.try_id = s.try_id
                AND y.task_try_time_launched = s.timestamp))
        OR (s.task_status_name = 'running' AND EXISTS (
            SELECT 1 FROM try AS y WHERE y.run_id = s.run_id AND y.task_id = s.task_id AND y.try_id = s.try_id
                AND y.task_try_time_running = s.timestamp))
        OR EXISTS (
            SELECT 1 FROM task AS t WHERE t.run_id = s.run_id AND t.task_id = s.task_id
                AND t.task_status_name = s.task_status_name AND t.task_time_returned = s.timestamp)
        """

    /// Upgrades a v1 database, whose `status` was a table holding every state change, to v2 (in the
    /// caller's transaction): `task` gains `task_final_try_id` (the task's highest try), the rows the
    /// v2 view does not derive move to `status_event` in their record order, and the table is dropped so
    /// that the view can take its name. `select * from status` shows the same rows before and after.
    /// Does nothing on a new or v2 database.
    static func migrateStatusTable(_ connection: SQLiteConnection) throws(MonitoringError) {
        guard try connection.scalarText("SELECT type FROM sqlite_master WHERE name = 'task'") == "table" else {
            return
        }
        let hasColumn = try connection.scalarText(
            "SELECT count(*) FROM pragma_table_info('task') WHERE name = 'task_final_try_id'"
        )
        if hasColumn == "0" {
            try connection.execute("ALTER TABLE task ADD COLUMN task_final_try_id INTEGER", code: .schema)
        }
        let statusType = try connection.scalarText("SELECT type FROM sqlite_master WHERE name = 'status'")
        guard statusType == "table" else { return }
        // The final row's try was the highest try id seen, which the `try` table has by key; reading it from
        // the v1 rows instead would need an index on them first (~2x the upgrade's time on 1M tasks).
        try connection.execute(
            """
            UPDATE task SET task_final_try_id = (
                SELECT max(y.try_id) FROM try AS y WHERE y.run_id = task.run_id AND y.task_id = task.task_id)
            WHERE task_status_name IS NOT NULL;
            INSERT INTO status_event (task_id, run_id, task_status_name, timestamp, try_id)
                SELECT s.task_id, s.run_id, s.task_status_name, s.timestamp, s.try_id FROM status AS s
                WHERE NOT (\(impliedV1StatusSQL))
                ORDER BY s.rowid;
            DROP TABLE status;
            """,
            code: .schema
        )
    }

    /// Upgrades a v2 or v3 database, whose `task` was a table updated in place when a task ended, to v4 (in the
    /// caller's transaction, after ``migrateStatusTable(_:)`` and after ``tablesSQL`` made the new tables):
    /// every row's submission columns go to `task_submit`, the end columns of ended tasks to `task_end`, and
    /// the table (with its index) is dropped so that the view can take its name. `select * from task` shows
    /// the same rows before and after. Does nothing on a new or v4 database.
    static func migrateTaskTable(_ connection: SQLiteConnection) throws(MonitoringError) {
        guard try connection.scalarText("SELECT type FROM sqlite_master WHERE name = 'task'") == "table" else {
            return
        }
        try connection.execute(
            """
            INSERT OR REPLACE INTO task_submit (task_id, run_id, task_depends, task_func_name, task_memoize,
                    task_hashsum, task_executor, task_time_invoked)
                SELECT task_id, run_id, task_depends, task_func_name, task_memoize, task_hashsum, task_executor,
                       task_time_invoked
                FROM task;
            INSERT OR REPLACE INTO task_end (task_id, run_id, task_time_returned, task_fail_count, task_fail_cost,
                    task_status_name, task_fail_message, task_final_try_id)
                SELECT task_id, run_id, task_time_returned, task_fail_count, task_fail_cost, task_status_name,
                       task_fail_message, task_final_try_id
                FROM task WHERE task_status_name IS NOT NULL;
            DROP TABLE task;
            """,
            code: .schema
        )
    }

    /// Upgrades a v2 or v3 database's `try` table, updated in place as a try went on, to v4 (in the caller's
    /// transaction, after ``migrateTaskTable(_:)``): every row's launch columns go to `try_launch`, the other
    /// columns of rows that have any to `try_end`, and the table is dropped so that the view can take its name.
    /// `select * from try` shows the same rows before and after. Does nothing on a new or v4 database.
    static func migrateTryTable(_ connection: SQLiteConnection) throws(MonitoringError) {
        guard try connection.scalarText("SELECT type FROM sqlite_master WHERE name = 'try'") == "table" else {
            return
        }
        try connection.execute(
            """
            INSERT OR REPLACE INTO try_launch (try_id, task_id, run_id, task_executor, task_try_time_launched)
                SELECT try_id, task_id, run_id, task_executor, task_try_time_launched FROM try;
            INSERT OR REPLACE INTO try_end (try_id, task_id, run_id, block_id, hostname, task_try_time_running,
                    task_try_time_returned, task_fail_history)
                SELECT try_id, task_id, run_id, block_id, hostname, task_try_time_running, task_try_time_returned,
                       task_fail_history
                FROM try
                WHERE block_id IS NOT NULL OR hostname IS NOT NULL OR task_try_time_running IS NOT NULL
                   OR task_try_time_returned IS NOT NULL OR task_fail_history IS NOT NULL;
            DROP TABLE try;
            """,
            code: .schema
        )
    }
}
