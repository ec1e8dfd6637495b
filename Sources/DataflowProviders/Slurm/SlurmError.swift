/// A Slurm command failed, timed out or said something the provider cannot read.
///
/// The message names the command line (never the run secret, which no command line carries) and what the
/// command printed on standard error, e.g. `commandFailed: sbatch … exited with 1: sbatch: error: invalid
/// partition specified: gpu`.
public struct SlurmError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure it is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The code's name, as in the message.
        public var description: String { name }

        /// The command is not on `PATH` (this host is not a Slurm login node, or the client is not installed).
        public static let commandNotFound = Code("commandNotFound")
        /// The command exited with a non-zero status.
        public static let commandFailed = Code("commandFailed")
        /// The command did not finish within `cmd_timeout`; it was killed.
        public static let timedOut = Code("timedOut")
        /// The command's output could not be parsed (for `sbatch`: no job id in it).
        public static let unparsableOutput = Code("unparsableOutput")
        /// A configuration value cannot be turned into a batch script (a malformed walltime, a bad job name).
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// The script or secret file could not be written.
        public static let io = Code("io")
    }

    /// What kind of failure it is.
    public var code: Code
    /// What happened, naming the command.
    public var message: String

    /// Creates the error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
