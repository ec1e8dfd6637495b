/// A configuration file could not be read, or a key in it is wrong. The message names the file and the key
/// (`parameters/parsl_config.json: 'executors[0].max_blocks' must be at least 0, not -1`).
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The file is missing or unreadable.
        public static let unreadable = Code("unreadable")
        /// The file is not valid JSON.
        public static let invalidJSON = Code("invalidJSON")
        /// A key has the wrong type or value, is required and missing, or is not known.
        public static let invalidValue = Code("invalidValue")
    }

    /// What kind of problem it is.
    public var code: Code
    /// The message, naming the file and the key.
    public var message: String

    /// Creates the error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "invalidConfiguration: \(message)" }
}

/// What a component's configuration factory may need from the rest of its file.
public struct ConfigurationFileContext: Sendable {
    /// The run directory root (`run_dir`), e.g. for provider log directories.
    public var runDirectory: String

    /// Creates a context.
    public init(runDirectory: String) {
        self.runDirectory = runDirectory
    }
}
