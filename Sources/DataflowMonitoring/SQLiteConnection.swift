internal import CVizSQLite
import Foundation

/// A thin wrapper over one `sqlite3*` connection.
///
/// Not thread-safe: a connection is used by one thread at a time (opened with `SQLITE_OPEN_NOMUTEX`).
final class SQLiteConnection {
    /// The database file, used in error messages.
    let path: String
    private var handle: OpaquePointer?
    /// Statements prepared here, for ``close()``; dead entries are pruned as the list grows.
    private var statements: [WeakStatement] = []
    private var pruneAt = 64

    private final class WeakStatement {
        weak var statement: SQLiteStatement?
        init(_ statement: SQLiteStatement) { self.statement = statement }
    }

    /// Opens (and, unless read-only, creates) the database at `path`. `immutable` (read-only) opens it as a
    /// file nobody changes (`?immutable=1`): no locks, no `-shm`, no WAL, nothing written next to it; for a
    /// published snapshot on a bucket.
    init(path: String, readOnly: Bool = false, immutable: Bool = false, busyTimeoutMilliseconds: Int32 = 5_000) throws(MonitoringError) {
        self.path = path
        _ = Self.globalConfiguration
        var flags = SQLITE_OPEN_NOMUTEX
        flags |= readOnly || immutable ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var name = path
        if immutable {
            flags |= SQLITE_OPEN_URI
            var allowed = CharacterSet.urlPathAllowed
            allowed.remove(charactersIn: "?#%")
            name = "file:" + (path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path) + "?immutable=1"
        }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(name, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let detail = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw MonitoringError(
                code: .openFailed,
                message: "cannot open monitoring database '\(path)': \(detail)",
                sqliteResultCode: rc
            )
        }
        sqlite3_extended_result_codes(db, 1)
        // Readers and the writer may briefly contend for the WAL index; wait instead of failing.
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        self.handle = db
    }

    deinit {
        self.close()
    }

    /// Process-wide settings that SQLite takes only before it initializes: made once (a lazy global is
    /// initialized once, under a lock), before the first connection of this module opens. Without memory
    /// statistics every SQLite allocation skips a global mutex. If something else in the process (GDAL) has
    /// already used SQLite, the call is refused (`SQLITE_MISUSE`) and nothing changes.
    private static let globalConfiguration: Int32 = {
        viz_sqlite3_disable_memstatus()
    }()

    /// Finalizes the statements still alive, then closes the connection. Finalizing first matters:
    /// `sqlite3_close_v2` with live statements only makes a zombie, and the connection really closes (and
    /// checkpoints its WAL into the database) when the last one goes; a process that exits before then left
    /// its WAL (tens of megabytes) next to the database.
    func close() {
        for entry in self.statements { entry.statement?.finalize() }
        self.statements = []
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    /// The last error message reported on this connection.
    var lastErrorMessage: String {
        guard let handle else { return "connection closed" }
        return String(cString: sqlite3_errmsg(handle))
    }

    /// Runs one or more SQL statements that return no rows we need.
    func execute(_ sql: String, code: MonitoringError.Code = .query) throws(MonitoringError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(self.handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let detail = errorMessage.map { String(cString: $0) } ?? self.lastErrorMessage
            sqlite3_free(errorMessage)
            throw self.error(code, "\(detail) (while running: \(sql.prefix(120)))", rc)
        }
    }

    /// Compiles `sql` once; bind, step and reset the result as often as needed.
    func prepare(_ sql: String, code: MonitoringError.Code = .query) throws(MonitoringError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(self.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw self.error(code, "\(self.lastErrorMessage) (while preparing: \(sql.prefix(120)))", rc)
        }
        let prepared = SQLiteStatement(statement, connection: self)
        if self.statements.count >= self.pruneAt {
            self.statements.removeAll { $0.statement == nil }
            self.pruneAt = max(64, 2 * self.statements.count)
        }
        self.statements.append(WeakStatement(prepared))
        return prepared
    }

    /// Returns the first column of the first row of a `PRAGMA` or `SELECT` as text, or `nil` if there is no row.
    func scalarText(_ sql: String) throws(MonitoringError) -> String? {
        let statement = try self.prepare(sql)
        return try statement.step() ? statement.text(0) : nil
    }

    /// Builds an error that names the database path.
    func error(_ code: MonitoringError.Code, _ detail: String, _ rc: Int32? = nil) -> MonitoringError {
        MonitoringError(code: code, message: "\(self.path): \(detail)", sqliteResultCode: rc)
    }
}

/// A prepared statement: bind parameters (1-based), step, read columns (0-based), reset, repeat.
final class SQLiteStatement {
    private let statement: OpaquePointer
    private let connection: SQLiteConnection
    private var finalized = false

    /// Tells SQLite to copy a bound string or blob (the Swift buffer does not outlive the call).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    fileprivate init(_ statement: OpaquePointer, connection: SQLiteConnection) {
        self.statement = statement
        self.connection = connection
    }

    deinit {
        self.finalize()
    }

