import DataflowKubernetesAPI
import Foundation
import Synchronization

/// Runs blocks as worker pods on Kubernetes (Parsl `KubernetesProvider`, fixed where it hurt).
///
/// One block is ``Configuration/nodesPerBlock`` bare pods with `restartPolicy: Never`, labelled with the run,
/// this provider instance and the block, and owned by the leader pod (ownerReference) so that the cluster
/// deletes them if the leader dies. The run secret from the executor's environment goes into a Secret this
/// provider creates; pods read it through `secretKeyRef`. Pod states come from one label-selected
/// list + watch (re-listed on 410 Gone, or a list per status poll when watching fails) and carry the
/// Kubernetes reason (ImagePullBackOff, Unschedulable, OOMKilled) in ``JobStatus/message``.
///
/// Nothing talks to the cluster before the first ``submit(command:environment:blockID:)`` (or
/// ``prepare()``), so building a configuration needs no credentials. Call ``shutdown()`` at the end: it
/// deletes every pod of this instance and the secret, and waits until the pods are gone.
public final class KubernetesProvider: ExecutionProvider {
    /// The options this provider was made with.
    public let configuration: Configuration
    /// ``Configuration/label``, `"kubernetes"` by default.
    public var label: String { configuration.label }
    /// The block counts and parallelism from the configuration, for the scaler.
    public var blockLimits: BlockLimits {
        BlockLimits(
            nodesPerBlock: configuration.nodesPerBlock,
            initBlocks: configuration.initBlocks,
            minBlocks: configuration.minBlocks,
            maxBlocks: configuration.maxBlocks,
            parallelism: configuration.parallelism
        )
    }
    /// Short random id of this provider instance (the `viz-workflow/instance` label, in pod names).
    public let instance: String

    private struct Job {
        let blockID: String
        let podNames: [String]
        let createdAt: ContinuousClock.Instant
        var cancelled = false
    }

    private struct Prepared: Sendable {
        var client: KubernetesClient
        var namespace: String
        var leader: LeaderReference?
    }

    private struct State {
        var jobs: [String: Job] = [:]
        /// Pods of this instance by name, from the watch or the last list.
        var pods: [String: Pod] = [:]
        /// Pods that were in the cache at some point: gone from it now means deleted.
        var seen: Set<String> = []
        var watchHealthy = false
        var secretKeys: Set<String> = []
        var stopped = false
        var orphans: [String] = []
    }

    private let state = Mutex(State())
    private let clientFactory: @Sendable () throws -> KubernetesClient
    private let environment: [String: String]
    private let preparation = Mutex<Task<Prepared, any Error>?>(nil)
    private let watchTask = Mutex<Task<Void, Never>?>(nil)
    private let messageHandler = Mutex<@Sendable (String) -> Void>({ message in
        FileHandle.standardError.write(Data("kubernetes provider: \(message)\n".utf8))
    })

    /// - Parameters:
    ///   - client: the API client; `nil` builds one with ``KubernetesClient/Configuration/automatic(environment:)``
    ///     on first use.
    ///   - environment: where `POD_NAME`/`POD_UID` (the leader) are read; the process environment by default.
    public init(configuration: Configuration, client: KubernetesClient? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.configuration = configuration
        self.environment = environment
        self.instance = Self.makeInstanceID()
        if let client {
            self.clientFactory = { client }
        } else {
            self.clientFactory = { KubernetesClient(configuration: try .automatic(environment: environment)) }
        }
    }

    /// Receives warnings and notices (orphaned pods found, watch fallbacks); default: standard error.
    public func onMessage(_ handler: @escaping @Sendable (String) -> Void) {
        messageHandler.withLock { $0 = handler }
    }

    /// Pods of an earlier run of the same run name found at start (deleted or only reported, per policy).
    public var orphans: [String] { state.withLock { $0.orphans } }

    /// The label selector of this instance's pods.
    public var instanceSelector: String { "\(LabelKey.run)=\(Self.labelValue(Self.runName(configuration))),\(LabelKey.instance)=\(instance)" }

    private func note(_ message: String) { messageHandler.withLock { $0 }(message) }

    // MARK: Preparation

