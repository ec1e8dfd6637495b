/// A file could not be written, published or read back; the message names the path and the cause.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        /// Creating a file or its directory failed.
        public static let createFailed = Code(name: "createFailed")
        /// Writing bytes failed.
        public static let writeFailed = Code(name: "writeFailed")
        /// `close()` failed: on a bucket, the upload of the object failed (for example throttled).
        public static let closeFailed = Code(name: "closeFailed")
        /// Renaming a temporary file to its final name failed.
        public static let renameFailed = Code(name: "renameFailed")
        /// Reading a file to publish failed.
        public static let readFailed = Code(name: "readFailed")
        /// The name is taken, and the write must not replace it.
        public static let exists = Code(name: "exists")
        /// The code's name.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// The path and the cause.
    public var message: String

    /// An error with a code and a message naming the path.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `StorageError.<code>: <message>`.
    public var description: String { "StorageError.\(code): \(message)" }
}
