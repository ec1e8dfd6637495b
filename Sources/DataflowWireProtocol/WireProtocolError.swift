/// A violation of the leader–worker protocol. The connection it happened on is closed; nothing else is
/// affected.
public struct WireProtocolError: Error, Sendable, CustomStringConvertible {
    /// The kind of violation; compare with the static constants, e.g. `.frameTooLarge`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A frame longer than the configured maximum.
        public static let frameTooLarge = Code("frameTooLarge")
        /// A frame whose contents do not parse (unknown type, truncated fields, bad UTF-8, bad compression).
        public static let malformedFrame = Code("malformedFrame")
        /// A well-formed message that is not allowed at this point of the conversation.
        public static let unexpectedMessage = Code("unexpectedMessage")
        /// The peer could not prove it knows the run secret.
        public static let authenticationFailed = Code("authenticationFailed")
        /// The peer speaks another protocol version or runs different apps.
        public static let incompatiblePeer = Code("incompatiblePeer")
        /// The peer stopped sending heartbeats.
        public static let heartbeatMissed = Code("heartbeatMissed")
    }

    /// What kind of violation this is.
    public var code: Code
    /// What was wrong, for people (sizes, kinds or the peer's reason).
    public var message: String

    /// An error of kind `code` explained by `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
