import Foundation
import Synchronization

/// Produces the bearer token for each request: a fixed token, a token file re-read when it may have
/// rotated, or an exec plugin's token cached until shortly before it expires.
final class CredentialCache: Sendable {
    private struct Cached: Sendable {
        var token: String
        var validUntil: ContinuousClock.Instant
    }
    private let credential: KubernetesClient.Configuration.Credential
    private let cached = Mutex<Cached?>(nil)
    /// Token files are re-read at least this often (kubelet rotates projected tokens well before expiry).
    private let fileRefresh: Duration = .seconds(60)

    init(_ credential: KubernetesClient.Configuration.Credential) {
        self.credential = credential
    }

    /// Forgets the cached token (after a 401), so the next request reads or runs again.
    func invalidate() { cached.withLock { $0 = nil } }

    func token() throws -> String? {
        switch credential {
        case .none: return nil
        case .bearerToken(let token): return token
        case .tokenFile(let path):
            if let c = cached.withLock({ $0 }), ContinuousClock.now < c.validUntil { return c.token }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw KubernetesAPIError(.credentials, "cannot read token file \(path)")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            cached.withLock { $0 = Cached(token: token, validUntil: .now + fileRefresh) }
            return token
        case .exec(let command):
            if let c = cached.withLock({ $0 }), ContinuousClock.now < c.validUntil { return c.token }
            let (token, lifetime) = try Self.run(command)
            cached.withLock { $0 = Cached(token: token, validUntil: .now + lifetime) }
            return token
        }
    }

    /// Runs the plugin and parses its `ExecCredential`; the lifetime ends a minute before expiry.
    static func run(_ command: KubernetesClient.ExecCredentialCommand) throws -> (String, Duration) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [command.command] + command.arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(command.environment) { _, new in new }
        env["KUBERNETES_EXEC_INFO"] = #"{"apiVersion":"\#(command.apiVersion)","kind":"ExecCredential","spec":{"interactive":false}}"#
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            throw KubernetesAPIError(.credentials, "cannot run exec plugin \(command.command): \(error)" + (command.installHint.map { "; \($0)" } ?? ""))
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let hint = process.terminationStatus == 127 ? (command.installHint.map { "; \($0)" } ?? "") : ""
            throw KubernetesAPIError(
                .credentials, "exec plugin \(command.command) exited with \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))\(hint)")
        }
        struct ExecCredential: Decodable {
            struct Status: Decodable {
                var token: String?
                var expirationTimestamp: String?
            }
            var status: Status?
        }
        guard let credential = try? JSONDecoder().decode(ExecCredential.self, from: data), let token = credential.status?.token else {
            throw KubernetesAPIError(.credentials, "exec plugin \(command.command) printed no ExecCredential with status.token")
        }
        var lifetime: Duration = .seconds(3600 * 24 * 365)  // no expiry given: valid until a 401
        if let stamp = credential.status?.expirationTimestamp, let expiry = ISO8601DateFormatter().date(from: stamp) {
            lifetime = .seconds(max(0, expiry.timeIntervalSinceNow - 60))
        }
        return (token, lifetime)
    }
}
