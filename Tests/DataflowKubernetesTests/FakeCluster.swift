import DataflowKubernetesAPI
import Foundation
import Synchronization

/// Runs `Fixtures/fake_apiserver.py` on 127.0.0.1 with a fresh CA and server certificate (openssl CLI) and a
/// bearer token, writes a kubeconfig for kubectl, and stops the server (and every container process it
/// started) in ``stop()``. The server also exits when this process dies (its stdin pipe closes).
final class FakeCluster: @unchecked Sendable {  // safe: set up in init, then only read (process is stopped once)
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    let directory: String
    let port: Int
    let token = "test-token-" + UUID().uuidString.prefix(8).lowercased()
    let namespace = "viz"
    var server: String { "https://127.0.0.1:\(port)" }
    var caFile: String { directory + "/ca.pem" }
    var kubeconfigPath: String { directory + "/kubeconfig" }
    private let process: Process
    private let stdinPipe = Pipe()

    /// - Parameters:
    ///   - startDelay: Seconds the kubelet waits before starting a container.
    ///   - imageUser: The image's `USER` (`uid:gid`); containers without a securityContext run as it, as in
    ///     the Dockerfile's runtime stage.
    ///   - imageWorkdir: The image's `WORKDIR`; empty runs containers in the state directory.
    ///   - volumes: Where each persistent volume claim's files are on this machine (claim name → folder).
    init(startDelay: Double = 0.2, imageUser: String = "1000:1000", imageWorkdir: String = "", volumes: [String: String] = [:]) throws {
        directory = NSTemporaryDirectory() + "k8s-fake-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.shell(
            """
            set -e
            cd '\(directory)'
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=fake-cluster-ca
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext
            """
        )
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                "python3", Self.fixtures + "/fake_apiserver.py", "--cert", directory + "/server.pem", "--key", directory + "/server.key",
                "--token", token, "--state-dir", directory, "--start-delay", String(startDelay), "--image-user", imageUser,
                "--image-workdir", imageWorkdir,
            ] + volumes.sorted { $0.key < $1.key }.flatMap { ["--volume", "\($0.key)=\($0.value)"] }
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = stdinPipe
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        // The first line is "PORT <n>".
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let p = Int(text.dropFirst(5)) else {
            process.terminate()
            throw KubernetesAPIError(.configuration, "fake API server did not start: '\(text)'")
        }
        port = p
        let kubeconfig = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: https://127.0.0.1:\(port)
                certificate-authority: \(caFile)
            users:
            - name: tester
              user:
                token: \(token)
            contexts:
            - name: fake
              context:
                cluster: fake
                user: tester
                namespace: \(namespace)
            current-context: fake
            """
        try kubeconfig.write(toFile: kubeconfigPath, atomically: true, encoding: .utf8)
    }

    /// A client for the fake server (CA file + bearer token, namespace `viz`).
    func client(maxRetries: Int = 5) -> KubernetesClient {
        KubernetesClient(
            configuration: .init(
                server: server, namespace: namespace, credential: .bearerToken(token), caFile: caFile, maxRetries: maxRetries,
                retryBaseDelay: .milliseconds(50), maxRetryDelay: .seconds(2)
            )
        )
    }

    /// Sends a control request (`/_fake/inject`, `/_fake/kill`, ...).
    @discardableResult
    func control(_ path: String, _ body: [String: Any] = [:]) async throws -> [String: Any] {
        let data = try JSONSerialization.data(withJSONObject: body)
        let r = try await client(maxRetries: 0).send("POST", "/_fake/" + path, body: data)
        return (try JSONSerialization.jsonObject(with: r.body) as? [String: Any]) ?? [:]
    }

    /// Runs kubectl against the fake server; returns (exit status, stdout + stderr).
    func kubectl(_ arguments: [String]) throws -> (Int32, String) {
        try Self.run(["kubectl", "--kubeconfig", kubeconfigPath] + arguments)
    }

    func stop() {
        if process.isRunning {
            // Closing stdin stops the server; it kills its containers and exits. SIGTERM as a second way.
            try? stdinPipe.fileHandleForWriting.close()
            let soon = Date().addingTimeInterval(2)
            while process.isRunning, Date() < soon { usleep(10_000) }
            if process.isRunning { process.terminate() }
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        if ProcessInfo.processInfo.environment["KEEP_TEST_DIRECTORIES"] == nil { try? FileManager.default.removeItem(atPath: directory) }
    }

    static func shell(_ script: String) throws {
        let (status, output) = try run(["/bin/sh", "-c", script])
        guard status == 0 else { throw KubernetesAPIError(.configuration, "shell failed (\(status)): \(output)") }
    }

    static func run(_ argv: [String], environment: [String: String]? = nil) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        if let environment { p.environment = environment }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// Runs `body` with a fresh fake cluster and always stops it.
func withFakeCluster<T>(startDelay: Double = 0.2, _ body: (FakeCluster) async throws -> T) async throws -> T {
    let cluster = try FakeCluster(startDelay: startDelay)
    do {
        let result = try await body(cluster)
        cluster.stop()
        return result
    } catch {
        cluster.stop()
        throw error
    }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(_ timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// The test worker binary built next to the test bundle (see InterchangeTests/TestSupport.swift).
let testWorkerBinary: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
    while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("InterchangeTestWorker").path) {
        url = url.deletingLastPathComponent()
    }
    return url.appendingPathComponent("InterchangeTestWorker").path
}()
