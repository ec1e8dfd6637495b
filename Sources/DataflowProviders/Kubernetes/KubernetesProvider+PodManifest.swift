import DataflowKubernetesAPI
import Foundation

extension KubernetesProvider {
    /// Label keys put on every worker pod.
    public enum LabelKey {
        /// The standard `app.kubernetes.io/managed-by` label; its value is always `viz-workflow`.
        public static let managedBy = "app.kubernetes.io/managed-by"
        /// The standard `app.kubernetes.io/component` label; its value is `worker` on worker pods.
        public static let component = "app.kubernetes.io/component"
        /// The workflow's run name (same across restarts of the same workflow: finds orphans).
        public static let run = "viz-workflow/run"
        /// This provider instance (one leader process): tells this run's pods from an earlier one's.
        public static let instance = "viz-workflow/instance"
        /// The scaler's block id of the pod (several pods share it when a block has more than one node).
        public static let block = "viz-workflow/block"
    }

    /// The identity of the pod running the leader, for ownerReferences.
    public struct LeaderReference: Sendable, Hashable {
        /// The leader pod's `metadata.name`.
        public var name: String
        /// The leader pod's `metadata.uid`, which the workers' ownerReference must match.
        public var uid: String
        /// Identifies the leader pod by name and uid.
        public init(name: String, uid: String) {
            self.name = name
            self.uid = uid
        }
    }

    /// Everything that makes one worker pod, apart from the configuration.
    public struct PodRequest: Sendable {
        /// The worker launch command (argv), run after ``Configuration/workerInit`` when one is set.
        public var command: [String]
        /// Names of the variables that come from the run secret (their values never enter the pod spec).
        public var secretKeys: [String]
        /// Name of the run secret the ``secretKeys`` variables are read from (`secretKeyRef`).
        public var secretName: String
        /// The scaler's block id: part of the pod name, the block label and `VIZ_WORKFLOW_BLOCK_ID`.
        public var blockID: String
        /// Which node of the block this pod is, from 0; added to the pod name when a block has several nodes.
        public var nodeIndex: Int
        /// Short random id of this provider instance.
        public var instance: String
        /// The leader pod to own the worker (when ``Configuration/ownerReferenceToLeader`` is set); `nil` for none.
        public var leader: LeaderReference?
        /// Namespace of the pod; `nil` uses ``Configuration/namespace``.
        public var namespace: String?

        /// Describes one worker pod; `nodeIndex` defaults to the first node.
        public init(
            command: [String], secretKeys: [String], secretName: String, blockID: String, nodeIndex: Int = 0, instance: String,
            leader: LeaderReference? = nil, namespace: String? = nil
        ) {
            self.command = command
            self.secretKeys = secretKeys
            self.secretName = secretName
            self.blockID = blockID
            self.nodeIndex = nodeIndex
            self.instance = instance
            self.leader = leader
            self.namespace = namespace
        }
    }

    /// The worker pod for one node of one block.
    public static func workerPod(_ c: Configuration, _ r: PodRequest) -> Pod {
        var argv = r.command
        if let workerInit = c.workerInit, !workerInit.isEmpty {
            // The command travels as positional parameters, so no quoting can break it.
            argv = ["/bin/sh", "-c", workerInit + "\nexec \"$@\"", "sh"] + r.command
        }
        var container = Container(name: "worker", image: c.image)
        container.imagePullPolicy = c.imagePullPolicy
        container.command = argv.isEmpty ? nil : [argv[0]]
        container.args = argv.count > 1 ? Array(argv.dropFirst()) : nil
        var env: [EnvVar] = c.environment.keys.sorted().map { EnvVar(name: $0, value: c.environment[$0]) }
        env += r.secretKeys.sorted().map { EnvVar(name: $0, valueFrom: EnvVarSource(secretKeyRef: KeySelector(name: r.secretName, key: $0))) }
        env += [
            EnvVar(name: "POD_NAME", valueFrom: EnvVarSource(fieldRef: ObjectFieldSelector(fieldPath: "metadata.name"))),
            EnvVar(name: "POD_NAMESPACE", valueFrom: EnvVarSource(fieldRef: ObjectFieldSelector(fieldPath: "metadata.namespace"))),
            EnvVar(name: "POD_IP", valueFrom: EnvVarSource(fieldRef: ObjectFieldSelector(fieldPath: "status.podIP"))),
            EnvVar(name: "VIZ_WORKFLOW_BLOCK_ID", value: r.blockID),
        ]
        container.env = env
        var requests = ["cpu": formatCPU(c.initCPU), "memory": c.initMem]
        var limits = ["cpu": formatCPU(c.maxCPU), "memory": c.maxMem]
        requests.merge(c.extraRequests) { _, new in new }
        limits.merge(c.extraLimits) { _, new in new }
        container.resources = ResourceRequirements(requests: requests, limits: limits)
        if !c.persistentVolumes.isEmpty {
            container.volumeMounts = c.persistentVolumes.map {
                VolumeMount(name: volumeName($0.claimName), mountPath: $0.mountPath, readOnly: $0.readOnly ? true : nil)
            }
        }
        if c.runAsUser != nil || c.runAsGroup != nil || c.runAsNonRoot != nil {
            container.securityContext = SecurityContext(
                runAsUser: c.runAsUser, runAsGroup: c.runAsGroup, runAsNonRoot: c.runAsNonRoot, allowPrivilegeEscalation: false
            )
        }

        var spec = PodSpec(containers: [container])
        spec.restartPolicy = "Never"  // a worker that exits is a finished block, never a crash loop
        spec.serviceAccountName = c.serviceAccountName
        // Workers never call the API: keep the token out of them unless a service account was asked for.
        spec.automountServiceAccountToken = c.serviceAccountName == nil ? false : nil
        spec.imagePullSecrets = c.imagePullSecret.map { [LocalObjectReference(name: $0)] }
        if !c.persistentVolumes.isEmpty {
            spec.volumes = c.persistentVolumes.map {
                Volume(name: volumeName($0.claimName), persistentVolumeClaim: PersistentVolumeClaimVolumeSource(claimName: $0.claimName))
            }
        }
        spec.nodeSelector = c.nodeSelector.isEmpty ? nil : c.nodeSelector
        spec.tolerations = c.tolerations.isEmpty ? nil : c.tolerations
        spec.securityContext = c.fsGroup.map { PodSecurityContext(fsGroup: $0) }
        spec.terminationGracePeriodSeconds = c.deleteGracePeriod
        spec.enableServiceLinks = false  // thousands of service env vars help no worker

        var labels = c.labels
        labels[LabelKey.managedBy] = "viz-workflow"
        labels[LabelKey.component] = "worker"
        labels[LabelKey.run] = labelValue(runName(c))
        labels[LabelKey.instance] = r.instance
        labels[LabelKey.block] = labelValue(r.blockID)
        var metadata = ObjectMeta(
            name: podName(c, instance: r.instance, blockID: r.blockID, nodeIndex: r.nodeIndex),
            namespace: r.namespace ?? c.namespace,
            labels: labels,
            annotations: c.annotations.isEmpty ? nil : c.annotations
        )
        if c.ownerReferenceToLeader, let leader = r.leader {
            metadata.ownerReferences = [OwnerReference(name: leader.name, uid: leader.uid)]
        }
        return Pod(metadata: metadata, spec: spec)
    }

