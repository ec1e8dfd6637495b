import NIOCore

/// What a connection accepts before its peer has authenticated: one small frame of a handshake kind.
///
/// Until ``authenticated()`` is called, the decoder refuses any frame larger than ``handshakeFrameSize`` or of
/// a kind outside ``handshakeKinds`` before decoding its body, so an unauthenticated peer can make this
/// side hold at most a few KiB (and never decompress anything). Lives on the channel's event loop, shared by
/// the decoder and the handler that runs the handshake.
public final class HandshakeGuard {
    /// The largest frame accepted before authentication (4 KiB: a registration is a few hundred bytes).
    public static let handshakeFrameSize = 4096

    /// Message kinds accepted before authentication.
    public let handshakeKinds: Set<WireMessage.Kind>
    /// Whether the peer has authenticated; from then on the codec's normal limit applies.
    public private(set) var isAuthenticated = false

    /// A guard that accepts only `kinds` until ``authenticated()``.
    public init(handshakeKinds: Set<WireMessage.Kind>) { self.handshakeKinds = handshakeKinds }

    /// Lifts the handshake limits (call once the peer proved it knows the run secret).
    public func authenticated() { isAuthenticated = true }
}

/// Decodes length-prefixed frames into ``WireMessage`` values, enforcing the frame size limit before buffering
/// a body (and, with a ``HandshakeGuard``, the handshake limits before authentication).
public struct FrameDecoder: ByteToMessageDecoder {
    /// Decoded frames are passed on as ``WireMessage`` values.
    public typealias InboundOut = WireMessage

    private let codec: WireCodec
    private let handshake: HandshakeGuard?

    /// A decoder with the codec's frame limit, and the handshake limits of `handshake` until it is lifted.
    public init(codec: WireCodec, handshake: HandshakeGuard? = nil) {
        self.codec = codec
        self.handshake = handshake
    }

    /// Decodes one frame if it is complete. Throws ``WireProtocolError`` `frameTooLarge` or `malformedFrame`
    /// (also for a kind not allowed before authentication) as soon as the header shows it.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        let unauthenticated = handshake.map { !$0.isAuthenticated } ?? false
        let limit = unauthenticated ? HandshakeGuard.handshakeFrameSize : codec.configuration.maxFrameSize
        guard Int(length) <= limit else {
            throw WireProtocolError(
                .frameTooLarge,
                "frame of \(length) bytes exceeds the \(limit)-byte limit\(unauthenticated ? " before authentication" : "")"
            )
        }
        guard length > 0 else { throw WireProtocolError(.malformedFrame, "empty frame") }
        if unauthenticated, let handshake, let kindByte = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self) {
            guard let kind = WireMessage.Kind(rawValue: kindByte), handshake.handshakeKinds.contains(kind) else {
                throw WireProtocolError(.malformedFrame, "message kind \(kindByte) is not allowed before authentication")
            }
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        var body = buffer.readSlice(length: Int(length))!
        let message = try codec.decodeBody(&body)
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }

    /// Decodes the frames left at end of input; a partial last frame is dropped.
    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial frame at EOF is simply dropped with the connection.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Encodes outbound ``WireMessage`` values into frames.
public final class FrameEncoder: MessageToByteEncoder, Sendable {
    /// Outbound ``WireMessage`` values are written as frames.
    public typealias OutboundIn = WireMessage

    private let codec: WireCodec

    /// An encoder using `codec`'s frame limit and compression settings.
    public init(codec: WireCodec) { self.codec = codec }

    /// Appends `data`'s frame to `out`; throws ``WireProtocolError`` `frameTooLarge` above the limit.
    public func encode(data: WireMessage, out: inout ByteBuffer) throws {
        try codec.encodeFrame(data, into: &out)
    }
}
