/// An error from a provider or the block scaler (a block could not be started, polled or stopped).
public struct ProvidersError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A configuration value is invalid; the message names it.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// A block's processes (or pods) could not be started.
        public static let submitFailed = Code("submitFailed")
        /// A job id the provider does not know.
        public static let unknownJob = Code("unknownJob")
        /// Log directories or files could not be created.
        public static let io = Code("io")
        /// The provider or scaler was used after shutdown.
        public static let shutDown = Code("shutDown")
    }

    /// What kind of failure this is (`.submitFailed`, `.shutDown`, ...).
    public var code: Code
    /// What went wrong, naming the block, pod or setting involved.
    public var message: String

    /// Creates an error of kind `code` with an explanatory `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
