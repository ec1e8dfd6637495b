/// An error type whose values cross processes as themselves: a worker encodes a thrown error of this type
/// with the compact codec, and the leader decodes it back into the same Swift type, so that
/// `catch let error as MyError` works the same on every executor.
///
/// Register one with ``AppRegistry/Builder/register(error:)``; the runtime's own errors (``AppError``,
/// ``BashFailure``) are always registered.
public struct RegisteredErrorType: Sendable {
    /// `String(reflecting:)` of the type: what a worker sends and the leader looks up.
    public let typeName: String
    private let encodeIfMatching: @Sendable (any Error) throws -> [UInt8]?
    private let decodeBytes: @Sendable ([UInt8]) throws -> any Error

    init<E: Error & Codable & Sendable>(_ type: E.Type) {
        typeName = String(reflecting: E.self)
        encodeIfMatching = { error in
            guard let typed = error as? E else { return nil }
            return try CompactEncoder().encode(typed)
        }
        decodeBytes = { bytes in try CompactDecoder().decode(E.self, from: bytes) }
    }

    /// The error's bytes if it is of this type, else `nil`.
    public func encode(_ error: any Error) throws -> [UInt8]? { try encodeIfMatching(error) }

    /// The error these bytes encode.
    public func decode(_ bytes: [UInt8]) throws -> any Error { try decodeBytes(bytes) }
}

extension AppRegistry {
    /// The type name and bytes of `error` when its type is registered (exactly: not a subclass or a
    /// wrapper), for sending it to the leader; `nil` otherwise.
    public func encodeError(_ error: any Error) -> (typeName: String, bytes: [UInt8])? {
        let name = String(reflecting: type(of: error))
        guard let registered = errorTypes[name], let bytes = try? registered.encode(error) else { return nil }
        return (name, bytes)
    }

    /// The error a worker encoded, as its own type; `nil` when the type is not registered here or the
    /// bytes do not decode (then the caller keeps the error's text).
    public func decodeError(typeName: String, bytes: [UInt8]) -> (any Error)? {
        guard let registered = errorTypes[typeName] else { return nil }
        return try? registered.decode(bytes)
    }
}
