import CVizCurl
import CVizCurlShims
import Foundation
import Synchronization

/// HTTP over libcurl: one easy handle per transfer, taken from a small pool so that connections (and HTTP/2
/// sessions) are reused. A transfer runs `curl_easy_perform` on a dedicated thread: the Swift concurrency
/// pool is never blocked, and a watch can stream for hours.
final class CurlTransport: Sendable {
    /// TLS and timeouts, fixed for the transport's lifetime.
    struct TLS: Sendable {
        var caFile: String?
        var caData: Data?
        var clientCertificateFile: String?
        var clientCertificateData: Data?
        var clientKeyFile: String?
        var clientKeyData: Data?
        var insecureSkipVerify = false
    }

    struct Response: Sendable {
        var status: Int
        var body: Data
        var headers: [String: String]
        /// 2 for HTTP/2, 1 for HTTP/1.x.
        var httpVersion: Int
    }

    private let tls: TLS
    private let connectTimeout: Duration
    /// Idle easy handles; `curl_easy_reset` keeps their connection cache.
    private let pool = Mutex<[Handle]>([])

    /// Owns one `CURL *`. Only one transfer uses it at a time (taken out of the pool while in use).
    final class Handle: @unchecked Sendable {  // safe: used by one thread at a time (pool hand-off)
        let raw: UnsafeMutableRawPointer
        init?() {
            guard let raw = curl_easy_init() else { return nil }
            self.raw = raw
        }
        deinit { curl_easy_cleanup(raw) }
    }

