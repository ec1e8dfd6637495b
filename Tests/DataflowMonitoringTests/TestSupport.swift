import CVizSQLite
import Foundation
import Testing

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        self.url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "monitoring-tests-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
    }

    var databasePath: String { self.url.appendingPathComponent("run/monitoring.db").path }

    func remove() {
        try? FileManager.default.removeItem(at: self.url)
    }
}

/// A separate read connection opened with the plain SQLite C API, the way a user's `sqlite3` would.
final class RawDatabase {
    private var db: OpaquePointer?

    init(path: String, writable: Bool = false) throws {
        let flags = writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY
        let rc = sqlite3_open_v2(path, &self.db, flags, nil)
        try #require(rc == SQLITE_OK, "sqlite3_open_v2(\(path)) failed: \(rc)")
        sqlite3_busy_timeout(self.db, 5_000)
    }

    deinit {
        sqlite3_close_v2(self.db)
    }

    /// Runs `sql` and returns every row, each column rendered as text (`nil` for NULL).
    func rows(_ sql: String) throws -> [[String?]] {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v2(self.db, sql, -1, &statement, nil)
        try #require(rc == SQLITE_OK, "prepare failed: \(String(cString: sqlite3_errmsg(self.db))) in \(sql)")
        defer { sqlite3_finalize(statement) }
        var result: [[String?]] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            try #require(step == SQLITE_ROW, "step failed: \(String(cString: sqlite3_errmsg(self.db)))")
            var row: [String?] = []
            for column in 0..<sqlite3_column_count(statement) {
                row.append(sqlite3_column_text(statement, column).map { String(cString: $0) })
            }
            result.append(row)
        }
        return result
    }

    /// Runs statements that return nothing (a writable database's fixtures).
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(self.db, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        try #require(rc == SQLITE_OK, "exec failed: \(message.map { String(cString: $0) } ?? "?") in \(sql.prefix(200))")
    }

    /// The single value of a one-row, one-column query.
    func scalar(_ sql: String) throws -> String? {
        let rows = try self.rows(sql)
        try #require(rows.count == 1, "expected one row from \(sql), got \(rows.count)")
        return rows[0][0]
    }
}

/// `ORDER BY` for the `status` view that lists each task's rows in its lifecycle order, as
/// `task_current_status` orders them, when several share a timestamp (the view itself is unordered).
let statusLifecycleOrder = """
    ORDER BY run_id, task_id, try_id, timestamp,
        CASE task_status_name WHEN 'pending' THEN 0 WHEN 'launched' THEN 1 WHEN 'running' THEN 2 ELSE 3 END
    """
