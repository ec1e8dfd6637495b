/// An error in how the kernel is configured or used (not a task failure; those are ``TaskError``).
public struct DataflowError: Error, Sendable, CustomStringConvertible {
    /// The kind of error; compare with the static constants, e.g. `.invalidConfiguration`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A configuration file or value is invalid; the message names the file and key.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// An app names an executor label the kernel does not have.
        public static let unknownExecutor = Code("unknownExecutor")
        /// The run directory or a checkpoint file could not be read or written.
        public static let io = Code("io")
        /// The kernel was used after shutdown.
        public static let shutDown = Code("shutDown")
    }

    /// What kind of error this is.
    public var code: Code
    /// What went wrong, for people (names the file, key or executor involved).
    public var message: String

    /// An error of kind `code` explained by `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
