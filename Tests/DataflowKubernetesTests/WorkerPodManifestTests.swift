import DataflowCore
import DataflowInterchange
import DataflowKubernetesAPI
import DataflowProviders
import Foundation
import Testing

/// Validates JSON manifests with the official Kubernetes Python client (Fixtures/validate_pod.py).
private func validate(_ manifests: [String: String]) throws -> (Int32, String) {
    let directory = NSTemporaryDirectory() + "k8s-manifests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var paths: [String] = []
    for (name, json) in manifests.sorted(by: { $0.key < $1.key }) {
        let path = "\(directory)/\(name).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        paths.append(path)
    }
    return try FakeCluster.run(["python3", FakeCluster.fixtures + "/validate_pod.py"] + paths)
}

private let launch = ["/usr/local/bin/viz-workflow", "worker", "--address", "10.8.0.12:54000", "--block-id", "0", "--max-workers", "4"]

@Suite struct WorkerPodManifestTests {
    static let full = KubernetesProvider.Configuration(
        namespace: "viz-workflow",
        image: "ghcr.io/permafrostdiscoverygateway/viz-workflow:0.3.0",
        imagePullPolicy: "IfNotPresent",
        podName: "My_Workers.Pool",
        runName: "pdg run #7",
        initMem: "4Gi", maxMem: "8Gi", initCPU: 1.5, maxCPU: 4,
        extraRequests: ["ephemeral-storage": "10Gi"], extraLimits: ["ephemeral-storage": "20Gi"],
        nodesPerBlock: 2,
        persistentVolumes: [.init(claimName: "viz_workflow_pvc", mountPath: "/data"), .init(claimName: "ref", mountPath: "/ref", readOnly: true)],
        annotations: ["gke-gcsfuse/volumes": "true", "gke-gcsfuse/memory-limit": "1Gi"],
        labels: ["team": "pdg"],
        serviceAccountName: "viz-workflow-sa",
        imagePullSecret: "ghcr-pull",
        workerInit: "ulimit -n 4096; export GDAL_CACHEMAX=512",
        environment: ["GDAL_NUM_THREADS": "2", "RUST_LOG": "info"],
        nodeSelector: ["cloud.google.com/compute-class": "Balanced"],
        tolerations: [
            .init(key: "dedicated", operator: "Equal", value: "viz", effect: "NoSchedule"),
            .init(operator: "Exists", effect: "NoExecute", tolerationSeconds: 60),
        ],
        runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, fsGroup: 1000
    )

