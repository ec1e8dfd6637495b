import DataflowWireProtocol
import NIOCore
import NIOSSL

/// Passes decoded frames to the connection; any decoding error or EOF ends it.
final class WorkerChannelHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: `handshake` is set once in the channel initializer, on the channel's event loop, before
    // any read, and only used there afterwards (NIOLoopBound checks that).
    typealias InboundIn = WireMessage

    let connection: WorkerConnection
    /// The decoder's handshake limits, lifted once the leader accepted this worker.
    var handshake: NIOLoopBound<HandshakeGuard>?

    init(connection: WorkerConnection) { self.connection = connection }

    func channelActive(context: ChannelHandlerContext) {
        connection.attach(context.channel)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let authenticated = connection.received(Self.unwrapInboundIn(data))
        if authenticated, let handshake, !handshake.value.isAuthenticated { handshake.value.authenticated() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.disconnected()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if TransportSecurity.isClosedDuringHandshake(error) {
            // Turned away before the handshake finished (the interchange's limit on handshakes at once): the
            // close that follows dials again, as for a plain connection closed before the challenge.
        } else if TransportSecurity.isHandshakeFailure(error) {
            connection.tlsFailed("\(error)")
        } else {
            WorkerService.log("worker: connection error: \(error)")
        }
        context.close(promise: nil)
    }
}
