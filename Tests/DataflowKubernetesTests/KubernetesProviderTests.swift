import DataflowCore
import DataflowInterchange
import DataflowKubernetesAPI
import DataflowProviders
import Foundation
import InterchangeTestApps
import Synchronization
import Testing

/// A leader "pod" in the fake cluster (no command: it just runs) and a provider whose leader it is.
private func leaderPod(_ client: KubernetesClient) async throws -> KubernetesProvider.LeaderReference {
    var pod = Pod(metadata: ObjectMeta(name: "viz-workflow-leader-abcde"), spec: PodSpec(containers: [Container(name: "leader", image: "viz-workflow:test")]))
    pod.spec?.restartPolicy = "Never"
    let made = try await client.createPod(pod)
    return .init(name: made.metadata.name!, uid: made.metadata.uid!)
}

private func makeProvider(
    _ cluster: FakeCluster, leader: KubernetesProvider.LeaderReference?, image: String = "viz-workflow:test", initBlocks: Int = 1,
    maxBlocks: Int = 2, runName: String = "test-run", orphanPolicy: KubernetesProvider.Configuration.OrphanPolicy = .delete
) -> KubernetesProvider {
    var environment: [String: String] = [:]
    if let leader { environment = ["POD_NAME": leader.name, "POD_UID": leader.uid] }
    let provider = KubernetesProvider(
        configuration: .init(
            image: image, podName: "viz-workflow-worker", runName: runName, initMem: "64Mi", maxMem: "256Mi", initCPU: 0.1, maxCPU: 1,
            initBlocks: initBlocks, maxBlocks: maxBlocks, deleteGracePeriod: 2, deleteTimeout: 20, orphanPolicy: orphanPolicy
        ),
        client: cluster.client(),
        environment: environment
    )
    provider.onMessage { _ in }
    return provider
}

private func podNames(_ client: KubernetesClient, _ selector: String) async throws -> [String] {
    try await client.listPods(labelSelector: selector).items.compactMap(\.metadata.name).sorted()
}

@Suite(.serialized) struct KubernetesProviderTests {
    @Test func endToEndRunCreatesOwnedPodsWorkersJoinTasksRunAndEverythingIsDeleted() async throws {
        try await withFakeCluster { cluster in
            let client = cluster.client()
            let leader = try await leaderPod(client)
            let provider = makeProvider(cluster, leader: leader, initBlocks: 2)
            let executor = HighThroughputExecutor(
                configuration: .init(
                    maxWorkersPerNode: 2, heartbeatPeriod: .milliseconds(200), heartbeatThreshold: .seconds(3),
                    workerCommand: [testWorkerBinary, "worker"], strategyPeriod: .milliseconds(100), drainTimeout: .seconds(5)
                ),
                provider: provider
            )
            let root = cluster.directory + "/run"
            let kernel = try await DataFlowKernel(
                configuration: .init(executors: [executor], runDirectory: root, retries: 1, monitoring: false), apps: TestApps.registry()
            )
            let apps = TestApps.registry()
            let echo = TestApps.app("echo", Int.self, Int.self, in: apps)
            let futures = (0..<60).map { kernel.submit(echo, $0) }
            var values: [Int] = []
            for f in futures { values.append(try await f.value) }
            #expect(values == Array(0..<60))
            #expect(await eventually { executor.connectedWorkers == 4 })  // 2 pods x 2 slots

            // The pods: owned by the leader, labelled, restartPolicy Never, the secret only as a reference.
            let pods = try await client.listPods(labelSelector: provider.instanceSelector).items
            #expect(pods.count == 2)
            let secret = try #require(executor.workerLaunch(blockID: "0")?.environment["DATAFLOW_RUN_SECRET"])
            for pod in pods {
                #expect(pod.metadata.ownerReferences == [OwnerReference(name: leader.name, uid: leader.uid)])
                #expect(pod.metadata.labels?["viz-workflow/run"] == "test-run")
                #expect(pod.spec?.restartPolicy == "Never")
                let env = pod.spec?.containers.first?.env ?? []
                #expect(env.first { $0.name == "DATAFLOW_RUN_SECRET" }?.valueFrom?.secretKeyRef?.key == "DATAFLOW_RUN_SECRET")
                let json = String(decoding: try JSONEncoder().encode(pod), as: UTF8.self)
                #expect(!json.contains(secret))
                #expect(pod.status?.phase == "Running")
            }
            // kubectl (a real client) sees the same pods.
            let (status, listing) = try cluster.kubectl(["get", "pods", "-l", provider.instanceSelector])
            #expect(status == 0)
            #expect(listing.contains("Running"))
            #expect(pods.allSatisfy { listing.contains($0.metadata.name!) })

            await kernel.shutdown()
            await provider.shutdown()
            #expect(try await podNames(client, provider.instanceSelector).isEmpty)
            let secretName = KubernetesProvider.secretName(provider.configuration, instance: provider.instance)
            await #expect(throws: KubernetesAPIError.self) { _ = try await client.getSecret(secretName) }
            let processes = try await cluster.control("processes")["processes"] as? [String: Any]
            #expect(processes?.keys.filter { $0 != "viz/\(leader.name)" }.isEmpty == true)
        }
    }

