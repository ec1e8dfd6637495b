import DataflowKubernetesAPI
import Foundation
import Testing

private func samplePod(_ name: String, labels: [String: String] = ["app": "t"], command: [String]? = ["sleep", "30"]) -> Pod {
    var container = Container(name: "c", image: "busybox")
    container.command = command
    var spec = PodSpec(containers: [container])
    spec.restartPolicy = "Never"
    return Pod(metadata: ObjectMeta(name: name, labels: labels), spec: spec)
}

@Suite(.serialized) struct KubernetesClientTests {
    @Test func podsCreateGetListDeleteAndStatusErrors() async throws {
        try await withFakeCluster { cluster in
            let client = cluster.client()
            let created = try await client.createPod(samplePod("one"))
            #expect(created.metadata.uid != nil)
            #expect(created.metadata.namespace == "viz")
            _ = try await client.createPod(samplePod("two", labels: ["app": "other"]))
            #expect(try await client.getPod("one").metadata.name == "one")
            #expect(try await client.listPods(labelSelector: "app=t").items.map(\.metadata.name) == ["one"])
            #expect(try await client.listPods(labelSelector: "app!=t").items.map(\.metadata.name) == ["two"])

            // 409 AlreadyExists, 404 NotFound, 422 Invalid come back with code, reason and message.
            let duplicate = await #expect(throws: KubernetesAPIError.self) { _ = try await client.createPod(samplePod("one")) }
            #expect(duplicate?.httpStatus == 409)
            #expect(duplicate?.reason == "AlreadyExists")
            #expect(duplicate?.isAlreadyExists == true)
            #expect(duplicate?.message.contains("already exists") == true)
            let missing = await #expect(throws: KubernetesAPIError.self) { _ = try await client.getPod("nope") }
            #expect(missing?.isNotFound == true && missing?.reason == "NotFound")
            let invalid = await #expect(throws: KubernetesAPIError.self) { _ = try await client.createPod(samplePod("Bad_Name")) }
            #expect(invalid?.httpStatus == 422 && invalid?.reason == "Invalid")

            #expect(try await client.deletePod("one", gracePeriodSeconds: 0))
            #expect(await eventually { (try? await client.getPod("one")) == nil })
            #expect(try await client.deletePod("one") == false)  // already gone is not an error
            _ = try await client.deletePod("two", gracePeriodSeconds: 0)
        }
    }

    @Test func secretsAreStoredAsDataAndDeleted() async throws {
        try await withFakeCluster { cluster in
            let client = cluster.client()
            _ = try await client.createSecret(Secret(metadata: ObjectMeta(name: "run"), stringData: ["DATAFLOW_RUN_SECRET": "s3cr3t"]))
            let read = try await client.getSecret("run")
            #expect(read.data?["DATAFLOW_RUN_SECRET"] == Data("s3cr3t".utf8).base64EncodedString())
            #expect(try await client.deleteSecret("run"))
            #expect(try await client.deleteSecret("run") == false)
        }
    }

    @Test func transientErrorsAreRetriedAndOthersAreNot() async throws {
        try await withFakeCluster { cluster in
            let client = cluster.client()
            // Two 500s, then success.
            try await cluster.control("inject", ["method": "POST", "path": "/pods$", "status": 500, "count": 2])
            _ = try await client.createPod(samplePod("retried"))
            // 429 with Retry-After: waited for, then success.
            try await cluster.control(
                "inject", ["method": "GET", "path": "/pods/retried$", "status": 429, "count": 1, "retryAfter": 1, "reason": "TooManyRequests"])
            let start = ContinuousClock.now
            _ = try await client.getPod("retried")
            #expect(ContinuousClock.now - start >= .milliseconds(900))
            // 403 is final at once.
            try await cluster.control(
                "inject", ["method": "GET", "path": "/pods$", "status": 403, "count": 1, "reason": "Forbidden", "message": "pods is forbidden"])
            let forbidden = await #expect(throws: KubernetesAPIError.self) { _ = try await client.listPods() }
            #expect(forbidden?.httpStatus == 403 && forbidden?.reason == "Forbidden" && forbidden?.message == "pods is forbidden")
            // Retries run out: the last 503 is thrown.
            let impatient = cluster.client(maxRetries: 1)
            try await cluster.control("inject", ["method": "GET", "path": "/pods$", "status": 503, "count": 2, "reason": "ServiceUnavailable"])
            let unavailable = await #expect(throws: KubernetesAPIError.self) { _ = try await impatient.listPods() }
            #expect(unavailable?.httpStatus == 503 && unavailable?.isTransient == true)
            // A bad token is 401.
            let stranger = KubernetesClient(
                configuration: .init(server: cluster.server, namespace: "viz", credential: .bearerToken("wrong"), caFile: cluster.caFile))
            let unauthorized = await #expect(throws: KubernetesAPIError.self) { _ = try await stranger.listPods() }
            #expect(unauthorized?.httpStatus == 401)
            // Without the CA the TLS handshake fails.
            let untrusting = KubernetesClient(configuration: .init(server: cluster.server, credential: .bearerToken(cluster.token), maxRetries: 0))
            let tls = await #expect(throws: KubernetesAPIError.self) { _ = try await untrusting.listPods() }
            #expect(tls?.code == .transport)
        }
    }

