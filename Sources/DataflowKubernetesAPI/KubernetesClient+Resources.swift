import Foundation
import Synchronization

extension KubernetesClient {
    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    private func podsPath(_ namespace: String?) -> String { "/api/v1/namespaces/\(namespace ?? self.namespace)/pods" }
    private func secretsPath(_ namespace: String?) -> String { "/api/v1/namespaces/\(namespace ?? self.namespace)/secrets" }

    // MARK: Pods

    /// Creates a pod (POST); a 409 AlreadyExists is thrown as is.
    public func createPod(_ pod: Pod, namespace: String? = nil) async throws -> Pod {
        try await send("POST", podsPath(namespace ?? pod.metadata.namespace), body: try Self.encoder.encode(pod), as: Pod.self)
    }

    /// Reads one pod (GET); a missing pod throws an error whose ``KubernetesAPIError/isNotFound`` is true.
    public func getPod(_ name: String, namespace: String? = nil) async throws -> Pod {
        try await send("GET", podsPath(namespace) + "/" + name, as: Pod.self)
    }

    /// Lists pods matching a label selector such as `"a=b,c!=d"`; the list's resourceVersion starts a watch.
    public func listPods(labelSelector: String? = nil, namespace: String? = nil) async throws -> PodList {
        var query: [(String, String)] = []
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        return try await send("GET", podsPath(namespace), query: query, as: PodList.self)
    }

    /// Deletes a pod; returns false when it was already gone (404).
    @discardableResult
    public func deletePod(_ name: String, namespace: String? = nil, gracePeriodSeconds: Int? = nil, propagationPolicy: String? = "Background") async throws
        -> Bool
    {
        let options = DeleteOptions(gracePeriodSeconds: gracePeriodSeconds, propagationPolicy: propagationPolicy)
        do {
            _ = try await send("DELETE", podsPath(namespace) + "/" + name, body: try Self.encoder.encode(options))
            return true
        } catch let error as KubernetesAPIError where error.isNotFound {
            return false
        }
    }

    /// Watches pods from `resourceVersion` (server-side timeout `timeoutSeconds`). The stream ends when the
    /// server closes it and throws a ``KubernetesAPIError`` with ``KubernetesAPIError/isGone`` when the
    /// version is too old (re-list then). Cancelling the consuming task stops the transfer.
    public func watchPods(
        labelSelector: String? = nil, resourceVersion: String?, timeoutSeconds: Int = 300, namespace: String? = nil
    ) -> AsyncThrowingStream<WatchEvent<Pod>, any Error> {
        var query: [(String, String)] = [("watch", "true"), ("allowWatchBookmarks", "true"), ("timeoutSeconds", String(timeoutSeconds))]
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        return watch(path: podsPath(namespace), query: query)
    }

    // MARK: Secrets

    /// Creates a secret (POST) in `namespace`, else the secret's own, else the client's; a 409 AlreadyExists is thrown as is.
    public func createSecret(_ secret: Secret, namespace: String? = nil) async throws -> Secret {
        try await send("POST", secretsPath(namespace ?? secret.metadata.namespace), body: try Self.encoder.encode(secret), as: Secret.self)
    }

    /// Reads one secret (GET), with its values base64-encoded in ``Secret/data``; a missing one throws a 404 error.
    public func getSecret(_ name: String, namespace: String? = nil) async throws -> Secret {
        try await send("GET", secretsPath(namespace) + "/" + name, as: Secret.self)
    }

    /// Deletes a secret; returns false when it was already gone.
    @discardableResult
    public func deleteSecret(_ name: String, namespace: String? = nil) async throws -> Bool {
        do {
            _ = try await send("DELETE", secretsPath(namespace) + "/" + name)
            return true
        } catch let error as KubernetesAPIError where error.isNotFound {
            return false
        }
    }

    // MARK: Watch

    /// Splits a watch response into events. Runs the transfer on its own thread; `ERROR` events become
    /// thrown errors (410 → ``KubernetesAPIError/isGone``).
    func watch<Object: Decodable & Sendable>(path: String, query: [(String, String)]) -> AsyncThrowingStream<WatchEvent<Object>, any Error> {
        let (stream, continuation) = AsyncThrowingStream<WatchEvent<Object>, any Error>.makeStream()
        let url = self.url(path, query)
        let operation = "WATCH \(path)"
        let stopped = StopFlag()
        // Set before the transfer starts, so a consumer that stops at once still stops it.
        continuation.onTermination = { _ in stopped.set() }
        Task { [self] in
            let splitter = LineSplitter()
            do {
                let r = try await self.stream(
                    url: url,
                    onData: { data in
                        for line in splitter.feed(data) {
                            do {
                                if let event: WatchEvent<Object> = try Self.decodeEvent(line, operation: operation) { continuation.yield(event) }
                            } catch {
                                continuation.finish(throwing: error)
                                stopped.set()
                            }
                        }
                    },
                    cancelled: { stopped.isSet }
                )
                if !(200..<300).contains(r.status) {
                    if r.status == 401 { invalidateToken() }
                    var copy = r
                    copy.body = splitter.rest.isEmpty ? r.body : splitter.rest
                    throw Self.error(from: copy, operation: operation)
                }
                continuation.finish()
            } catch let error as KubernetesAPIError where error.code == .cancelled {
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return stream
    }

    static func decodeEvent<Object: Decodable & Sendable>(_ line: Data, operation: String) throws -> WatchEvent<Object>? {
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: line) else {
            // A non-event line: an error Status sent as the whole body of a failed watch.
            if let status = try? JSONDecoder().decode(APIStatus.self, from: line), status.kind == "Status" {
                throw KubernetesAPIError(.status, status.message ?? "watch failed", httpStatus: status.code ?? 0, reason: status.reason, operation: operation)
            }
            throw KubernetesAPIError(.decoding, "watch: unreadable line \(String(decoding: line.prefix(200), as: UTF8.self))", operation: operation)
        }
        if envelope.type == "ERROR" {
            let status = (try? JSONDecoder().decode(WatchErrorEnvelope.self, from: line))?.object
            throw KubernetesAPIError(
                .status, status?.message ?? "watch error", httpStatus: status?.code ?? 0, reason: status?.reason, operation: operation
            )
        }
        guard let kind = WatchEvent<Object>.Kind(rawValue: envelope.type) else { return nil }
        do {
            return WatchEvent(kind: kind, object: try JSONDecoder().decode(WatchObjectEnvelope<Object>.self, from: line).object)
        } catch {
            if kind == .bookmark { return nil }  // bookmarks carry only metadata
            throw KubernetesAPIError(.decoding, "watch event: \(error)", operation: operation)
        }
    }
}

private struct Envelope: Decodable { var type: String }
private struct WatchErrorEnvelope: Decodable { var object: APIStatus }
private struct WatchObjectEnvelope<Object: Decodable>: Decodable { var object: Object }

/// Splits a byte stream into newline-terminated lines (watch events are one JSON object per line).
final class LineSplitter: @unchecked Sendable {  // safe: fed only by the one transfer thread, read after it ends
    private(set) var rest = Data()
    func feed(_ data: Data) -> [Data] {
        rest.append(data)
        var lines: [Data] = []
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
            let line = rest[rest.startIndex..<newline]
            if !line.isEmpty { lines.append(Data(line)) }
            rest = Data(rest[rest.index(after: newline)...])
        }
        return lines
    }
}

/// A set-once flag shared between a stream's consumer and its transfer thread.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}
