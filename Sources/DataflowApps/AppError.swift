/// An error raised by the app layer: registration, payload coding and running commands.
public struct AppError: Error, Sendable, Codable, CustomStringConvertible {
    /// What kind of failure this is; compare with the static members.
    public struct Code: Hashable, Sendable, Codable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// Decodes a code by its name (a worker sends it so).
        public init(from decoder: any Decoder) throws { name = try decoder.singleValueContainer().decode(String.self) }

        /// Encodes the code's name.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(name)
        }

        /// Two apps were registered under one name.
        public static let duplicateAppName = Code("duplicateAppName")
        /// A task named an app that this registry does not have.
        public static let unknownApp = Code("unknownApp")
        /// Bytes that should hold an encoded value do not.
        public static let malformedPayload = Code("malformedPayload")
        /// A value could not be encoded or decoded as the app's input or output type.
        public static let typeMismatch = Code("typeMismatch")
        /// A bash app's command exited with a non-zero status.
        public static let commandFailed = Code("commandFailed")
        /// A bash app's command could not be started.
        public static let commandNotStarted = Code("commandNotStarted")
        /// A task ran longer than its walltime.
        public static let walltimeExceeded = Code("walltimeExceeded")
    }

    /// What kind of failure this is (e.g. `.unknownApp`, `.commandFailed`); match on it rather than on the message.
    public var code: Code
    /// A human-readable explanation that names the app, type or command involved.
    public var message: String

    /// Creates an error of kind `code` with an explanatory `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