    @Test func watchStreamsEventsFromAResourceVersionAndReportsGone() async throws {
        try await withFakeCluster { cluster in
            let client = cluster.client()
            let list = try await client.listPods(labelSelector: "app=t")
            let version = try #require(list.metadata?.resourceVersion)
            let events = client.watchPods(labelSelector: "app=t", resourceVersion: version, timeoutSeconds: 30)
            let collector = Task {
                var seen: [String] = []
                for try await event in events {
                    seen.append("\(event.kind.rawValue) \(event.object.metadata.name ?? "") \(event.object.status?.phase ?? "-")")
                    if event.kind == .deleted { break }
                }
                return seen
            }
            _ = try await client.createPod(samplePod("watched", command: ["sleep", "0.2"]))
            _ = try await client.createPod(samplePod("ignored", labels: ["app": "x"], command: nil))
            #expect(await eventually { (try? await client.getPod("watched"))?.status?.phase == "Succeeded" })
            _ = try await client.deletePod("watched")
            let seen = try await collector.value
            #expect(seen.first == "ADDED watched Pending")
            #expect(seen.contains("MODIFIED watched Running"))
            #expect(seen.contains("MODIFIED watched Succeeded"))
            #expect(seen.last?.hasPrefix("DELETED watched") == true)
            #expect(!seen.contains { $0.contains("ignored") })

            // After compaction the old version is gone: 410 Expired, re-list needed.
            try await cluster.control("compact")
            let stale = client.watchPods(resourceVersion: version, timeoutSeconds: 5)
            let gone = await #expect(throws: KubernetesAPIError.self) { for try await _ in stale {} }
            #expect(gone?.isGone == true && gone?.httpStatus == 410)
            _ = try await client.deletePod("ignored", gracePeriodSeconds: 0)
        }
    }

    @Test func kubeconfigYAMLInlineDataTokenFileAndExecPlugin() async throws {
        try await withFakeCluster { cluster in
            // YAML kubeconfig (converted by kubectl), CA file, static token, context namespace.
            let fromYAML = KubernetesClient(configuration: try Kubeconfig.load(path: cluster.kubeconfigPath, context: nil))
            #expect(fromYAML.namespace == "viz")
            _ = try await fromYAML.listPods()

            // JSON kubeconfig with inline CA data and an exec plugin printing an ExecCredential.
            let ca = try Data(contentsOf: URL(fileURLWithPath: cluster.caFile)).base64EncodedString()
            let plugin = cluster.directory + "/auth-plugin.sh"
            let counter = cluster.directory + "/plugin-runs"
            try """
            #!/bin/sh
            echo run >> '\(counter)'
            test -n "$KUBERNETES_EXEC_INFO" || exit 3
            echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"\(cluster.token)","expirationTimestamp":"2999-01-01T00:00:00Z"}}'
            """.write(toFile: plugin, atomically: true, encoding: .utf8)
            chmod(plugin, 0o755)
            let json = """
                {"apiVersion":"v1","kind":"Config","current-context":"gke",
                 "clusters":[{"name":"c","cluster":{"server":"\(cluster.server)","certificate-authority-data":"\(ca)"}}],
                 "users":[{"name":"u","user":{"exec":{"apiVersion":"client.authentication.k8s.io/v1","command":"\(plugin)","args":[],"installHint":"install it"}}}],
                 "contexts":[{"name":"gke","context":{"cluster":"c","user":"u","namespace":"viz"}}]}
                """
            let jsonPath = cluster.directory + "/kubeconfig.json"
            try json.write(toFile: jsonPath, atomically: true, encoding: .utf8)
            let viaExec = KubernetesClient(configuration: try Kubeconfig.load(path: jsonPath, context: nil))
            _ = try await viaExec.listPods()
            _ = try await viaExec.listPods()
            let runs = try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n").count
            #expect(runs == 1)  // cached until expiry

            // A token file that rotates: a 401 makes the client read it again.
            let tokenFile = cluster.directory + "/token"
            try "stale".write(toFile: tokenFile, atomically: true, encoding: .utf8)
            let rotating = KubernetesClient(
                configuration: .init(server: cluster.server, namespace: "viz", credential: .tokenFile(tokenFile), caFile: cluster.caFile))
            await #expect(throws: KubernetesAPIError.self) { _ = try await rotating.listPods() }
            try cluster.token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
            _ = try await rotating.listPods()
        }
    }

