/// An `INSERT` prepared twice: once with `rowsPerStatement` rows in its `VALUES` list and once with a single
/// row, for the remainder.
///
/// Why: per statement, SQLite pays for a step, a reset and opening its cursors; sending many rows per
/// statement spreads that over all of them (measured ~2x rows/s for v1's append-only `status` table).
/// Parameter `?1` is the run id, shared by every row of the statement, so a 36-character id is bound (and
/// copied) once per statement and run instead of once per row; bindings survive `sqlite3_reset`, so an
/// unchanged run id is not bound again at all.
final class MultiRowInsert {
    /// Parameters per row, not counting the shared run id.
    let columns: Int
    /// Rows in one execution of the big statement.
    let rowsPerStatement: Int
    private let many: SQLiteStatement
    private let one: SQLiteStatement
    private var manyRunID: String?
    private var oneRunID: String?

    /// Prepares both statements.
    /// - Parameters:
    ///   - columns: Parameters per row after the run id; row `r` uses `?1` and `?(2 + r*columns)`... onwards.
    ///   - prefix: `INSERT INTO table (run_id, c1, ..., cN) VALUES`.
    ///   - suffix: Anything after the `VALUES` list (an `ON CONFLICT` clause), or "".
    init(
        connection: SQLiteConnection,
        columns: Int,
        rowsPerStatement: Int,
        prefix: String,
        suffix: String
    ) throws(MonitoringError) {
        self.columns = columns
        self.rowsPerStatement = rowsPerStatement
        self.many = try connection.prepare(Self.sql(prefix, suffix, rows: rowsPerStatement, columns: columns), code: .schema)
        self.one = try connection.prepare(Self.sql(prefix, suffix, rows: 1, columns: columns), code: .schema)
    }

    /// `prefix (?1, ?2, ..., ?k+1), (?1, ?k+2, ...) suffix`.
    static func sql(_ prefix: String, _ suffix: String, rows: Int, columns: Int) -> String {
        var sql = prefix
        for row in 0..<rows {
            sql += row == 0 ? " (?1" : ", (?1"
            for column in 0..<columns {
                sql += ", ?\(2 + row * columns + column)"
            }
            sql += ")"
        }
        return suffix.isEmpty ? sql : sql + " " + suffix
    }

    /// Writes `count` rows of run `runID`.
    ///
    /// `bindRow(statement, first, index)` binds row `index` (0..<count) to parameters `first`, `first + 1`, ...
    /// A statement that fails loses only its own rows (SQLite rolls the statement back, not the transaction);
    /// they are added to `errors`.
    func write(
        runID: String,
        count: Int,
        errors: inout WriteErrors,
        bindRow: (SQLiteStatement, Int32, Int) -> Void
    ) {
        var index = 0
        if count - index >= self.rowsPerStatement {
            if self.manyRunID != runID {
                self.many.bind(1, runID)
                self.manyRunID = runID
            }
            while count - index >= self.rowsPerStatement {
                for row in 0..<self.rowsPerStatement {
                    bindRow(self.many, Int32(2 + row * self.columns), index + row)
                }
                do {
                    try self.many.run()
                } catch {
                    errors.record(error, dropped: self.rowsPerStatement)
                }
                index += self.rowsPerStatement
            }
        }
        guard index < count else { return }
        if self.oneRunID != runID {
            self.one.bind(1, runID)
            self.oneRunID = runID
        }
        while index < count {
            bindRow(self.one, 2, index)
            do {
                try self.one.run()
            } catch {
                errors.record(error, dropped: 1)
            }
            index += 1
        }
    }

    /// Finalizes both statements (see ``SQLiteStatement/finalize()``).
    func finalize() {
        self.many.finalize()
        self.one.finalize()
    }
}
