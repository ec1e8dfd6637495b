import Foundation

/// A failed Kubernetes API call: the HTTP status, the server's `Status` reason (e.g. `"AlreadyExists"`,
/// `"Forbidden"`, `"Expired"`) and message, or a transport failure (code 0) with libcurl's explanation.
public struct KubernetesAPIError: Error, Sendable, CustomStringConvertible {
    /// Which kind of failure this is; compare with the static members (`.status`, `.transport`, ...).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The server answered with a non-2xx status; ``KubernetesAPIError/httpStatus`` says which.
        public static let status = Code("status")
        /// The connection, TLS handshake or transfer failed (no HTTP status).
        public static let transport = Code("transport")
        /// Credentials could not be loaded (token file, kubeconfig, exec plugin).
        public static let credentials = Code("credentials")
        /// The kubeconfig or in-cluster environment is missing or malformed.
        public static let configuration = Code("configuration")
        /// A response body could not be decoded.
        public static let decoding = Code("decoding")
        /// The client was cancelled (a watch stopped by its consumer).
        public static let cancelled = Code("cancelled")
    }

    /// What kind of failure this is; for `.status`, ``httpStatus`` and ``reason`` say more.
    public var code: Code
    /// What went wrong: the server's `Status` message (or the start of the response body), libcurl's
    /// explanation of a transport failure, or what is wrong with the configuration or credentials.
    public var message: String
    /// HTTP status (403, 404, 409, 410, 422, 429, 5xx), 0 for non-HTTP failures.
    public var httpStatus: Int
    /// The `reason` of the server's `Status` object (e.g. `"NotFound"`, `"AlreadyExists"`, `"Invalid"`).
    public var reason: String?
    /// Seconds the server asked us to wait (`Retry-After`), for 429 and some 5xx.
    public var retryAfter: Double?
    /// What was being done, e.g. `"POST /api/v1/namespaces/ns/pods"`.
    public var operation: String

    /// Creates an error; leave `httpStatus` at 0 for failures without an HTTP answer.
    public init(_ code: Code, _ message: String, httpStatus: Int = 0, reason: String? = nil, retryAfter: Double? = nil, operation: String = "") {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.reason = reason
        self.retryAfter = retryAfter
        self.operation = operation
    }

    /// Worth retrying with backoff: 429, 500, 502, 503, 504, and transport failures.
    public var isTransient: Bool {
        code == .transport || [429, 500, 502, 503, 504].contains(httpStatus)
    }

    /// 404: the object does not exist.
    public var isNotFound: Bool { httpStatus == 404 }
    /// 409 AlreadyExists (as opposed to a 409 Conflict on update).
    public var isAlreadyExists: Bool { httpStatus == 409 && (reason == nil || reason == "AlreadyExists") }
    /// 410 Gone: a watch's resourceVersion is too old; re-list.
    public var isGone: Bool { httpStatus == 410 || reason == "Expired" || reason == "Gone" }

    public var description: String {
        var text = "\(code)"
        if httpStatus != 0 { text += " \(httpStatus)" }
        if let reason { text += " \(reason)" }
        if !operation.isEmpty { text += " (\(operation))" }
        return text + ": \(message)"
    }
}