    /// Connects, finds the leader pod, handles orphans of an earlier run and starts the watch. Runs once;
    /// ``submit(command:environment:blockID:)`` calls it.
    @discardableResult
    public func prepare() async throws -> (namespace: String, leader: LeaderReference?) {
        let task = preparation.withLock { slot -> Task<Prepared, any Error> in
            if let existing = slot { return existing }
            let created = Task { try await self.doPrepare() }
            slot = created
            return created
        }
        do {
            let p = try await task.value
            return (p.namespace, p.leader)
        } catch {
            preparation.withLock { $0 = nil }  // let a later submit try again
            throw error
        }
    }

    private func doPrepare() async throws -> Prepared {
        guard !configuration.image.isEmpty else { throw ProvidersError(.invalidConfiguration, "kubernetes provider: 'image' is required") }
        let client: KubernetesClient
        do { client = try clientFactory() } catch { throw ProvidersError(.submitFailed, "kubernetes provider: no cluster access: \(error)") }
        let namespace = configuration.namespace ?? client.namespace
        let leader = configuration.ownerReferenceToLeader ? await LeaderPodIdentity.resolve(client: client, environment: environment) : nil
        if configuration.ownerReferenceToLeader, leader == nil {
            note("leader pod unknown (no POD_NAME/POD_UID): worker pods get no ownerReference and outlive a crashed leader")
        }
        try await handleOrphans(client: client, namespace: namespace)
        let prepared = Prepared(client: client, namespace: namespace, leader: leader)
        if configuration.watch {
            watchTask.withLock { $0 = Task { await self.watchLoop(client: client, namespace: namespace) } }
        }
        return prepared
    }

    private func handleOrphans(client: KubernetesClient, namespace: String) async throws {
        let selector = "\(LabelKey.run)=\(Self.labelValue(Self.runName(configuration))),\(LabelKey.instance)!=\(instance)"
        let found: PodList
        do { found = try await client.listPods(labelSelector: selector, namespace: namespace) } catch {
            throw ProvidersError(.submitFailed, "kubernetes provider: cannot list pods in \(namespace): \(error)")
        }
        let names = found.items.compactMap(\.metadata.name).sorted()
        guard !names.isEmpty else { return }
        state.withLock { $0.orphans = names }
        switch configuration.orphanPolicy {
        case .report:
            note("\(names.count) pod(s) of an earlier run '\(Self.runName(configuration))' still exist: \(names.joined(separator: ", "))")
        case .delete:
            note("deleting \(names.count) pod(s) left by an earlier run '\(Self.runName(configuration))': \(names.joined(separator: ", "))")
            for name in names { _ = try? await client.deletePod(name, namespace: namespace, gracePeriodSeconds: 0) }
            await waitGone(names, client: client, namespace: namespace)
        }
    }

    // MARK: ExecutionProvider

    /// Creates the block's pods (one per node), after preparing on first use and putting `environment` into the
    /// run secret; returns the first pod's name as the job id. If any pod cannot be created, the ones already
    /// made are deleted and ``ProvidersError`` `.submitFailed` is thrown.
    public func submit(command: [String], environment submitted: [String: String], blockID: String) async throws -> String {
        guard !command.isEmpty else { throw ProvidersError(.submitFailed, "block \(blockID): empty launch command") }
        if state.withLock({ $0.stopped }) { throw ProvidersError(.shutDown, "provider \(label) is shut down") }
        let p = try await preparedOrThrow()
        let secretName = Self.secretName(configuration, instance: instance)
        try await ensureSecret(submitted, name: secretName, prepared: p)

        var created: [String] = []
        for node in 0..<configuration.nodesPerBlock {
            let pod = Self.workerPod(
                configuration,
                PodRequest(
                    command: command, secretKeys: Array(submitted.keys), secretName: secretName, blockID: blockID, nodeIndex: node,
                    instance: instance, leader: p.leader, namespace: p.namespace
                )
            )
            let name = pod.metadata.name ?? ""
            do {
                let made = try await p.client.createPod(pod, namespace: p.namespace)
                state.withLock { s in
                    s.pods[name] = s.pods[name] ?? made
                    s.seen.insert(name)
                }
                created.append(name)
            } catch let error as KubernetesAPIError where error.isAlreadyExists {
                // A retried POST whose first attempt succeeded: the pod is ours (the name holds our instance id).
                created.append(name)
            } catch {
                for done in created { _ = try? await p.client.deletePod(done, namespace: p.namespace, gracePeriodSeconds: 0) }
                throw ProvidersError(.submitFailed, "block \(blockID): cannot create pod \(name): \(error)")
            }
        }
        let jobID = Self.podName(configuration, instance: instance, blockID: blockID, nodeIndex: 0)
        let accepted = state.withLock { s -> Bool in
            guard !s.stopped else { return false }
            s.jobs[jobID] = Job(blockID: blockID, podNames: created, createdAt: .now)
            return true
        }
        if !accepted {
            for name in created { _ = try? await p.client.deletePod(name, namespace: p.namespace, gracePeriodSeconds: 0) }
            throw ProvidersError(.shutDown, "provider \(label) shut down during submit")
        }
        return jobID
    }