    @Test func renderedPodsPassTheKubernetesSchemaAndKeepTheSecretOut() throws {
        let leader = KubernetesProvider.LeaderReference(name: "viz-workflow-leader-x7k2p", uid: "0c4b8e4e-3f0e-4a53-9c1a-2f1a4c3c9b11")
        var manifests: [String: String] = [:]
        manifests["default"] = try KubernetesProvider.renderWorkerPodManifest(
            configuration: .init(image: "viz-workflow:test"), command: launch, environment: ["DATAFLOW_RUN_SECRET": "top-secret-value"]
        )
        manifests["full"] = try KubernetesProvider.renderWorkerPodManifest(
            configuration: Self.full, command: launch, environment: ["DATAFLOW_RUN_SECRET": "top-secret-value"], blockID: "12", leader: leader
        )
        var long = Self.full
        long.podName = String(repeating: "very-long-prefix-", count: 8)
        manifests["long-name"] = try KubernetesProvider.renderWorkerPodManifest(
            configuration: long, command: ["w"], environment: [:], blockID: "block_99_with_CAPS"
        )
        for pod in ["default", "full", "long-name"] {
            #expect(!(manifests[pod] ?? "").contains("top-secret-value"))
        }
        let (status, output) = try validate(manifests)
        #expect(status == 0, "\(output)")
        #expect(output.split(separator: "\n").filter { $0.hasPrefix("OK ") }.count == 3)

        let pod = try JSONDecoder().decode(Pod.self, from: Data(manifests["full"]!.utf8))
        #expect(pod.metadata.name == "my-workers-pool-xxxxx-12-0")
        #expect(pod.metadata.ownerReferences?.first?.uid == leader.uid)
        #expect(pod.metadata.labels?["viz-workflow/run"] == "pdg-run-7")
        #expect(pod.metadata.annotations?["gke-gcsfuse/volumes"] == "true")
        let container = try #require(pod.spec?.containers.first)
        #expect(container.command == ["/bin/sh"])
        #expect(container.args?.suffix(launch.count) == launch[...])
        #expect(container.resources?.requests?["cpu"] == "1500m")
        #expect(
            container.env?.first { $0.name == "DATAFLOW_RUN_SECRET" }?.valueFrom?.secretKeyRef
                == KeySelector(name: "my-workers-pool-xxxxx-run", key: "DATAFLOW_RUN_SECRET"))
        #expect(pod.spec?.restartPolicy == "Never")
        #expect(pod.spec?.volumes?.map(\.name) == ["viz-workflow-pvc", "ref"])
        let longPod = try JSONDecoder().decode(Pod.self, from: Data(manifests["long-name"]!.utf8))
        #expect((longPod.metadata.name?.count ?? 99) <= 63)
    }

    @Test func theValidatorRejectsUnknownAndMistypedFields() throws {
        let good = try KubernetesProvider.renderWorkerPodManifest(configuration: .init(image: "i"), command: ["w"], environment: [:])
        let unknown = good.replacingOccurrences(of: "\"restartPolicy\"", with: "\"restartPolicyy\"")
        let mistyped = good.replacingOccurrences(of: "\"enableServiceLinks\" : false", with: "\"enableServiceLinks\" : \"no\"")
        let badQuantity = good.replacingOccurrences(of: "\"memory\" : \"2Gi\"", with: "\"memory\" : \"2 gigs\"")
        #expect(mistyped != good && badQuantity != good && unknown != good)
        for broken in [unknown, mistyped, badQuantity] {
            let (status, output) = try validate(["broken": broken])
            #expect(status == 1, "\(output)")
        }
    }

    /// Loads a parsl_config.json whose HighThroughputExecutor uses `provider`, as the integrator will wire it.
    private func load(provider: String) throws -> KubernetesProvider {
        let json = #"{"executors": [{"class": "HighThroughputExecutor", "label": "htex", "provider": \#(provider)}]}"#
        let path = NSTemporaryDirectory() + "k8s-config-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var providers = HighThroughputExecutor.builtInProviders
        providers["KubernetesProvider"] = KubernetesProvider.configurationFactory()
        var factories = DataFlowKernel.Configuration.builtInExecutors
        factories["HighThroughputExecutor"] = HighThroughputExecutor.configurationFactory(providers: providers)
        let configuration = try DataFlowKernel.Configuration.load(path: path, executorFactories: factories)
        let executor = try #require(configuration.executors.first as? HighThroughputExecutor)
        return try #require(executor.provider as? KubernetesProvider)
    }

    @Test func configurationFileUsesParslNames() throws {
        let k = try load(
            provider: """
                {"class": "KubernetesProvider", "namespace": "viz-workflow", "image": "ghcr.io/pdg/viz-workflow:0.3.0", "pod_name": "viz-workflow-worker",
                 "init_mem": "2Gi", "max_mem": "4Gi", "init_cpu": 1, "max_cpu": 2, "init_blocks": 2, "min_blocks": 1, "max_blocks": 20,
                 "nodes_per_block": 1, "parallelism": 0.5, "persistent_volumes": [["viz-workflow-pvc", "/data"]],
                 "annotations": {"gke-gcsfuse/volumes": "true"}, "labels": {"team": "pdg"}, "service_account_name": "viz-workflow-sa",
                 "secret": "ghcr-pull", "worker_init": "ulimit -n 4096", "environment": {"GDAL_NUM_THREADS": 2},
                 "node_selector": {"kubernetes.io/arch": "amd64"}, "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}],
                 "user_id": 1000, "group_id": 1000, "run_as_non_root": true, "orphan_policy": "report", "_note": "comments are fine"}
                """
        )
        let c = k.configuration
        #expect(c.namespace == "viz-workflow" && c.image == "ghcr.io/pdg/viz-workflow:0.3.0" && c.initMem == "2Gi" && c.maxCPU == 2)
        #expect(k.blockLimits == BlockLimits(nodesPerBlock: 1, initBlocks: 2, minBlocks: 1, maxBlocks: 20, parallelism: 0.5))
        #expect(c.persistentVolumes == [.init(claimName: "viz-workflow-pvc", mountPath: "/data")])
        #expect(c.annotations == ["gke-gcsfuse/volumes": "true"] && c.environment == ["GDAL_NUM_THREADS": "2"])
        #expect(c.serviceAccountName == "viz-workflow-sa" && c.imagePullSecret == "ghcr-pull" && c.runAsUser == 1000 && c.runAsNonRoot == true)
        #expect(c.tolerations == [Toleration(key: "k", operator: "Exists", effect: "NoSchedule")])
        #expect(c.orphanPolicy == KubernetesProvider.Configuration.OrphanPolicy.report)

        #expect(throws: ConfigurationError.self) { _ = try load(provider: #"{"class": "KubernetesProvider", "namespace": "x"}"#) }  // no image
        #expect(throws: ConfigurationError.self) { _ = try load(provider: #"{"class": "KubernetesProvider", "image": "i", "max_mem": "2 GB"}"#) }
        #expect(throws: ConfigurationError.self) { _ = try load(provider: #"{"class": "KubernetesProvider", "image": "i", "persistent_volumes": ["pvc"]}"#) }
        #expect(throws: ConfigurationError.self) { _ = try load(provider: #"{"class": "KubernetesProvider", "image": "i", "max_blockz": 3}"#) }
    }

    @Test func namesAreDNS1123AndAddressHelpersWork() {
        #expect(KubernetesProvider.dnsLabel("My_Workers.Pool", fallback: "x") == "my-workers-pool")
        #expect(KubernetesProvider.dnsLabel("___", fallback: "viz") == "viz")
        #expect(KubernetesProvider.dnsLabel(String(repeating: "a", count: 100), fallback: "x").count == 63)
        #expect(LeaderPodIdentity.interchangeAddress(environment: ["POD_IP": "10.1.2.3"]) == "10.1.2.3")
        #expect(LeaderPodIdentity.addressByRoute(towards: "127.0.0.1") == "127.0.0.1")
    }
}