    private static let globalInit: Bool = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK }()

    init(tls: TLS, connectTimeout: Duration) {
        _ = Self.globalInit
        self.tls = tls
        self.connectTimeout = connectTimeout
    }

    /// Receives the transfer's bytes from libcurl's callbacks (on the transfer thread).
    final class Sink: @unchecked Sendable {  // safe: written only by the transfer thread; `cancelled` is atomic
        var body = Data()
        var headers: [String: String] = [:]
        var lineBuffer = Data()
        /// When set, body bytes go here (streaming) instead of into ``body``.
        var onData: ((Data) -> Void)?
        let cancelled = Atomic<Bool>(false)
    }

    /// Performs one request. `timeout` nil means no overall deadline (watches); `sink.onData` streams.
    func perform(
        method: String, url: String, headers: [String], body: Data?, timeout: Duration?, sink: Sink
    ) async throws -> Response {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Response, any Error>) in
            let thread = Thread { [self] in
                continuation.resume(
                    with: Result { try self.performBlocking(method: method, url: url, headers: headers, body: body, timeout: timeout, sink: sink) })
            }
            thread.name = "curl \(method)"
            thread.start()
        }
    }

    private func takeHandle() throws -> Handle {
        if let h = pool.withLock({ $0.popLast() }) {
            curl_easy_reset(h.raw)
            return h
        }
        guard let h = Handle() else { throw KubernetesAPIError(.transport, "curl_easy_init failed") }
        return h
    }

    private func performBlocking(method: String, url: String, headers: [String], body: Data?, timeout: Duration?, sink: Sink) throws -> Response {
        let handle = try takeHandle()
        let h = handle.raw
        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }
        for header in headers { list = curl_slist_append(list, header) }

        func check(_ rc: CURLcode, _ what: String) throws {
            guard rc == CURLE_OK else { throw KubernetesAPIError(.transport, "curl option \(what): \(String(cString: curl_easy_strerror(rc)))") }
        }
        try check(ccurl_setopt_string(h, CURLOPT_URL, url), "URL")
        try check(ccurl_setopt_string(h, CURLOPT_CUSTOMREQUEST, method), "method")
        try check(ccurl_setopt_slist(h, CURLOPT_HTTPHEADER, list), "headers")
        _ = ccurl_setopt_long(h, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        _ = ccurl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_setopt_long(h, CURLOPT_TCP_KEEPALIVE, 1)
        _ = ccurl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout.components.seconds * 1000))
        if let timeout {
            _ = ccurl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        }
        if let body {
            _ = ccurl_setopt_offset(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            try body.withUnsafeBytes { raw in
                try check(
                    ccurl_setopt_pointer(h, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)),
                    "body")
            }
        } else if method == "HEAD" {
            _ = ccurl_setopt_long(h, CURLOPT_NOBODY, 1)
        }
        try applyTLS(h, check)

        let user = Unmanaged.passRetained(sink)
        defer { user.release() }
        _ = ccurl_setopt_pointer(h, CURLOPT_WRITEDATA, user.toOpaque())
        _ = ccurl_setopt_pointer(h, CURLOPT_HEADERDATA, user.toOpaque())
        _ = ccurl_setopt_pointer(h, CURLOPT_XFERINFODATA, user.toOpaque())
        _ = ccurl_setopt_write_function(h) { data, size, count, user in
            let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
            let n = size * count
            let chunk = Data(bytes: data!, count: n)
            if let onData = sink.onData { onData(chunk) } else { sink.body.append(chunk) }
            return n
        }
        _ = ccurl_setopt_header_function(h) { data, size, count, user in
            let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
            let n = size * count
            if let line = String(data: Data(bytes: data!, count: n), encoding: .utf8) {
                if line.hasPrefix("HTTP/") { sink.headers = [:] }  // a new response (after 100-continue or a redirect)
                if let colon = line.firstIndex(of: ":") {
                    let name = line[..<colon].lowercased()
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                    sink.headers[name] = value
                }
            }
            return n
        }
        _ = ccurl_setopt_progress_function(h) { user, _, _, _, _ in
            // Called about once a second even when idle: this is how a watch is stopped.
            Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue().cancelled.load(ordering: .relaxed) ? 1 : 0
        }

        let rc = curl_easy_perform(h)
        var status = 0
        var version = 0
        _ = ccurl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        _ = ccurl_getinfo_long(h, CURLINFO_HTTP_VERSION, &version)
        pool.withLock { if $0.count < 8 { $0.append(handle) } }
        if rc == CURLE_ABORTED_BY_CALLBACK {
            throw KubernetesAPIError(.cancelled, "\(method) \(url): cancelled")
        }
        guard rc == CURLE_OK else {
            // A stream that ended after headers (server closed a watch) is reported with its status.
            throw KubernetesAPIError(.transport, "\(method) \(url): \(String(cString: curl_easy_strerror(rc)))", httpStatus: 0)
        }
        return Response(status: status, body: sink.body, headers: sink.headers, httpVersion: version >= Int(CURL_HTTP_VERSION_2_0) ? 2 : 1)
    }

    private func applyTLS(_ h: UnsafeMutableRawPointer, _ check: (CURLcode, String) throws -> Void) throws {
        if tls.insecureSkipVerify {
            _ = ccurl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 0)
            _ = ccurl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let file = tls.caFile { try check(ccurl_setopt_string(h, CURLOPT_CAINFO, file), "CA file") }
        if let data = tls.caData {
            try data.withUnsafeBytes { try check(ccurl_setopt_blob(h, CURLOPT_CAINFO_BLOB, $0.baseAddress, $0.count), "CA data") }
        }
        if let file = tls.clientCertificateFile { try check(ccurl_setopt_string(h, CURLOPT_SSLCERT, file), "client certificate") }
        if let data = tls.clientCertificateData {
            try data.withUnsafeBytes { try check(ccurl_setopt_blob(h, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count), "client certificate data") }
            _ = ccurl_setopt_string(h, CURLOPT_SSLCERTTYPE, "PEM")
        }
        if let file = tls.clientKeyFile { try check(ccurl_setopt_string(h, CURLOPT_SSLKEY, file), "client key") }
        if let data = tls.clientKeyData {
            try data.withUnsafeBytes { try check(ccurl_setopt_blob(h, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count), "client key data") }
            _ = ccurl_setopt_string(h, CURLOPT_SSLKEYTYPE, "PEM")
        }
    }
}