    /// Each job's state from the pod cache (kept by the watch, or refreshed by one list when there is no live
    /// watch), with Kubernetes' reason in the message; a block's pods are combined, any failed pod failing it.
    public func status(jobIDs: [String]) async throws -> [String: JobStatus] {
        if let p = try? await preparedIfStarted(), !state.withLock({ $0.watchHealthy }) {
            // No live watch: one list for all blocks (not one GET per pod as Parsl does).
            if let list = try? await p.client.listPods(labelSelector: instanceSelector, namespace: p.namespace) {
                state.withLock { s in
                    Self.replaceCache(&s, with: list)
                }
            }
        }
        return state.withLock { s in
            var result: [String: JobStatus] = [:]
            for id in jobIDs {
                guard let job = s.jobs[id] else {
                    result[id] = JobStatus(state: .missing, message: "no such job in provider \(label)")
                    continue
                }
                if job.cancelled {
                    result[id] = JobStatus(state: .cancelled, message: "cancelled")
                    continue
                }
                let statuses = job.podNames.map { name -> JobStatus in
                    if let pod = s.pods[name] { return Self.jobStatus(of: pod) }
                    // Not seen yet right after creation, or deleted by someone else later.
                    if !s.seen.contains(name), ContinuousClock.now - job.createdAt < .seconds(30) { return JobStatus(state: .pending) }
                    return JobStatus(state: .missing, message: "pod \(name) was deleted outside the provider")
                }
                result[id] = Self.combine(statuses)
            }
            return result
        }
    }

    /// Deletes the jobs' pods with ``Configuration/deleteGracePeriod`` and waits up to
    /// ``Configuration/deleteTimeout`` for them to go; throws ``ProvidersError`` if some are still there.
    public func cancel(jobIDs: [String]) async throws {
        let names = state.withLock { s -> [String] in
            var names: [String] = []
            for id in jobIDs {
                guard var job = s.jobs[id] else { continue }
                job.cancelled = true
                s.jobs[id] = job
                names += job.podNames
            }
            return names
        }
        guard !names.isEmpty, let p = try await preparedIfStarted() else { return }
        try await deleteAndWait(names, prepared: p)
    }

    /// Deletes every pod of this instance (also ones not in the job table) and the run secret, waits until
    /// the pods are gone, and refuses new submissions.
    public func shutdown() async {
        state.withLock { $0.stopped = true }
        guard let p = try? await preparedIfStarted() else { return }
        var names = Set(state.withLock { s in s.jobs.values.flatMap(\.podNames) })
        if let list = try? await p.client.listPods(labelSelector: instanceSelector, namespace: p.namespace) {
            names.formUnion(list.items.compactMap(\.metadata.name))
        }
        do { try await deleteAndWait(Array(names).sorted(), prepared: p) } catch { note("shutdown: \(error)") }
        do { try await p.client.deleteSecret(Self.secretName(configuration, instance: instance), namespace: p.namespace) } catch {
            note("shutdown: cannot delete the run secret: \(error)")
        }
        watchTask.withLock { $0 }?.cancel()
    }

    // MARK: Helpers

    private func preparedOrThrow() async throws -> Prepared {
        _ = try await prepare()
        return try await preparation.withLock { $0 }!.value
    }

    /// The prepared client, or nil when nothing was ever submitted.
    private func preparedIfStarted() async throws -> Prepared? {
        guard let task = preparation.withLock({ $0 }) else { return nil }
        return try await task.value
    }

