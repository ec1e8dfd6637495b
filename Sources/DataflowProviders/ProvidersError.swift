/// An error from a provider or the block scaler (a block could not be started, polled or stopped, or a
/// scheduler command failed). The message names the command or block, never the run secret.
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
        /// A scheduler command (`sbatch`, `squeue`, …) is not on `PATH`: this host is not a login node, or
        /// the client is not installed.
        public static let commandNotFound = Code("commandNotFound")
        /// A scheduler command exited with a non-zero status; the message has its stderr.
        public static let commandFailed = Code("commandFailed")
        /// A scheduler command did not finish within `cmd_timeout` and was killed.
        public static let timedOut = Code("timedOut")
        /// A scheduler command's output could not be read (for `sbatch`: no job id in it).
        public static let unparsableOutput = Code("unparsableOutput")
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
