/// An `INSERT` prepared twice: once with `rowsPerStatement` rows in its `VALUES` list and once with a single
/// row, for the remainder.
///
/// Why: per statement, SQLite pays for a step, a reset and opening its cursors; sending many rows per
/// statement spreads that over all of them (measured ~2x rows/s for v1's append-only `status` table).
/// Parameter `?1` is the run id, shared by every row of the statement, so a 36-character id is bound (and
/// copied) once per statement and run instead of once per row; bindings survive `sqlite3_reset`, so an
/// unchanged run id is not bound again at all. A statement may share more parameters than the run id (see
/// ``init(connection:shared:columns:rowsPerStatement:prefix:suffix:row:)``): values most rows have in common.
final class MultiRowInsert {
    /// A value bound once per statement for all its rows.
    enum SharedValue: Equatable {
        case text(String)
        case int(Int)
        case null
    }

    /// Parameters per row, not counting the shared ones.
    let columns: Int
    /// Parameters shared by every row (`?1` ... `?shared`; `?1` is the run id).
    let shared: Int
    /// Rows in one execution of the big statement.
    let rowsPerStatement: Int
    private let many: SQLiteStatement
    private let one: SQLiteStatement
    private var manyShared: [SharedValue] = []
    private var oneShared: [SharedValue] = []

    /// Prepares both statements, each row `(?1, ?k, ..., ?k+columns-1)`: the run id and the row's own values.
    /// - Parameters:
    ///   - columns: Parameters per row after the run id; row `r` uses `?1` and `?(2 + r*columns)`... onwards.
    ///   - prefix: `INSERT INTO table (run_id, c1, ..., cN) VALUES`.
    ///   - suffix: Anything after the `VALUES` list (an `ON CONFLICT` clause), or "".
    convenience init(
        connection: SQLiteConnection,
        columns: Int,
        rowsPerStatement: Int,
        prefix: String,
        suffix: String
    ) throws(MonitoringError) {
        try self.init(
            connection: connection, shared: 1, columns: columns, rowsPerStatement: rowsPerStatement, prefix: prefix,
            suffix: suffix
        ) { first in "(?1" + (first..<first + columns).map { ", ?\($0)" }.joined() + ")" }
    }

    /// Prepares both statements with `shared` parameters common to all rows and a row of the caller's shape.
    /// - Parameters:
    ///   - row: The `VALUES` entry of a row whose own parameters start at the given number, e.g.
    ///     `{ "(?1, ?2, 0, ?\($0), ?\($0 + 1))" }`.
    ///   - suffix: Anything after the `VALUES` list (an `ON CONFLICT` clause), or "".
    init(
        connection: SQLiteConnection,
        shared: Int,
        columns: Int,
        rowsPerStatement: Int,
        prefix: String,
        suffix: String = "",
        row: (Int) -> String
    ) throws(MonitoringError) {
        self.columns = columns
        self.shared = shared
        self.rowsPerStatement = rowsPerStatement
        func sql(rows: Int) -> String {
            let values = prefix + " " + (0..<rows).map { row(shared + 1 + $0 * columns) }.joined(separator: ", ")
            return suffix.isEmpty ? values : values + " " + suffix
        }
        self.many = try connection.prepare(sql(rows: rowsPerStatement), code: .schema)
        self.one = try connection.prepare(sql(rows: 1), code: .schema)
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
        write(shared: [.text(runID)], count: count, errors: &errors, bindRow: bindRow)
    }

    /// Writes `count` rows with the shared parameters `shared` (`?1` the run id, then the others).
    func write(
        shared: [SharedValue],
        count: Int,
        errors: inout WriteErrors,
        bindRow: (SQLiteStatement, Int32, Int) -> Void
    ) {
        precondition(shared.count == self.shared)
        let first = Int32(self.shared + 1)
        var index = 0
        if count - index >= self.rowsPerStatement {
            Self.bind(shared, to: self.many, boundBefore: &self.manyShared)
            while count - index >= self.rowsPerStatement {
                for row in 0..<self.rowsPerStatement {
                    bindRow(self.many, first + Int32(row * self.columns), index + row)
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
        Self.bind(shared, to: self.one, boundBefore: &self.oneShared)
        while index < count {
            bindRow(self.one, first, index)
            do {
                try self.one.run()
            } catch {
                errors.record(error, dropped: 1)
            }
            index += 1
        }
    }

    /// Binds the shared values that differ from what the statement holds (bindings survive resets).
    private static func bind(_ shared: [SharedValue], to statement: SQLiteStatement, boundBefore: inout [SharedValue]) {
        for (offset, value) in shared.enumerated() where offset >= boundBefore.count || boundBefore[offset] != value {
            let index = Int32(offset + 1)
            switch value {
            case .text(let text): statement.bind(index, text)
            case .int(let number): statement.bind(index, number)
            case .null: statement.bindNull(index)
            }
        }
        boundBefore = shared
    }
}