    private func ensureSecret(_ values: [String: String], name: String, prepared p: Prepared) async throws {
        let known = state.withLock { $0.secretKeys }
        guard !values.isEmpty, !Set(values.keys).isSubset(of: known) else { return }
        var metadata = ObjectMeta(
            name: name, namespace: p.namespace,
            labels: [LabelKey.managedBy: "viz-workflow", LabelKey.run: Self.labelValue(Self.runName(configuration)), LabelKey.instance: instance]
        )
        if let leader = p.leader, configuration.ownerReferenceToLeader {
            metadata.ownerReferences = [OwnerReference(name: leader.name, uid: leader.uid)]
        }
        do {
            _ = try await p.client.createSecret(Secret(metadata: metadata, stringData: values), namespace: p.namespace)
        } catch let error as KubernetesAPIError where error.isAlreadyExists {
            // Created by an earlier attempt of this same call (a retried POST): the name is ours.
        } catch {
            throw ProvidersError(.submitFailed, "cannot create the run secret \(name): \(error)")
        }
        state.withLock { $0.secretKeys.formUnion(values.keys) }
    }

    private func deleteAndWait(_ names: [String], prepared p: Prepared) async throws {
        var failures: [String] = []
        for name in names {
            do { try await p.client.deletePod(name, namespace: p.namespace, gracePeriodSeconds: configuration.deleteGracePeriod) } catch {
                failures.append("\(name): \(error)")
            }
        }
        let left = await waitGone(names, client: p.client, namespace: p.namespace)
        state.withLock { s in for name in names where !left.contains(name) { s.pods[name] = nil } }
        if !failures.isEmpty || !left.isEmpty {
            throw ProvidersError(
                .submitFailed,
                "pods not deleted: " + (failures + left.map { "\($0): still present after \(Int(configuration.deleteTimeout)) s" }).joined(separator: "; ")
            )
        }
    }

    /// Polls until every pod is gone (404) or the delete timeout passes; returns the ones still there.
    @discardableResult
    private func waitGone(_ names: [String], client: KubernetesClient, namespace: String) async -> [String] {
        var left = names
        let deadline = ContinuousClock.now + .milliseconds(Int(configuration.deleteTimeout * 1000))
        while !left.isEmpty {
            var still: [String] = []
            for name in left {
                do {
                    _ = try await client.getPod(name, namespace: namespace)
                    still.append(name)
                } catch let e as KubernetesAPIError where e.isNotFound {
                } catch { still.append(name) }
            }
            left = still
            if left.isEmpty || ContinuousClock.now >= deadline { break }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return left
    }

    /// Replaces the pod cache with a list, keeping pods newer than the list (created while it was in flight).
    private static func replaceCache(_ s: inout State, with list: PodList) {
        var pods = Dictionary(list.items.compactMap { pod in pod.metadata.name.map { ($0, pod) } }, uniquingKeysWith: { a, _ in a })
        if let listed = list.metadata?.resourceVersion.flatMap({ Int($0) }) {
            for (name, pod) in s.pods where pods[name] == nil {
                if let version = pod.metadata.resourceVersion.flatMap({ Int($0) }), version > listed { pods[name] = pod }
            }
        }
        s.pods = pods
        s.seen.formUnion(pods.keys)
    }

    /// List, then watch from the list's resourceVersion; re-list on 410 Gone; back off on other errors
    /// (status polls list meanwhile).
    private func watchLoop(client: KubernetesClient, namespace: String) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let list = try await client.listPods(labelSelector: instanceSelector, namespace: namespace)
                state.withLock { s in
                    Self.replaceCache(&s, with: list)
                    s.watchHealthy = true
                }
                var version = list.metadata?.resourceVersion
                while !Task.isCancelled {
                    let events = client.watchPods(
                        labelSelector: instanceSelector, resourceVersion: version, timeoutSeconds: configuration.watchTimeout, namespace: namespace
                    )
                    for try await event in events {
                        if let rv = event.object.metadata.resourceVersion { version = rv }
                        guard let name = event.object.metadata.name else { continue }
                        state.withLock { s in
                            switch event.kind {
                            case .added, .modified:
                                s.pods[name] = event.object
                                s.seen.insert(name)
                            case .deleted: s.pods[name] = nil
                            case .bookmark: break
                            }
                        }
                    }
                    failures = 0
                }
            } catch let error as KubernetesAPIError where error.isGone {
                continue  // too old: re-list at once
            } catch {
                if Task.isCancelled { break }
                state.withLock { $0.watchHealthy = false }
                failures += 1
                if failures == 1 { note("watch failed, listing on each poll until it recovers: \(error)") }
                try? await Task.sleep(for: .milliseconds(min(30_000, 500 * (1 << min(failures, 6)))))
            }
        }
        state.withLock { $0.watchHealthy = false }
    }
}