    /// Releases the statement now; it must not be used after. A connection closes for real (and checkpoints
    /// its WAL into the database) only once its last statement is finalized.
    func finalize() {
        guard !self.finalized else { return }
        self.finalized = true
        sqlite3_finalize(self.statement)
    }

    // MARK: Binding

    func bind(_ index: Int32, _ value: Int) {
        sqlite3_bind_int64(self.statement, index, Int64(value))
    }

    func bind(_ index: Int32, _ value: Double) {
        sqlite3_bind_double(self.statement, index, value)
    }

    func bind(_ index: Int32, _ value: Bool) {
        sqlite3_bind_int(self.statement, index, value ? 1 : 0)
    }

    func bind(_ index: Int32, _ value: String) {
        var value = value
        // withUTF8 is zero-copy for native strings; SQLite copies the bytes (SQLITE_TRANSIENT).
        value.withUTF8 { buffer in
            guard let base = buffer.baseAddress, !buffer.isEmpty else {
                self.bind(index, static: "")  // a nil pointer would bind NULL, not ''
                return
            }
            let text = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
            sqlite3_bind_text(self.statement, index, text, Int32(buffer.count), Self.transient)
        }
    }

    func bind(_ index: Int32, _ value: String?) {
        if let value { self.bind(index, value) } else { self.bindNull(index) }
    }

    func bind(_ index: Int32, _ value: Double?) {
        if let value { self.bind(index, value) } else { self.bindNull(index) }
    }

    /// Binds a string with static storage without copying it (`SQLITE_STATIC`).
    func bind(_ index: Int32, static value: StaticString) {
        let base = UnsafeRawPointer(value.utf8Start).assumingMemoryBound(to: CChar.self)
        sqlite3_bind_text(self.statement, index, base, Int32(value.utf8CodeUnitCount), nil)
    }

    /// Binds UTF-8 bytes as text; SQLite copies them (`SQLITE_TRANSIENT`), so `bytes` may be reused at once.
    func bind(_ index: Int32, utf8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            self.bind(index, static: "")
            return
        }
        let text = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
        sqlite3_bind_text(self.statement, index, text, Int32(bytes.count), Self.transient)
    }

    func bindNull(_ index: Int32) {
        sqlite3_bind_null(self.statement, index)
    }

    /// Binds `values` to parameters 1, 2, ... and runs the statement (for one-row statements such as a
    /// `block` or `node` event).
    func run(binding values: any SQLiteBindable...) throws(MonitoringError) {
        for (offset, value) in values.enumerated() { value.bind(to: self, at: Int32(offset + 1)) }
        try self.run()
    }

    // MARK: Stepping

    /// Advances the statement: `true` when a row is available, `false` when done.
    @discardableResult
    func step() throws(MonitoringError) -> Bool {
        let rc = sqlite3_step(self.statement)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let sql = sqlite3_sql(self.statement).map { String(cString: $0) } ?? "?"
            throw self.connection.error(.query, "\(self.connection.lastErrorMessage) (in: \(sql.prefix(120)))", rc)
        }
    }

    /// Runs a statement that returns no rows, then resets it for reuse (bindings are kept).
    func run() throws(MonitoringError) {
        defer { sqlite3_reset(self.statement) }
        try self.step()
    }

    /// Makes the statement ready to run again; bindings are kept.
    func reset() {
        sqlite3_reset(self.statement)
    }

    // MARK: Columns

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(self.statement, column) == SQLITE_NULL
    }

    func int(_ column: Int32) -> Int {
        Int(sqlite3_column_int64(self.statement, column))
    }

    func double(_ column: Int32) -> Double {
        sqlite3_column_double(self.statement, column)
    }

    func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(self.statement, column) else { return nil }
        let count = Int(sqlite3_column_bytes(self.statement, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    func optionalInt(_ column: Int32) -> Int? {
        self.isNull(column) ? nil : self.int(column)
    }

    func optionalDouble(_ column: Int32) -> Double? {
        self.isNull(column) ? nil : self.double(column)
    }
}

/// A value that binds to a statement parameter (``SQLiteStatement/run(binding:)``); `nil` binds NULL.
protocol SQLiteBindable {
    func bind(to statement: SQLiteStatement, at index: Int32)
}

extension Int: SQLiteBindable {
    func bind(to statement: SQLiteStatement, at index: Int32) { statement.bind(index, self) }
}

extension Double: SQLiteBindable {
    func bind(to statement: SQLiteStatement, at index: Int32) { statement.bind(index, self) }
}

extension Bool: SQLiteBindable {
    func bind(to statement: SQLiteStatement, at index: Int32) { statement.bind(index, self) }
}

extension String: SQLiteBindable {
    func bind(to statement: SQLiteStatement, at index: Int32) { statement.bind(index, self) }
}

extension Optional: SQLiteBindable where Wrapped: SQLiteBindable {
    func bind(to statement: SQLiteStatement, at index: Int32) {
        if let self { self.bind(to: statement, at: index) } else { statement.bindNull(index) }
    }
}
