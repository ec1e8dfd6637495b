import DataflowWireProtocol
import NIOCore

/// One worker connection on the leader side: the challenge–response handshake, then passing messages to
/// the server. Anything unexpected closes this connection only, with the reason logged.
final class InterchangeConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = WireMessage
    typealias OutboundOut = WireMessage

    private let server: InterchangeServer
    private let connectionID: Int
    private var nonce: [UInt8] = []
    /// Whether the server holds this connection as a worker: only then does its close make the worker leave.
    private var registered = false
    private var closeReason: String?
    private var handshakeTimeout: Scheduled<Void>?
    private let handshake: HandshakeGuard

    init(server: InterchangeServer, connectionID: Int, handshake: HandshakeGuard) {
        self.server = server
        self.connectionID = connectionID
        self.handshake = handshake
    }

    func channelActive(context: ChannelHandlerContext) {
        nonce = Authenticator.nonce()
        context.writeAndFlush(Self.wrapOutboundOut(.challenge(Challenge(nonce: nonce))), promise: nil)
        let timeout = server.configuration.handshakeTimeout
        // Handlers live on their channel's event loop; the timeout fires on the same loop.
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        handshakeTimeout = context.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)) {
            let (handler, context) = bound.value
            guard !handler.registered else { return }
            handler.close(context, "no registration within \(timeout)")
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = Self.unwrapInboundIn(data)
        guard registered else {
            handshake(context: context, message)
            return
        }
        switch message {
        case .started, .results, .heartbeat:
            server.received(connectionID, message)
        case .drained:
            server.received(connectionID, message)
            close(context, "drained")
        default:
            close(context, "unexpected \(message.kind) message from a registered worker")
        }
    }

    private func handshake(context: ChannelHandlerContext, _ message: WireMessage) {
        guard case .register(let registration) = message else {
            close(context, "expected a registration, got \(message.kind)")
            return
        }
        let expected = server.authenticator.registrationProof(leaderNonce: nonce, workerNonce: registration.nonce)
        guard registration.nonce.count == 32, Authenticator.matches(registration.proof, expected) else {
            // Tell an unauthenticated peer nothing: just close.
            close(context, "authentication failed from \(context.remoteAddress.map { "\($0)" } ?? "unknown")")
            return
        }
        if registration.version != ProtocolVersion.current || registration.fingerprint != server.fingerprint {
            let reason =
                registration.version != ProtocolVersion.current
                ? "protocol version \(registration.version) is not the leader's \(ProtocolVersion.current)"
                : "the worker's apps (fingerprint \(registration.fingerprint)) differ from the leader's (\(server.fingerprint)): leader and worker must run the same build"
            context.writeAndFlush(Self.wrapOutboundOut(.rejected(reason)), promise: nil)
            close(context, "refused worker \(registration.workerID): \(reason)")
            return
        }
        guard server.leftHandshake(connectionID) else {
            // Turned away at the handshake cap while this registration was in flight: the close under way
            // ends the connection, and the worker dials again.
            close(context, "turned away at the handshake limit")
            return
        }
        handshake.authenticated()
        handshakeTimeout?.cancel()
        let acceptance = Acceptance(
            proof: server.authenticator.acceptanceProof(workerNonce: registration.nonce),
            heartbeatPeriodMilliseconds: UInt32(
                server.configuration.heartbeatPeriod.components.seconds * 1000 + server.configuration.heartbeatPeriod.components.attoseconds
                    / 1_000_000_000_000_000),
            heartbeatThresholdMilliseconds: UInt32(
                server.configuration.heartbeatThreshold.components.seconds * 1000 + server.configuration.heartbeatThreshold.components.attoseconds
                    / 1_000_000_000_000_000)
        )
        context.writeAndFlush(Self.wrapOutboundOut(.accepted(acceptance)), promise: nil)
        // A write to a connection that is closing can close it at once, inactive event and all: then it
        // never joins (joining it after would leave a worker that no close ever removes).
        guard context.channel.isActive, closeReason == nil else { return }
        registered = true
        server.register(connectionID, channel: context.channel, registration)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimeout?.cancel()
        server.leftHandshake(connectionID)
        if registered { server.disconnected(connectionID, reason: closeReason ?? "connection closed") }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        close(context, "\(error)")
    }

    private func close(_ context: ChannelHandlerContext, _ reason: String) {
        guard closeReason == nil else { return }
        closeReason = reason
        if registered {
            if reason != "drained" { InterchangeServer.log("closing connection \(connectionID): \(reason)") }
        } else {
            // Peers that never authenticated are counted, not logged one by one: a flood must not flood the log.
            server.noteRefusedPeer(reason)
        }
        context.close(promise: nil)
    }
}
