import DataflowWireProtocol
import NIOCore

enum NIOByteBufferHelper {
    /// The whole frame of `message` as bytes.
    static func frame(_ message: WireMessage) -> [UInt8] {
        var buffer = ByteBuffer()
        try! WireCodec().encodeFrame(message, into: &buffer)
        return Array(buffer.readableBytesView)
    }
}