    /// The worker pod as pretty JSON (what `viz-workflow` prints for review); the secret stays a reference.
    public static func renderWorkerPodManifest(
        configuration: Configuration, command: [String], environment: [String: String], blockID: String = "0",
        instance: String = "xxxxx", leader: LeaderReference? = nil
    ) throws -> String {
        let pod = workerPod(
            configuration,
            PodRequest(
                command: command, secretKeys: Array(environment.keys), secretName: secretName(configuration, instance: instance),
                blockID: blockID, instance: instance, leader: leader
            )
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(pod), as: UTF8.self)
    }

    // MARK: Names

    /// The run label value: ``Configuration/runName`` or the pod name prefix.
    static func runName(_ c: Configuration) -> String { c.runName ?? c.podName }

    /// `<prefix>-<instance>-<block>[-<node>]`, a DNS-1123 label (≤ 63 characters), unique per block.
    public static func podName(_ c: Configuration, instance: String, blockID: String, nodeIndex: Int = 0) -> String {
        let suffix = "-\(instance)-\(dnsLabel(blockID, fallback: "b"))" + (c.nodesPerBlock > 1 ? "-\(nodeIndex)" : "")
        let prefix = dnsLabel(c.podName, fallback: "viz-workflow-worker", maxLength: 63 - suffix.count)
        return prefix + suffix
    }

    /// The run secret: `<prefix>-<instance>-run`.
    public static func secretName(_ c: Configuration, instance: String) -> String {
        dnsLabel(c.podName, fallback: "viz-workflow-worker", maxLength: 63 - instance.count - 5) + "-\(instance)-run"
    }

    static func volumeName(_ claim: String) -> String { dnsLabel(claim, fallback: "volume") }

    /// Lower-case, runs of anything but `[a-z0-9]` become `-`, no leading/trailing `-`, at most `maxLength`.
    public static func dnsLabel(_ text: String, fallback: String, maxLength: Int = 63) -> String {
        var out = ""
        var dash = false
        for ch in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(ch) || ("0"..."9").contains(ch) {
                if dash, !out.isEmpty { out.append("-") }
                dash = false
                out.unicodeScalars.append(ch)
            } else {
                dash = true
            }
        }
        out = String(out.prefix(Swift.max(1, maxLength)))
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? String(fallback.prefix(Swift.max(1, maxLength))) : out
    }

    /// A valid label value: `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, ≤ 63 characters.
    static func labelValue(_ text: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        var out = ""
        for ch in text {
            if allowed.contains(ch) {
                out.append(ch)
            } else if !out.hasSuffix("-") {
                out.append("-")  // one dash per run of other characters
            }
        }
        out = String(out.prefix(63))
        while let f = out.first, !f.isLetter && !f.isNumber { out.removeFirst() }
        while let l = out.last, !l.isLetter && !l.isNumber { out.removeLast() }
        return out.isEmpty ? "none" : out
    }

    static func formatCPU(_ cpu: Double) -> String {
        if cpu == cpu.rounded() { return String(Int(cpu)) }
        return "\(Int((cpu * 1000).rounded()))m"
    }

    /// Five random characters from `[a-z0-9]`, starting with a letter.
    static func makeInstanceID() -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        let chars = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String(letters.randomElement()!) + String((0..<4).map { _ in chars.randomElement()! })
    }
}
