/// An error from the monitoring store or from reading a monitoring database.
///
/// `code` says what kind of operation failed; `message` names the file and carries SQLite's own message.
public struct MonitoringError: Error, Sendable, CustomStringConvertible {
    /// What failed. A struct with static values rather than an enum, so codes can be added later.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case openFailed, schema, query, write, notFound
        }

        private let value: Value

        private init(_ value: Value) {
            self.value = value
        }

        /// The database (or its directory) could not be created or opened.
        public static let openFailed = Code(.openFailed)
        /// Creating or checking the schema failed.
        public static let schema = Code(.schema)
        /// A read query failed.
        public static let query = Code(.query)
        /// The background writer could not commit a batch.
        public static let write = Code(.write)
        /// The requested run is not in the database.
        public static let notFound = Code(.notFound)

        public var description: String {
            switch self.value {
            case .openFailed: "openFailed"
            case .schema: "schema"
            case .query: "query"
            case .write: "write"
            case .notFound: "notFound"
            }
        }
    }

    /// What kind of operation failed.
    public var code: Code
    /// A human-readable explanation, including the database path.
    public var message: String
    /// SQLite's extended result code, when the error came from SQLite.
    public var sqliteResultCode: Int32?

    /// Creates an error.
    /// - Parameters:
    ///   - code: What kind of operation failed.
    ///   - message: A human-readable explanation; include the path.
    ///   - sqliteResultCode: SQLite's result code, if any.
    public init(code: Code, message: String, sqliteResultCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.sqliteResultCode = sqliteResultCode
    }

    public var description: String {
        "MonitoringError.\(self.code): \(self.message)"
    }
}