    @Test func workerPodKilledMidTaskItsTasksAreRetriedOnTheOtherAndTheReasonIsReported() async throws {
        try await withFakeCluster { cluster in
            let client = cluster.client()
            let provider = makeProvider(cluster, leader: nil, initBlocks: 2, maxBlocks: 2)
            let executor = HighThroughputExecutor(
                configuration: .init(
                    maxWorkersPerNode: 1, prefetchCapacity: 0, heartbeatPeriod: .milliseconds(200), heartbeatThreshold: .seconds(3),
                    workerCommand: [testWorkerBinary, "worker"], strategyPeriod: .milliseconds(100), drainTimeout: .seconds(5)
                ),
                provider: provider
            )
            let events = Mutex<[String]>([])
            executor.onEvent { event in
                if case .block(.blockStatusChanged(_, let status)) = event { events.withLock { $0.append(status.description) } }
            }
            let kernel = try await DataFlowKernel(
                configuration: .init(executors: [executor], runDirectory: cluster.directory + "/run", retries: 2, monitoring: false),
                apps: TestApps.registry()
            )
            let sleep = TestApps.app("sleep_ms", Int.self, Int.self, in: TestApps.registry())
            let futures = (0..<6).map { _ in kernel.submit(sleep, 700) }
            #expect(await eventually { executor.connectedWorkers == 2 })
            try await Task.sleep(for: .milliseconds(300))
            let victim = try #require(try await podNames(client, provider.instanceSelector).first)
            try await cluster.control("kill", ["namespace": "viz", "name": victim, "reason": "OOMKilled"])
            for f in futures { #expect(try await f.value == 700) }
            // The watch reports the pod's end asynchronously; give it time on a loaded machine.
            #expect(try await eventually { try await provider.status(jobIDs: [victim])[victim]?.state == .failed })
            let statuses = try await provider.status(jobIDs: [victim])
            #expect(statuses[victim]?.message?.contains("OOMKilled") == true)
            #expect(await eventually { events.withLock { $0 }.contains { $0.contains("OOMKilled") } })
            await kernel.shutdown()
            await provider.shutdown()
            #expect(try await podNames(client, provider.instanceSelector).isEmpty)
        }
    }

    @Test func podThatNeverStartsSurfacesImagePullBackOffAndIsReplacedByTheScaler() async throws {
        try await withFakeCluster { cluster in
            let client = cluster.client()
            let provider = makeProvider(cluster, leader: nil, image: "registry.example/does-not-exist:1", maxBlocks: 1)
            let scaler = BlockScaler(
                provider: provider,
                configuration: .init(
                    strategy: .init(limits: provider.blockLimits, workersPerNode: 1, connectTimeout: 1.5),
                    strategyPeriod: .milliseconds(100), statusPollingInterval: .milliseconds(100)
                ),
                hooks: .init(
                    outstandingTasks: { 1 }, workers: { [:] }, launchCommand: { ["sleep", "60", $0] }, environment: ["DATAFLOW_RUN_SECRET": "x"],
                    drain: { _ in })
            )
            let seen = Mutex<[String]>([])
            let collector = Task { for await event in scaler.events { seen.withLock { $0.append("\(event)") } } }
            await scaler.start()
            #expect(await eventually(.seconds(40)) { seen.withLock { $0 }.contains { $0.contains("ImagePullBackOff") } })
            #expect(await eventually(.seconds(40)) { seen.withLock { $0 }.contains { $0.contains("blockSubmitted(blockID: \"1\"") } })
            #expect(seen.withLock { $0 }.contains { $0.contains("blockCancelled(blockID: \"0\"") && $0.contains("replaced") })
            await scaler.shutdown()
            await provider.shutdown()
            collector.cancel()
            let remaining = try await podNames(client, provider.instanceSelector)
            #expect(remaining.isEmpty)
        }
    }

    @Test func kubectlListsAndDeletesProviderPodsAndTheProviderNotices() async throws {
        try await withFakeCluster { cluster in
            let provider = makeProvider(cluster, leader: nil)
            let a = try await provider.submit(command: ["sleep", "60"], environment: ["DATAFLOW_RUN_SECRET": "s"], blockID: "0")
            let b = try await provider.submit(command: ["sleep", "60"], environment: ["DATAFLOW_RUN_SECRET": "s"], blockID: "1")
            #expect(await eventually { (try? await provider.status(jobIDs: [a, b]))?.values.allSatisfy { $0.state == .running } == true })
            let (listed, names) = try cluster.kubectl(["get", "pods", "-l", "viz-workflow/run=test-run", "-o", "name"])
            #expect(listed == 0)
            #expect(names.split(separator: "\n").sorted() == ["pod/\(a)", "pod/\(b)"])
            let (deleted, output) = try cluster.kubectl(["delete", "pod", a, "--wait=true", "--timeout=20s"])
            #expect(deleted == 0, "\(output)")
            #expect(await eventually { (try? await provider.status(jobIDs: [a]))?[a]?.state == .missing })
            #expect(try await provider.status(jobIDs: [a])[a]?.message?.contains("deleted outside") == true)
            try await provider.cancel(jobIDs: [b])
            #expect(try await provider.status(jobIDs: [b])[b]?.state == .cancelled)
            let (_, after) = try cluster.kubectl(["get", "pods"])
            #expect(after.contains("No resources found"))
            await provider.shutdown()
        }
    }

    @Test func deletingTheLeaderPodGarbageCollectsItsWorkers() async throws {
        try await withFakeCluster { cluster in
            let client = cluster.client()
            let leader = try await leaderPod(client)
            let provider = makeProvider(cluster, leader: leader)
            for block in ["0", "1"] {
                _ = try await provider.submit(command: ["sleep", "60"], environment: ["DATAFLOW_RUN_SECRET": "s"], blockID: block)
            }
            #expect(try await podNames(client, provider.instanceSelector).count == 2)
            let (status, _) = try cluster.kubectl(["delete", "pod", leader.name, "--wait=false"])
            #expect(status == 0)
            #expect(await eventually { (try? await podNames(client, "viz-workflow/run=test-run"))?.isEmpty == true })
            let processes = try await cluster.control("processes")["processes"] as? [String: Any]
            #expect(processes?.isEmpty == true)
            // The run secret was owned by the leader too.
            #expect(
                await eventually { (try? await client.getSecret(KubernetesProvider.secretName(provider.configuration, instance: provider.instance))) == nil })
            await provider.shutdown()
        }
    }

