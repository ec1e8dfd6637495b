import NIOCore
import NIOSSL

/// Encryption of leader–worker traffic: TLS 1.2 with a pre-shared key derived from the run secret
/// (`ECDHE-PSK-CHACHA20-POLY1305`: an ephemeral key exchange for forward secrecy, an AEAD cipher for
/// integrity, so that a frame injected into the TCP stream is rejected).
///
/// Why a pre-shared key rather than certificates: the run secret already reaches every worker the way a key
/// must (the provider's environment, a Kubernetes Secret), so deriving the TLS key from it gives per-run keys
/// and mutual authentication — each side proves it holds the key in the handshake — with no certificate to
/// make, distribute or pin. The HMAC challenge–response of the protocol still runs inside the TLS session.
/// The secret never appears on a command line or in logs; the TLS key is an HMAC of it, never the secret.
///
/// The implementation is SwiftNIO SSL (BoringSSL), chosen over the system OpenSSL because NIO integration is
/// its purpose and it is kept in step with SwiftNIO; docs/wire-protocol.md has the measurements.
public enum TransportSecurity {
    /// The PSK identity both sides use; it names the scheme, not a party.
    static let identity = "dataflow-run-psk-v1"

    /// The cipher suite: ECDHE key exchange authenticated by the PSK, ChaCha20-Poly1305.
    static let cipherSuites = "ECDHE-PSK-CHACHA20-POLY1305"

    /// The TLS key: HMAC-SHA256(secret, "dataflow tls psk v1"), so the secret itself is never a TLS input.
    static func presharedKey(secret: String) -> NIOSSLSecureBytes {
        let derived = Authenticator(secret: secret).derivedKey(label: "dataflow tls psk v1")
        var key = NIOSSLSecureBytes()
        key.append(derived)
        return key
    }

    /// The interchange's TLS context for a run.
    public static func serverContext(secret: String) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makePreSharedKeyConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv12
        configuration.cipherSuites = cipherSuites
        configuration.pskHint = identity
        let key = presharedKey(secret: secret)
        configuration.pskServerProvider = { context in
            guard context.clientIdentity == identity else { throw NIOSSLError.handshakeFailed(.sslError([])) }
            return PSKServerIdentityResponse(key: key)
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// A worker's TLS context for a run.
    public static func clientContext(secret: String) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makePreSharedKeyConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv12
        configuration.cipherSuites = cipherSuites
        let key = presharedKey(secret: secret)
        configuration.pskClientProvider = { _ in PSKClientIdentityResponse(key: key, identity: identity) }
        return try NIOSSLContext(configuration: configuration)
    }

    /// Whether an error is a failed TLS handshake (a peer with another secret, or without encryption).
    public static func isHandshakeFailure(_ error: any Error) -> Bool {
        if case .handshakeFailed = error as? NIOSSLError { return true }
        return error is BoringSSLError
    }

    /// Whether a TLS error only says that the peer closed the connection before the handshake finished: not
    /// a key that does not match, but an interchange turning away connections over its handshake limit (or
    /// going away). NIOSSL reports it as an "EOF during handshake" error, or as an unclean shutdown.
    public static func isClosedDuringHandshake(_ error: any Error) -> Bool {
        if case .uncleanShutdown = error as? NIOSSLError { return true }
        return "\(error)".contains("EOF during handshake")
    }
}
