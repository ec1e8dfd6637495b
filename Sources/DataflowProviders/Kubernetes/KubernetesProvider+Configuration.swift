import DataflowKubernetesAPI

extension KubernetesProvider {
    /// Options with the names of Parsl's `KubernetesProvider` (see docs/kubernetes.md for the JSON keys).
    public struct Configuration: Sendable, Hashable {
        /// A PVC mounted into every worker (Parsl `persistent_volumes` entry: claim name, mount path).
        public struct PersistentVolume: Sendable, Hashable, Codable {
            /// Name of the PersistentVolumeClaim, in the worker pods' namespace; it must already exist.
            public var claimName: String
            /// Absolute path inside the worker container where the volume is mounted.
            public var mountPath: String
            /// Mount the volume read-only. Default false.
            public var readOnly: Bool
            /// A claim to mount read-write (unless `readOnly`) at `mountPath`.
            public init(claimName: String, mountPath: String, readOnly: Bool = false) {
                self.claimName = claimName
                self.mountPath = mountPath
                self.readOnly = readOnly
            }
        }

        /// What to do at start with worker pods of an earlier run of the same ``runName``.
        public enum OrphanPolicy: String, Sendable, Hashable, CaseIterable, Codable {
            /// Delete them (and wait until they are gone). The default.
            case delete
            /// Only report them (their names go to the message handler and ``KubernetesProvider/orphans``).
            case report
        }

        /// Names the provider in logs. Default `"kubernetes"`.
        public var label: String
        /// Namespace of the worker pods and the run secret; `nil` uses the client's (in-cluster: the pod's own).
        public var namespace: String?
        /// Container image of the workers (Parsl `image`); normally the leader's own image. Required.
        public var image: String
        /// `imagePullPolicy`; `nil` leaves the Kubernetes default.
        public var imagePullPolicy: String?
        /// Pod name prefix (Parsl `pod_name`), made DNS-1123 valid. Default `"viz-workflow-worker"`.
        public var podName: String
        /// Label value identifying this workflow's runs, used to find pods left by an earlier crashed run.
        /// Default: ``podName``.
        public var runName: String?
        /// Memory request (Parsl `init_mem`). Default `"1Gi"`.
        public var initMem: String
        /// Memory limit (Parsl `max_mem`). Default `"2Gi"` (Parsl's 500Mi OOM-kills real workers).
        public var maxMem: String
        /// CPU request (Parsl `init_cpu`). Default 1.
        public var initCPU: Double
        /// CPU limit (Parsl `max_cpu`). Default 2.
        public var maxCPU: Double
        /// Extra resource requests and limits, e.g. `["nvidia.com/gpu": "1"]` (Parsl `extra_requests`/`extra_limits`).
        public var extraRequests: [String: String]
        /// Extra resource limits, e.g. `["nvidia.com/gpu": "1"]`, merged over the CPU and memory limits (Parsl `extra_limits`).
        public var extraLimits: [String: String]
        /// Pods per block; each runs the whole worker command (Parsl `nodes_per_block`). Default 1.
        public var nodesPerBlock: Int
        /// Parsl `init_blocks`. Default 1 (Parsl's 4 starts idle pods).
        public var initBlocks: Int
        /// Parsl `min_blocks`. Default 0.
        public var minBlocks: Int
        /// Parsl `max_blocks`. Default 10.
        public var maxBlocks: Int
        /// Parsl `parallelism`. Default 1.
        public var parallelism: Double
        /// PVCs mounted into every worker (Parsl `persistent_volumes`).
        public var persistentVolumes: [PersistentVolume]
        /// Pod annotations, e.g. `["gke-gcsfuse/volumes": "true"]` for the GCS FUSE CSI driver.
        public var annotations: [String: String]
        /// Extra pod labels (the run, instance and block labels are always added).
        public var labels: [String: String]
        /// `spec.serviceAccountName` (Parsl `service_account_name`), e.g. for Workload Identity.
        public var serviceAccountName: String?
        /// Image pull secret name (Parsl `secret`).
        public var imagePullSecret: String?
        /// Shell text run by `/bin/sh` before the worker command (Parsl `worker_init`).
        public var workerInit: String?
        /// Extra plain environment variables for the workers (nothing secret: that goes to the run secret).
        public var environment: [String: String]
        /// `spec.nodeSelector`.
        public var nodeSelector: [String: String]
        /// `spec.tolerations`.
        public var tolerations: [Toleration]
        /// Container `runAsUser` (Parsl `user_id`).
        public var runAsUser: Int?
        /// Container `runAsGroup` (Parsl `group_id`).
        public var runAsGroup: Int?
        /// Container `runAsNonRoot` (Parsl `run_as_non_root`). Default `nil` (unset).
        public var runAsNonRoot: Bool?
        /// Pod `fsGroup`, so mounted volumes are writable by ``runAsGroup``.
        public var fsGroup: Int?
        /// Give every worker an ownerReference to the leader pod (found from `POD_NAME`/`POD_UID`), so the
        /// cluster deletes the workers when the leader pod goes. Default true.
        public var ownerReferenceToLeader: Bool
        /// Grace period of worker pod deletion (SIGTERM → SIGKILL). Default 10 s.
        public var deleteGracePeriod: Int
        /// How long cancel waits for deleted pods to be gone before giving up. Default 60 s.
        public var deleteTimeout: Double
        /// What to do with pods of an earlier crashed run of the same ``runName``. Default `.delete`.
        public var orphanPolicy: OrphanPolicy
        /// Keep a watch on the run's pods (falls back to listing on each status poll). Default true.
        public var watch: Bool
        /// Server-side timeout of one watch request before it is re-opened. Default 240 s.
        public var watchTimeout: Int

