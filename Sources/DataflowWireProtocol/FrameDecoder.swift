import NIOCore
/// Splits the byte stream into frames and decodes each into a ``WireMessage``. A frame longer than the
/// limit, or one that does not parse, throws: the pipeline closes that connection.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = WireMessage

    private let codec: WireCodec

    public init(codec: WireCodec) { self.codec = codec }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard Int(length) <= codec.configuration.maxFrameSize else {
            throw WireProtocolError(.frameTooLarge, "frame of \(length) bytes exceeds the \(codec.configuration.maxFrameSize)-byte limit")
        }
        guard length > 0 else { throw WireProtocolError(.malformedFrame, "empty frame") }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        var body = buffer.readSlice(length: Int(length))!
        let message = try codec.decodeBody(&body)
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial frame at EOF is simply dropped with the connection.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Encodes outbound ``WireMessage`` values into frames.
public final class FrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = WireMessage

    private let codec: WireCodec

    public init(codec: WireCodec) { self.codec = codec }

    public func encode(data: WireMessage, out: inout ByteBuffer) throws {
        try codec.encodeFrame(data, into: &out)
    }
}
