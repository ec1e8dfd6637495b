import DataflowKubernetesAPI
import Foundation
import Testing

/// The bundled sample through `viz-workflow run --provider kubernetes` against the fake cluster, run as the
/// cluster runs it: leader and worker pods as the image's user (uid 1000), the data volume owned by it, the
/// workers' working directory on that volume.
@Suite(.serialized) struct SampleOnKubernetesTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let binary: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("viz-workflow").path) {
            url = url.deletingLastPathComponent()
        }
        return url.appendingPathComponent("viz-workflow").path
    }()

    static let canDropPrivileges = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

    /// A data volume folder owned by uid 1000 with `parameters/` for the sample; `kubernetes` is the provider
    /// section's extra keys.
    func makeVolume(kubernetes: String = "", executor: String? = nil) throws -> String {
        let dir = NSTemporaryDirectory() + "k8s-sample-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/parameters", withIntermediateDirectories: true)
        var workflow =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.packageRoot + "/parameters/workflow_config.json")))
            as! [String: Any]
        workflow["dir_input"] = Self.packageRoot + "/Examples/sample-data/input"
        try JSONSerialization.data(withJSONObject: workflow).write(to: URL(fileURLWithPath: dir + "/parameters/workflow_config.json"))
        let executorJSON =
            executor ?? """
                { "class": "HighThroughputExecutor", "max_workers_per_node": 2, "heartbeat_period": 1, "heartbeat_threshold": 5,
                  "strategy_period": 0.2,
                  "kubernetes": { "image": "viz-workflow:test", "namespace": "viz", "init_blocks": 1, "max_blocks": 1,
                                  "init_cpu": 0.1, "max_cpu": 2, "init_mem": "64Mi", "max_mem": "1Gi",
                                  "persistent_volumes": [["viz-data", "/data"]], "fs_group": 1000 \(kubernetes) } }
                """
        let runtime = """
            { "run_dir": "runinfo", "retries": 1, "executors": [ \(executorJSON) ],
              "batches": { "stage_files_per_task": 1, "merge_tiles_per_task": 1, "rasterize_tiles_per_task": 1 } }
            """
        try runtime.write(toFile: dir + "/parameters/parsl_config.json", atomically: true, encoding: .utf8)
        chown(dir, 1000, 1000)
        for case let relative as String in FileManager.default.enumerator(atPath: dir)! { chown(dir + "/" + relative, 1000, 1000) }
        return dir
    }

    /// A JSON kubeconfig for the fake cluster (read without kubectl), readable by uid 1000.
    func kubeconfig(_ cluster: FakeCluster) throws -> String {
        let path = cluster.directory + "/kubeconfig.json"
        let json: [String: Any] = [
            "current-context": "fake",
            "clusters": [["name": "fake", "cluster": ["server": cluster.server, "certificate-authority": cluster.caFile]]],
            "users": [["name": "tester", "user": ["token": cluster.token]]],
            "contexts": [["name": "fake", "context": ["cluster": "fake", "user": "tester", "namespace": cluster.namespace]]],
        ]
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Runs `viz-workflow ARGS` as uid 1000 in `dir`; kills it after `limit`. Returns (status or nil, stdout, stderr).
    func runAsImageUser(_ arguments: [String], in dir: String, environment extra: [String: String], limit: Duration) async throws
        -> (Int32?, String, String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=1000", "--regid=1000", "--clear-groups", Self.binary] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        process.environment = ProcessInfo.processInfo.environment.merging(extra.merging(["HOME": dir]) { $1 }) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        async let stdout = Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
        async let stderr = Task.detached { err.fileHandleForReading.readDataToEndOfFile() }.value
        let deadline = ContinuousClock.now + limit
        var killed = false
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                killed = true
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.waitUntilExit()
        let (o, e) = await (stdout, stderr)
        return (killed ? nil : process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Every GeoTIFF and PNG of a run, by relative path.
    func outputs(_ dir: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let root = dir + "/viz-output"
        for case let relative as String in FileManager.default.enumerator(atPath: root) ?? FileManager.DirectoryEnumerator()
        where relative.hasSuffix(".tif") || relative.hasSuffix(".png") {
            files[relative] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative))
        }
        return files
    }

    @Test(.enabled(if: canDropPrivileges))
    func theSampleRunsOnWorkerPodsAsTheImagesUser() async throws {
        let volume = try makeVolume(kubernetes: #", "run_as_non_root": true"#)
        let reference = try makeVolume(executor: #"{ "class": "ThreadPoolExecutor", "max_threads": 2 }"#)
        defer {
            try? FileManager.default.removeItem(atPath: volume)
            try? FileManager.default.removeItem(atPath: reference)
        }
        let cluster = try FakeCluster(imageUser: "1000:1000", imageWorkdir: "/data", volumes: ["viz-data": volume])
        defer { cluster.stop() }
        let (status, text, errors) = try await runAsImageUser(
            ["run", "--provider", "kubernetes", "--address", "127.0.0.1"], in: volume,
            environment: ["KUBECONFIG": try kubeconfig(cluster)], limit: .seconds(240)
        )
        #expect(status == 0, "stdout:\n\(text)\nstderr:\n\(errors)")
        #expect(text.contains("polygons staged: 14281"), "\(text)")
        let (referenceStatus, _, _) = try await runAsImageUser(["run"], in: reference, environment: [:], limit: .seconds(240))
        #expect(referenceStatus == 0)
        let a = try outputs(volume)
        let b = try outputs(reference)
        #expect(a.count == 33)
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a.filter { b[$0.key] != $0.value }.keys.sorted() == [])
        // The worker pods really ran as uid 1000: everything on the volume is theirs or the leader's (1000).
        let owners = Set(
            FileManager.default.enumerator(atPath: volume + "/viz-output")!.compactMap { relative -> Int? in
                (try? FileManager.default.attributesOfItem(atPath: volume + "/viz-output/" + (relative as! String)))?[.ownerAccountID] as? Int
            })
        #expect(owners == [1000])
    }

    @Test(.enabled(if: canDropPrivileges))
    func podsThatAKubeletRefusesEndTheRunWithItsReason() async throws {
        // runAsNonRoot with uid 0: a kubelet refuses to start the container (CreateContainerConfigError).
        let volume = try makeVolume(kubernetes: #", "run_as_non_root": true, "user_id": 0"#)
        defer { try? FileManager.default.removeItem(atPath: volume) }
        let cluster = try FakeCluster(imageUser: "1000:1000", imageWorkdir: "/data", volumes: ["viz-data": volume])
        defer { cluster.stop() }
        let start = ContinuousClock.now
        let (status, text, errors) = try await runAsImageUser(
            ["run", "--provider", "kubernetes", "--address", "127.0.0.1"], in: volume,
            environment: ["KUBECONFIG": try kubeconfig(cluster)], limit: .seconds(180)
        )
        #expect(status != nil && status != 0, "the run did not end by itself:\n\(errors)")
        #expect(ContinuousClock.now - start < .seconds(120))
        #expect(errors.contains("CreateContainerConfigError: container has runAsNonRoot and image will run as root"), "\(errors)")
        #expect(text.contains("failed before any worker connected"), "\(text)")
        // No pod of the run is left behind.
        let remaining = try await cluster.client().listPods(labelSelector: "app.kubernetes.io/component=worker").items
        #expect(remaining.isEmpty)
    }
}