    @Test func podsOfAnEarlierCrashedRunAreReportedOrDeleted() async throws {
        try await withFakeCluster { cluster in
            let client = cluster.client()
            let crashed = makeProvider(cluster, leader: nil, runName: "pdg")
            let job = try await crashed.submit(command: ["sleep", "60"], environment: ["DATAFLOW_RUN_SECRET": "s"], blockID: "0")
            // (no shutdown: the leader "crashed")
            let reporter = makeProvider(cluster, leader: nil, runName: "pdg", orphanPolicy: .report)
            try await reporter.prepare()
            #expect(reporter.orphans == [job])
            #expect(try await podNames(client, "viz-workflow/run=pdg") == [job])
            let cleaner = makeProvider(cluster, leader: nil, runName: "pdg")
            try await cleaner.prepare()
            #expect(cleaner.orphans == [job])
            #expect(try await podNames(client, "viz-workflow/run=pdg").isEmpty)
            // Another run name is left alone.
            let other = makeProvider(cluster, leader: nil, runName: "someone-else")
            try await other.prepare()
            #expect(other.orphans.isEmpty)
            for p in [crashed, reporter, cleaner, other] { await p.shutdown() }
        }
    }

    @Test func apiErrorsDuringSubmitAreRetriedOrReportedClearly() async throws {
        try await withFakeCluster { cluster in
            let client = cluster.client()
            let provider = makeProvider(cluster, leader: nil)
            try await cluster.control("inject", ["method": "POST", "path": "/pods$", "status": 500, "count": 2])
            try await cluster.control(
                "inject", ["method": "POST", "path": "/secrets$", "status": 429, "count": 1, "retryAfter": 0, "reason": "TooManyRequests"])
            let job = try await provider.submit(command: ["sleep", "60"], environment: ["DATAFLOW_RUN_SECRET": "s"], blockID: "0")
            #expect(try await podNames(client, provider.instanceSelector) == [job])
            try await cluster.control(
                "inject",
                ["method": "POST", "path": "/pods$", "status": 403, "count": 1, "reason": "Forbidden", "message": "pods is forbidden: User cannot create"])
            let error = await #expect(throws: ProvidersError.self) {
                _ = try await provider.submit(command: ["sleep", "60"], environment: ["DATAFLOW_RUN_SECRET": "s"], blockID: "1")
            }
            #expect(error?.code == .submitFailed)
            #expect(error?.message.contains("403 Forbidden") == true)
            #expect(error?.message.contains("pods is forbidden") == true)
            // A 409 on create means a retried POST already made the pod: the block is still ours.
            try await cluster.control("inject", ["method": "POST", "path": "/pods$", "status": 409, "count": 1, "reason": "AlreadyExists"])
            _ = try await provider.submit(command: ["sleep", "60"], environment: ["DATAFLOW_RUN_SECRET": "s"], blockID: "2")
            await provider.shutdown()
            #expect(try await podNames(client, provider.instanceSelector).isEmpty)
        }
    }

    @Test func watchResumesAfterTheServerClosesItAndRelistsOnGone() async throws {
        try await withFakeCluster { cluster in
            let provider = KubernetesProvider(
                configuration: .init(image: "viz-workflow:test", runName: "watch-test", deleteGracePeriod: 1, watchTimeout: 1),
                client: cluster.client()
            )
            provider.onMessage { _ in }
            let job = try await provider.submit(command: ["sleep", "60"], environment: ["DATAFLOW_RUN_SECRET": "s"], blockID: "0")
            #expect(await eventually { (try? await provider.status(jobIDs: [job]))?[job]?.state == .running })
            // The history the watch would resume from disappears; its next re-open gets 410 and re-lists.
            try await cluster.control("compact")
            try await Task.sleep(for: .milliseconds(1500))
            try await cluster.control("kill", ["namespace": "viz", "name": job, "reason": "OOMKilled"])
            #expect(await eventually { (try? await provider.status(jobIDs: [job]))?[job]?.message?.contains("OOMKilled") == true })
            let requests = try await cluster.control("requests")["requests"] as? [[Any]] ?? []
            let paths = requests.compactMap { $0[1] as? String }.filter { $0.hasPrefix("/api/v1/namespaces/viz/pods?") }
            let lists = paths.filter { !$0.contains("watch=true") }.count
            let watches = paths.filter { $0.contains("watch=true") }.count
            #expect(lists >= 3)  // the orphan check, the first list, and the re-list after 410
            #expect(watches >= 2)  // re-opened after the server's timeout
            await provider.shutdown()
        }
    }

    @Test func podPhasesAndReasonsMapToBlockStates() throws {
        func pod(_ json: String) throws -> Pod {
            try JSONDecoder().decode(Pod.self, from: Data(#"{"metadata":{"name":"p"},"status":\#(json)}"#.utf8))
        }
        let oom = KubernetesProvider.jobStatus(
            of: try pod(#"{"phase":"Failed","containerStatuses":[{"name":"w","state":{"terminated":{"exitCode":137,"reason":"OOMKilled"}}}]}"#))
        #expect(oom.state == .failed && oom.exitCode == 137 && oom.message == "OOMKilled (exit code 137)")
        let pull = KubernetesProvider.jobStatus(
            of: try pod(
                #"{"phase":"Pending","containerStatuses":[{"name":"w","state":{"waiting":{"reason":"ImagePullBackOff","message":"Back-off pulling image"}}}]}"#)
        )
        #expect(pull.state == .pending && pull.message == "ImagePullBackOff: Back-off pulling image")
        let nonRoot = KubernetesProvider.jobStatus(
            of: try pod(
                #"{"phase":"Pending","containerStatuses":[{"name":"w","state":{"waiting":{"reason":"CreateContainerConfigError","message":"container has runAsNonRoot and image will run as root"}}}]}"#
            ))
        #expect(nonRoot.state == .failed && nonRoot.message == "CreateContainerConfigError: container has runAsNonRoot and image will run as root")
        let unschedulable = KubernetesProvider.jobStatus(
            of: try pod(
                #"{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/3 nodes are available: 3 Insufficient memory."}]}"#
            ))
        #expect(unschedulable.state == .pending && unschedulable.message?.hasPrefix("Unschedulable: 0/3 nodes") == true)
        let evicted = KubernetesProvider.jobStatus(of: try pod(#"{"phase":"Failed","reason":"Evicted","message":"The node was low on resource: memory."}"#))
        #expect(evicted.state == .failed && evicted.message?.hasPrefix("Evicted") == true)
        #expect(KubernetesProvider.jobStatus(of: try pod(#"{"phase":"Succeeded"}"#)).state == .completed)
        #expect(KubernetesProvider.jobStatus(of: try pod(#"{"phase":"Running"}"#)).state == .running)
        #expect(KubernetesProvider.jobStatus(of: try pod(#"{"phase":"Unknown"}"#)).state == .unknown)
    }
}
