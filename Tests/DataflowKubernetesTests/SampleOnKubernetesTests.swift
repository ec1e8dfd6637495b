import DataflowKubernetesAPI
import Foundation
import Testing
import VizWorkflowTestSupport

/// The bundled sample through `viz-workflow run --provider kubernetes` against the fake cluster, run as the
/// cluster runs it: leader and worker pods as the image's user (uid 1000), the data volume owned by it, the
/// workers' working directory on that volume.
@Suite(.serialized) struct SampleOnKubernetesTests {
    /// A data volume folder owned by uid 1000 with `parameters/` for the sample; `kubernetes` is the provider
    /// section's extra keys.
    func makeVolume(kubernetes: String = "", executor: String? = nil) throws -> String {
        let executorJSON =
            executor ?? """
                { "class": "HighThroughputExecutor", "max_workers_per_node": 2, "heartbeat_period": 1, "heartbeat_threshold": 5,
                  "strategy_period": 0.2,
                  "kubernetes": { "image": "viz-workflow:test", "namespace": "viz", "init_blocks": 1, "max_blocks": 1,
                                  "init_cpu": 0.1, "max_cpu": 2, "init_mem": "64Mi", "max_mem": "1Gi",
                                  "persistent_volumes": [["viz-data", "/data"]], "fs_group": 1000 \(kubernetes) } }
                """
        let dir = try SampleRun.makeDirectory(prefix: "k8s-sample", executor: executorJSON, retries: 1)
        SampleRun.giveToImageUser(dir)
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

    @Test(.enabled(if: SampleRun.canDropPrivileges))
    func theSampleRunsOnWorkerPodsAsTheImagesUser() async throws {
        let volume = try makeVolume(kubernetes: #", "run_as_non_root": true"#)
        let reference = try makeVolume(executor: #"{ "class": "ThreadPoolExecutor", "max_threads": 2 }"#)
        defer {
            try? FileManager.default.removeItem(atPath: volume)
            try? FileManager.default.removeItem(atPath: reference)
        }
        let cluster = try FakeCluster(imageUser: "1000:1000", imageWorkdir: "/data", volumes: ["viz-data": volume])
        defer { cluster.stop() }
        let (status, text, errors) = try await SampleRun.run(
            ["run", "--provider", "kubernetes", "--address", "127.0.0.1"], in: volume,
            asImageUser: true, environment: ["KUBECONFIG": try kubeconfig(cluster)], limit: .seconds(240)
        )
        #expect(status == 0, "stdout:\n\(text)\nstderr:\n\(errors)")
        #expect(text.contains("polygons staged: 14281"), "\(text)")
        let (referenceStatus, _, _) = try await SampleRun.run(["run"], in: reference, asImageUser: true)
        #expect(referenceStatus == 0)
        let a = try SampleRun.outputs(volume)
        let b = try SampleRun.outputs(reference)
        #expect(a.count == 33)
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a.filter { b[$0.key] != $0.value }.keys.sorted() == [])
        // The worker pods really ran as uid 1000: everything on the volume is theirs or the leader's (1000).
        let owners = SampleRun.outputOwners(volume)
        #expect(owners == [1000])
    }

    @Test(.enabled(if: SampleRun.canDropPrivileges))
    func podsThatAKubeletRefusesEndTheRunWithItsReason() async throws {
        // runAsNonRoot with uid 0: a kubelet refuses to start the container (CreateContainerConfigError).
        let volume = try makeVolume(kubernetes: #", "run_as_non_root": true, "user_id": 0"#)
        defer { try? FileManager.default.removeItem(atPath: volume) }
        let cluster = try FakeCluster(imageUser: "1000:1000", imageWorkdir: "/data", volumes: ["viz-data": volume])
        defer { cluster.stop() }
        let start = ContinuousClock.now
        let (status, text, errors) = try await SampleRun.run(
            ["run", "--provider", "kubernetes", "--address", "127.0.0.1"], in: volume,
            asImageUser: true, environment: ["KUBECONFIG": try kubeconfig(cluster)], limit: .seconds(180)
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
