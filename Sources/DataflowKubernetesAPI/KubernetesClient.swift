import Foundation
import Synchronization

/// A small Kubernetes API client over libcurl: HTTPS with a private CA or client certificates, HTTP/2 where
/// the server offers it, bearer tokens from a file, a kubeconfig or an exec plugin, transient failures
/// retried with backoff, and streaming watches.
///
/// Only what the provider needs is here: pods (create, get, list, delete, watch) and secrets (create, get,
/// delete). Errors are ``KubernetesAPIError`` values carrying the HTTP status and the server's `Status`.
public final class KubernetesClient: Sendable {
    /// Where the API server is and how this client trusts and authenticates to it.
    public let configuration: Configuration
    private let transport: CurlTransport
    private let credentials: CredentialCache

    /// Creates a client; nothing is contacted and no credential is read until the first request.
    public init(configuration: Configuration) {
        self.configuration = configuration
        self.credentials = CredentialCache(configuration.credential)
        self.transport = CurlTransport(
            tls: .init(
                caFile: configuration.caFile,
                caData: configuration.caData,
                clientCertificateFile: configuration.clientCertificateFile,
                clientCertificateData: configuration.clientCertificateData,
                clientKeyFile: configuration.clientKeyFile,
                clientKeyData: configuration.clientKeyData,
                insecureSkipVerify: configuration.insecureSkipTLSVerify
            ),
            connectTimeout: configuration.connectTimeout
        )
    }

    /// The namespace used when a call names none.
    public var namespace: String { configuration.namespace }

    /// The result of a raw request.
    public struct Response: Sendable {
        /// The HTTP status code (always 2xx from ``send(_:_:query:body:)``, which throws for any other).
        public var status: Int
        /// The response body, usually JSON.
        public var body: Data
        /// The response headers, with lower-cased names.
        public var headers: [String: String]
        /// 2 when HTTP/2 was negotiated.
        public var httpVersion: Int
    }

    /// One request with retries of transient failures; non-2xx answers throw ``KubernetesAPIError``.
    /// `path` starts with `/`; `query` items are percent-encoded here.
    public func send(_ method: String, _ path: String, query: [(String, String)] = [], body: Data? = nil) async throws -> Response {
        let url = self.url(path, query)
        let operation = "\(method) \(path)"
        var attempt = 0
        var refreshedToken = false
        while true {
            do {
                let r = try await performOnce(method: method, url: url, body: body, operation: operation)
                if (200..<300).contains(r.status) { return r }
                let error = Self.error(from: r, operation: operation)
                if r.status == 401, !refreshedToken {
                    // The token may have rotated (file) or expired early (exec): reload it once.
                    refreshedToken = true
                    credentials.invalidate()
                    continue
                }
                throw error
            } catch let error as KubernetesAPIError where error.isTransient && attempt < configuration.maxRetries {
                attempt += 1
                try await Task.sleep(for: delay(attempt: attempt, retryAfter: error.retryAfter))
            }
        }
    }

    /// Sends and decodes a JSON response.
    public func send<T: Decodable>(_ method: String, _ path: String, query: [(String, String)] = [], body: Data? = nil, as type: T.Type) async throws -> T {
        let r = try await send(method, path, query: query, body: body)
        do {
            return try JSONDecoder().decode(T.self, from: r.body)
        } catch {
            throw KubernetesAPIError(.decoding, "cannot decode \(T.self): \(error)", httpStatus: r.status, operation: "\(method) \(path)")
        }
    }

    // MARK: Internals shared with the watch

    func url(_ path: String, _ query: [(String, String)]) -> String {
        var components = URLComponents()
        components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
        // URLComponents leaves "+" and "=" alone, which the server would misread in selectors.
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "+&=,!")
        let q = query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }.joined(separator: "&")
        return configuration.server + path + (q.isEmpty ? "" : "?" + q)
    }

    func headers(accept: String = "application/json") throws -> [String] {
        var h = ["Accept: \(accept)", "Content-Type: application/json", "User-Agent: \(configuration.userAgent)"]
        if let token = try credentials.token() { h.append("Authorization: Bearer \(token)") }
        return h
    }

    func performOnce(method: String, url: String, body: Data?, operation: String) async throws -> Response {
        let r = try await transport.perform(
            method: method, url: url, headers: try headers(), body: body, timeout: configuration.requestTimeout, sink: CurlTransport.Sink()
        )
        return Response(status: r.status, body: r.body, headers: r.headers, httpVersion: r.httpVersion)
    }

    func stream(url: String, onData: @escaping (Data) -> Void, cancelled: @escaping @Sendable () -> Bool) async throws -> Response {
        let sink = CurlTransport.Sink()
        sink.onData = onData
        let watcher = Task {
            while !Task.isCancelled {
                if cancelled() { sink.cancelled.store(true, ordering: .relaxed) }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        defer { watcher.cancel() }
        let r = try await transport.perform(method: "GET", url: url, headers: try headers(), body: nil, timeout: nil, sink: sink)
        return Response(status: r.status, body: r.body, headers: r.headers, httpVersion: r.httpVersion)
    }

    func invalidateToken() { credentials.invalidate() }

    func delay(attempt: Int, retryAfter: Double?) -> Duration {
        let cap = Double(configuration.maxRetryDelay.components.seconds) + Double(configuration.maxRetryDelay.components.attoseconds) / 1e18
        if let retryAfter { return .milliseconds(Int(min(cap, max(0, retryAfter)) * 1000)) }
        let base = Double(configuration.retryBaseDelay.components.seconds) + Double(configuration.retryBaseDelay.components.attoseconds) / 1e18
        let exp = min(cap, base * pow(2, Double(attempt - 1)))
        return .milliseconds(Int(exp * Double.random(in: 0.5...1.0) * 1000))
    }

    /// Turns a non-2xx response into an error, using the body's `Status` when there is one.
    static func error(from r: Response, operation: String) -> KubernetesAPIError {
        let status = try? JSONDecoder().decode(APIStatus.self, from: r.body)
        let text = status?.message ?? String(decoding: r.body.prefix(500), as: UTF8.self)
        let retryAfter = r.headers["retry-after"].flatMap(Double.init)
        return KubernetesAPIError(
            .status, text.isEmpty ? "HTTP \(r.status)" : text, httpStatus: r.status, reason: status?.reason, retryAfter: retryAfter, operation: operation
        )
    }
}