    @Test func inClusterConfigurationReadsTheServiceAccountMount() async throws {
        try await withFakeCluster { cluster in
            let mount = cluster.directory + "/serviceaccount"
            try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
            try cluster.token.write(toFile: mount + "/token", atomically: true, encoding: .utf8)
            try "viz\n".write(toFile: mount + "/namespace", atomically: true, encoding: .utf8)
            try FileManager.default.copyItem(atPath: cluster.caFile, toPath: mount + "/ca.crt")
            let configuration = try KubernetesClient.Configuration.inCluster(
                environment: ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": String(cluster.port)], directory: mount
            )
            #expect(configuration.namespace == "viz")
            #expect(configuration.server == cluster.server)
            let client = KubernetesClient(configuration: configuration)
            let r = try await client.send("GET", "/version")
            #expect(r.status == 200)
            #expect(r.httpVersion == 1)  // the fake offers only HTTP/1.1 over ALPN
            #expect(throws: KubernetesAPIError.self) { _ = try KubernetesClient.Configuration.inCluster(environment: [:], directory: mount) }
        }
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        try await withFakeCluster { cluster in
            let client = cluster.client()
            _ = try await client.send("GET", "/version")
            let count = 200
            let start = ContinuousClock.now
            for _ in 0..<count { _ = try await client.send("GET", "/version") }
            let elapsed = ContinuousClock.now - start
            print(
                "KubernetesClient: \(count) sequential GET /version in \(elapsed) (\(Int(Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))) req/s)"
            )
            let log = try await cluster.control("requests")["requests"] as? [[Any]] ?? []
            let ports = Set(log.filter { ($0[1] as? String) == "/version" }.compactMap { $0[3] as? Int })
            #expect(ports.count <= 2, "connections used: \(ports.count)")
        }
    }

    /// HTTP/2 needs a server that offers it over ALPN; the fake does not, so this uses hypercorn (installed
    /// by scripts/setup.sh; skipped where it is missing). A plain request and a watch stream both go over
    /// HTTP/2: the app answers with the HTTP version it saw, and streams watch events slowly, as a real API
    /// server does, so the client must parse events that arrive in separate DATA frames.
    @Test(.enabled(if: (try? FakeCluster.run(["python3", "-c", "import hypercorn"]).0) == 0))
    func http2IsNegotiatedWhenTheServerOffersIt() async throws {
        try await withFakeCluster { cluster in
            let app = cluster.directory + "/h2app.py"
            try """
            import asyncio, json
            async def app(scope, receive, send):
                if scope["type"] != "http":
                    return
                version = scope["http_version"]
                if "watch=true" in scope["query_string"].decode():
                    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
                    for i, (kind, phase) in enumerate([("ADDED", "Pending"), ("MODIFIED", "Running"), ("DELETED", "Succeeded")]):
                        pod = {"metadata": {"name": "h%s-pod" % version.replace(".", "-"), "resourceVersion": str(10 + i)},
                               "status": {"phase": phase}}
                        line = (json.dumps({"type": kind, "object": pod}) + "\\n").encode()
                        # One event in two DATA frames: the client must join them.
                        await send({"type": "http.response.body", "body": line[:7], "more_body": True})
                        await asyncio.sleep(0.05)
                        await send({"type": "http.response.body", "body": line[7:], "more_body": True})
                    await send({"type": "http.response.body", "body": b""})
                    return
                body = json.dumps({"kind": "Status", "message": version}).encode()
                await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": body})
            """.write(toFile: app, atomically: true, encoding: .utf8)
            let port = Int.random(in: 20000..<60000)
            let server = Process()
            server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            server.arguments = [
                "python3", "-m", "hypercorn", "--certfile", cluster.directory + "/server.pem", "--keyfile", cluster.directory + "/server.key",
                "--bind", "127.0.0.1:\(port)", "h2app:app",
            ]
            server.currentDirectoryURL = URL(fileURLWithPath: cluster.directory)
            server.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            server.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try server.run()
            defer {
                server.terminate()
                server.waitUntilExit()
            }
            let client = KubernetesClient(
                configuration: .init(server: "https://127.0.0.1:\(port)", credential: .bearerToken("t"), caFile: cluster.caFile, maxRetries: 0))
            var response: KubernetesClient.Response?
            // hypercorn takes seconds to import on a loaded machine (tests run in parallel).
            _ = await eventually(.seconds(40)) {
                response = try? await client.send("GET", "/version")
                return response != nil
            }
            #expect(response?.httpVersion == 2)
            let text = String(decoding: response?.body ?? Data(), as: UTF8.self)
            #expect(text.contains(#""message": "2""#))

            var seen: [String] = []
            for try await event in client.watchPods(resourceVersion: "9", timeoutSeconds: 10, namespace: "viz") {
                seen.append("\(event.kind.rawValue) \(event.object.metadata.name ?? "?") \(event.object.status?.phase ?? "?")")
            }
            #expect(seen == ["ADDED h2-pod Pending", "MODIFIED h2-pod Running", "DELETED h2-pod Succeeded"])
        }
    }
}