        /// Creates a configuration with the defaults listed on each property, clamping out-of-range numbers
        /// (`maxBlocks` at least `minBlocks`, `parallelism` within 0...1, timeouts at least 1 s). `image` must be
        /// set before the first submit.
        public init(
            label: String = "kubernetes",
            namespace: String? = nil,
            image: String = "",
            imagePullPolicy: String? = nil,
            podName: String = "viz-workflow-worker",
            runName: String? = nil,
            initMem: String = "1Gi",
            maxMem: String = "2Gi",
            initCPU: Double = 1,
            maxCPU: Double = 2,
            extraRequests: [String: String] = [:],
            extraLimits: [String: String] = [:],
            nodesPerBlock: Int = 1,
            initBlocks: Int = 1,
            minBlocks: Int = 0,
            maxBlocks: Int = 10,
            parallelism: Double = 1,
            persistentVolumes: [PersistentVolume] = [],
            annotations: [String: String] = [:],
            labels: [String: String] = [:],
            serviceAccountName: String? = nil,
            imagePullSecret: String? = nil,
            workerInit: String? = nil,
            environment: [String: String] = [:],
            nodeSelector: [String: String] = [:],
            tolerations: [Toleration] = [],
            runAsUser: Int? = nil,
            runAsGroup: Int? = nil,
            runAsNonRoot: Bool? = nil,
            fsGroup: Int? = nil,
            ownerReferenceToLeader: Bool = true,
            deleteGracePeriod: Int = 10,
            deleteTimeout: Double = 60,
            orphanPolicy: OrphanPolicy = .delete,
            watch: Bool = true,
            watchTimeout: Int = 240
        ) {
            self.label = label
            self.namespace = namespace
            self.image = image
            self.imagePullPolicy = imagePullPolicy
            self.podName = podName
            self.runName = runName
            self.initMem = initMem
            self.maxMem = maxMem
            self.initCPU = initCPU
            self.maxCPU = maxCPU
            self.extraRequests = extraRequests
            self.extraLimits = extraLimits
            self.nodesPerBlock = Swift.max(1, nodesPerBlock)
            self.initBlocks = Swift.max(0, initBlocks)
            self.minBlocks = Swift.max(0, minBlocks)
            self.maxBlocks = Swift.max(self.minBlocks, maxBlocks)
            self.parallelism = Swift.min(1, Swift.max(0, parallelism))
            self.persistentVolumes = persistentVolumes
            self.annotations = annotations
            self.labels = labels
            self.serviceAccountName = serviceAccountName
            self.imagePullSecret = imagePullSecret
            self.workerInit = workerInit
            self.environment = environment
            self.nodeSelector = nodeSelector
            self.tolerations = tolerations
            self.runAsUser = runAsUser
            self.runAsGroup = runAsGroup
            self.runAsNonRoot = runAsNonRoot
            self.fsGroup = fsGroup
            self.ownerReferenceToLeader = ownerReferenceToLeader
            self.deleteGracePeriod = Swift.max(0, deleteGracePeriod)
            self.deleteTimeout = Swift.max(1, deleteTimeout)
            self.orphanPolicy = orphanPolicy
            self.watch = watch
            self.watchTimeout = Swift.max(1, watchTimeout)
        }
    }
}
