import Foundation
import Testing

private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

@Suite struct DeploymentArtefactTests {
    @Test func manifestsPassTheKubernetesSchema() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: repository + "/manifests").filter { $0.hasSuffix(".yaml") }.sorted()
        let (status, output) = try FakeCluster.run(
            ["python3", FakeCluster.fixtures + "/validate_manifests.py"] + files.map { repository + "/manifests/" + $0 })
        #expect(status == 0, "\(output)")
        for object in [
            "Namespace/viz-workflow", "Role/viz-workflow-leader", "RoleBinding/viz-workflow-leader", "PersistentVolume/viz-workflow-pv",
            "PersistentVolumeClaim/viz-workflow-pvc", "Job/viz-workflow-leader", "ServiceAccount/viz-workflow-worker",
        ] {
            #expect(output.contains("OK \(object)"), "\(object) missing")
        }
        let (kustomize, rendered) = try FakeCluster.run(["kubectl", "kustomize", repository + "/manifests"])
        #expect(kustomize == 0, "\(rendered)")
        #expect(!rendered.contains("kind: Job"))  // the Job is submitted per run, not by the one-time setup
    }

    @Test func submitScriptRendersTheConfigMapAndTheJobWithTheConfiguredImage() throws {
        let parameters = NSTemporaryDirectory() + "k8s-parameters-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: parameters, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: parameters) }
        try """
        {"executors": [{"class": "HighThroughputExecutor", "kubernetes": {"image": "ghcr.io/example/viz-workflow:1.2.3", "namespace": "viz-test"}}]}
        """.write(toFile: parameters + "/parsl_config.json", atomically: true, encoding: .utf8)
        try #"{"dir_input": "/data/input"}"#.write(toFile: parameters + "/workflow_config.json", atomically: true, encoding: .utf8)
        let (status, output) = try FakeCluster.run([repository + "/manifests/submit.sh", "--parameters", parameters, "--namespace", "viz-test", "--print"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("image: ghcr.io/example/viz-workflow:1.2.3"))
        #expect(output.contains("namespace: viz-test"))
        #expect(!output.contains("namespace: viz-workflow"))
        #expect(output.contains("workflow_config.json"))
        let validated = NSTemporaryDirectory() + "submit-\(UUID().uuidString).yaml"
        try output.write(toFile: validated, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: validated) }
        let (valid, report) = try FakeCluster.run(["python3", FakeCluster.fixtures + "/validate_manifests.py", validated])
        #expect(valid == 0, "\(report)")
        #expect(report.contains("OK ConfigMap/viz-workflow-parameters") && report.contains("OK Job/viz-workflow-leader"))
    }

    @Test func leaderJobGivesTheProviderWhatItReads() throws {
        let job = try String(contentsOfFile: repository + "/manifests/leader-job.yaml", encoding: .utf8)
        for needed in [
            "fieldPath: metadata.uid", "name: POD_UID", "name: POD_NAME", "name: POD_IP", "--provider\", \"kubernetes", "$(POD_IP)",
            "serviceAccountName: viz-workflow-leader", "gke-gcsfuse/volumes: \"true\"", "claimName: viz-workflow-pvc", "restartPolicy: Never",
        ] {
            #expect(job.contains(needed), "leader-job.yaml lacks \(needed)")
        }
        // RBAC grants what the provider calls and no more.
        let rbac = try String(contentsOfFile: repository + "/manifests/rbac.yaml", encoding: .utf8)
        #expect(rbac.contains(#"verbs: ["create", "get", "list", "watch", "delete"]"#))
        #expect(rbac.contains(#"verbs: ["create", "delete"]"#))
        #expect(!rbac.contains("\"*\""))
        let dockerfile = try String(contentsOfFile: repository + "/Dockerfile", encoding: .utf8)
        #expect(dockerfile.contains("FROM swift:6.3-bookworm AS build") && dockerfile.contains("FROM debian:bookworm-slim"))
        #expect(dockerfile.contains("USER 1000:1000") && dockerfile.contains("--static-swift-stdlib"))
        for library in ["libgdal32", "libcurl4", "libsqlite3-0", "libzstd1", "libssl3"] { #expect(dockerfile.contains(library)) }
    }
}
