import Foundation

// The subset of the core/v1 API objects this project reads and writes. Field names are the API's; every
// optional is left out of the JSON when nil, so rendered manifests carry only what was set. Unknown fields
// in server responses are ignored by Codable.

/// `metadata` of any object (`ObjectMeta`).
public struct ObjectMeta: Codable, Sendable, Hashable {
    /// The object's name, unique per kind within its namespace; `nil` on create when `generateName` is used.
    public var name: String?
    /// A prefix from which the server makes a unique name (by appending random characters) when `name` is empty.
    public var generateName: String?
    /// The namespace the object lives in; `nil` on create means the namespace in the request path.
    public var namespace: String?
    /// Server-assigned id, unique for the object's whole lifetime (a re-created object with the same name gets a
    /// new one); what an ``OwnerReference`` points at. Read only.
    public var uid: String?
    /// Opaque version string that changes on every write; used to start watches and for optimistic concurrency. Read only.
    public var resourceVersion: String?
    /// When the server created the object, as an RFC 3339 UTC timestamp. Read only.
    public var creationTimestamp: String?
    /// Set by the server once deletion was requested (the object is terminating: its grace period or finalizers
    /// are still running); `nil` for a live object. Read only.
    public var deletionTimestamp: String?
    /// Key/value labels used by label selectors (e.g. ``KubernetesClient/listPods(labelSelector:namespace:)``).
    public var labels: [String: String]?
    /// Free-form key/value metadata for tools and controllers; not usable in selectors.
    public var annotations: [String: String]?
    /// Objects this one depends on; when all of its owners are deleted the garbage collector deletes it too.
    public var ownerReferences: [OwnerReference]?

    /// Metadata for an object to create; the server fills in the read-only fields (`uid`, `resourceVersion`, ...).
    public init(
        name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil, annotations: [String: String]? = nil,
        ownerReferences: [OwnerReference]? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
    }
}

/// An owner reference: the garbage collector deletes this object when the owner is gone.
public struct OwnerReference: Codable, Sendable, Hashable {
    /// API version of the owner, e.g. `"v1"` for a Pod.
    public var apiVersion: String
    /// Kind of the owner, e.g. `"Pod"`.
    public var kind: String
    /// Name of the owner, in the same namespace as this object.
    public var name: String
    /// `metadata.uid` of the owner: the reference only holds for that exact object, not a later one of the same name.
    public var uid: String
    /// Whether the owner is the managing controller of this object (at most one owner may be); `nil` means false.
    public var controller: Bool?
    /// With foreground deletion, whether the owner must wait until this object is deleted; `nil` means false.
    public var blockOwnerDeletion: Bool?

    /// A reference to an owner, by default a core/v1 Pod (as used for the leader pod owning its workers).
    public init(apiVersion: String = "v1", kind: String = "Pod", name: String, uid: String, controller: Bool? = nil, blockOwnerDeletion: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// `metadata` of a list (`ListMeta`).
public struct ListMeta: Codable, Sendable, Hashable {
    /// Version of the collection at the time of the list: start a watch from it to see every later change.
    public var resourceVersion: String?
    /// Token for fetching the next page of a paginated list; `nil` or empty when this was the last page.
    public var `continue`: String?
}

/// A core/v1 Pod.
public struct Pod: Codable, Sendable, Hashable {
    /// API group and version of the object; always `"v1"` for a Pod.
    public var apiVersion: String? = "v1"
    /// Object kind; always `"Pod"`.
    public var kind: String? = "Pod"
    /// Name, namespace, labels and other metadata of the pod.
    public var metadata: ObjectMeta
    /// The desired state: containers, volumes, scheduling and security settings.
    public var spec: PodSpec?
    /// The observed state reported by the kubelet; `nil` in manifests being created.
    public var status: PodStatus?

    /// A pod to create, with no status.
    public init(metadata: ObjectMeta, spec: PodSpec) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// The desired state of a pod (`PodSpec`): its containers and how and where they run.
public struct PodSpec: Codable, Sendable, Hashable {
    /// The containers of the pod (at least one); they share its network namespace and volumes.
    public var containers: [Container]
    /// What the kubelet does when a container exits: `"Always"` (the API default), `"OnFailure"` or `"Never"`.
    /// Worker pods use `"Never"`, so that an exited worker ends its block instead of looping.
    public var restartPolicy: String?
    /// The service account the pod runs as (its API identity, e.g. for Workload Identity); `nil` means `default`.
    public var serviceAccountName: String?
    /// Whether the service-account token is mounted into the containers; `nil` follows the service account's setting.
    public var automountServiceAccountToken: Bool?
    /// Secrets in the pod's namespace holding registry credentials for pulling private images.
    public var imagePullSecrets: [LocalObjectReference]?
    /// Volumes the containers can mount by name through ``Container/volumeMounts``.
    public var volumes: [Volume]?
    /// Node labels a node must carry for the pod to be scheduled there.
    public var nodeSelector: [String: String]?
    /// Node taints the pod tolerates, e.g. to run on a dedicated or GPU node pool.
    public var tolerations: [Toleration]?
    /// Security settings for every container of the pod (user, group, `fsGroup`).
    public var securityContext: PodSecurityContext?
    /// Seconds between SIGTERM and SIGKILL when the pod is deleted; `nil` means the API default of 30.
    public var terminationGracePeriodSeconds: Int?
    /// Whether the namespace's services are injected as environment variables (`FOO_SERVICE_HOST`, ...); `nil` means true.
    public var enableServiceLinks: Bool?
    /// The node the pod is bound to: set by the scheduler, or in a manifest to bypass scheduling.
    public var nodeName: String?

    /// A spec with the given containers and every optional field unset (API defaults apply).
    public init(containers: [Container]) { self.containers = containers }
}

/// A reference by name to an object in the same namespace (`LocalObjectReference`), e.g. an image pull secret.
public struct LocalObjectReference: Codable, Sendable, Hashable {
    /// Name of the referenced object.
    public var name: String
    /// A reference to the object called `name`.
    public init(name: String) { self.name = name }
}

/// A named volume of a pod (`Volume`); only persistent volume claims are modelled here.
public struct Volume: Codable, Sendable, Hashable {
    /// The volume's name within the pod (a DNS-1123 label), which ``VolumeMount/name`` refers to.
    public var name: String
    /// The PersistentVolumeClaim that backs this volume.
    public var persistentVolumeClaim: PersistentVolumeClaimVolumeSource?
    /// A volume called `name`, backed by a claim when one is given.
    public init(name: String, persistentVolumeClaim: PersistentVolumeClaimVolumeSource? = nil) {
        self.name = name
        self.persistentVolumeClaim = persistentVolumeClaim
    }
}

/// A volume source that uses an existing PersistentVolumeClaim (`PersistentVolumeClaimVolumeSource`).
public struct PersistentVolumeClaimVolumeSource: Codable, Sendable, Hashable {
    /// Name of the PersistentVolumeClaim in the pod's namespace.
    public var claimName: String
    /// Forces the volume read-only for every mount; `nil` means false.
    public var readOnly: Bool?
    /// A source for the claim `claimName`.
    public init(claimName: String, readOnly: Bool? = nil) {
        self.claimName = claimName
        self.readOnly = readOnly
    }
}

/// Lets a pod be scheduled on (or stay on) nodes with a matching taint (`Toleration`).
public struct Toleration: Codable, Sendable, Hashable {
    /// The taint key to match; `nil` with operator `"Exists"` matches every taint.
    public var key: String?
    /// How ``key`` and ``value`` are compared: `"Equal"` (the default) or `"Exists"` (any value).
    public var `operator`: String?
    /// The taint value to match with operator `"Equal"`.
    public var value: String?
    /// The taint effect tolerated: `"NoSchedule"`, `"PreferNoSchedule"` or `"NoExecute"`; `nil` means all of them.
    public var effect: String?
    /// For `"NoExecute"` taints: how many seconds the pod may stay on the node after the taint appears; `nil` means forever.
    public var tolerationSeconds: Int?
    /// A toleration; unset fields keep their API defaults.
    public init(key: String? = nil, operator: String? = nil, value: String? = nil, effect: String? = nil, tolerationSeconds: Int? = nil) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }
}

/// Security settings applied to all containers of a pod (`PodSecurityContext`); a container's own
/// ``SecurityContext`` overrides the fields they share.
public struct PodSecurityContext: Codable, Sendable, Hashable {
    /// Numeric user id the container processes run as; `nil` uses the image's user.
    public var runAsUser: Int?
    /// Numeric primary group id of the container processes; `nil` uses the runtime default.
    public var runAsGroup: Int?
    /// When true, the kubelet refuses to start a container that would run as uid 0.
    public var runAsNonRoot: Bool?
    /// Supplementary group added to the processes; supporting volumes are made group-owned and writable by it.
    public var fsGroup: Int?
    /// A pod security context; unset fields keep the image's and runtime's defaults.
    public init(runAsUser: Int? = nil, runAsGroup: Int? = nil, runAsNonRoot: Bool? = nil, fsGroup: Int? = nil) {
        self.runAsUser = runAsUser
        self.runAsGroup = runAsGroup
        self.runAsNonRoot = runAsNonRoot
        self.fsGroup = fsGroup
    }
}

/// One container of a pod (`Container`): image, command, environment, resources and mounts.
public struct Container: Codable, Sendable, Hashable {
    /// The container's name, unique within the pod (a DNS-1123 label).
    public var name: String
    /// The image reference to run, e.g. `registry.example.org/viz-workflow:1.2`.
    public var image: String?
    /// When the kubelet pulls the image: `"Always"`, `"IfNotPresent"` or `"Never"`; `nil` means `Always` for
    /// `:latest` or untagged images and `IfNotPresent` otherwise.
    public var imagePullPolicy: String?
    /// The executable and its leading arguments, replacing the image's `ENTRYPOINT`; `nil` keeps it.
    public var command: [String]?
    /// Arguments passed after ``command``, replacing the image's `CMD`; `nil` keeps it.
    public var args: [String]?
    /// Environment variables set in the container, each a literal value or a reference to a secret, config map or pod field.
    public var env: [EnvVar]?
    /// CPU, memory and other resource requests (for scheduling) and limits (enforced at run time).
    public var resources: ResourceRequirements?
    /// Where the pod's volumes appear in this container's filesystem.
    public var volumeMounts: [VolumeMount]?
    /// Security settings for this container alone; they override the pod's ``PodSecurityContext``.
    public var securityContext: SecurityContext?
    /// The working directory of the command; `nil` uses the image's.
    public var workingDir: String?

    /// A container called `name` running `image`, with every other field unset.
    public init(name: String, image: String?) {
        self.name = name
        self.image = image
    }
}

/// One environment variable of a container (`EnvVar`).
public struct EnvVar: Codable, Sendable, Hashable {
    /// The variable's name.
    public var name: String
    /// A literal value (`$(VAR)` references to variables defined earlier are expanded); leave it `nil` when
    /// ``valueFrom`` is set.
    public var value: String?
    /// Where to read the value at container start instead: a secret key, a config map key or a pod field.
    public var valueFrom: EnvVarSource?
    /// A variable with a literal `value` or a `valueFrom` source (set one of the two).
    public init(name: String, value: String? = nil, valueFrom: EnvVarSource? = nil) {
        self.name = name
        self.value = value
        self.valueFrom = valueFrom
    }
}

/// Where an environment variable's value comes from (`EnvVarSource`); set exactly one field.
public struct EnvVarSource: Codable, Sendable, Hashable {
    /// One key of a Secret in the pod's namespace; the value never appears in the pod spec.
    public var secretKeyRef: KeySelector?
    /// One key of a ConfigMap in the pod's namespace.
    public var configMapKeyRef: KeySelector?
    /// A field of the pod itself through the downward API, e.g. `metadata.name` or `status.podIP`.
    public var fieldRef: ObjectFieldSelector?
    /// A source; give exactly one of the references.
    public init(secretKeyRef: KeySelector? = nil, configMapKeyRef: KeySelector? = nil, fieldRef: ObjectFieldSelector? = nil) {
        self.secretKeyRef = secretKeyRef
        self.configMapKeyRef = configMapKeyRef
        self.fieldRef = fieldRef
    }
}

/// `secretKeyRef` / `configMapKeyRef`.
public struct KeySelector: Codable, Sendable, Hashable {
    /// Name of the Secret or ConfigMap in the pod's namespace.
    public var name: String
    /// The key within it whose value is used.
    public var key: String
    /// When true, a missing object or key leaves the variable unset instead of failing container start; `nil` means false.
    public var optional: Bool?
    /// A selector of `key` in the object `name`.
    public init(name: String, key: String, optional: Bool? = nil) {
        self.name = name
        self.key = key
        self.optional = optional
    }
}

/// A field of the pod exposed through the downward API (`ObjectFieldSelector`).
public struct ObjectFieldSelector: Codable, Sendable, Hashable {
    /// Path of the field, e.g. `"metadata.name"`, `"metadata.namespace"`, `"metadata.uid"` or `"status.podIP"`.
    public var fieldPath: String
    /// A selector of the pod field at `fieldPath`.
    public init(fieldPath: String) { self.fieldPath = fieldPath }
}

/// Compute resources of a container (`ResourceRequirements`), as quantities such as `"500m"` CPU or `"2Gi"` memory.
public struct ResourceRequirements: Codable, Sendable, Hashable {
    /// What the scheduler reserves on a node for the container, by resource name (`cpu`, `memory`, ...).
    public var requests: [String: String]?
    /// The most the container may use: CPU above it is throttled, memory above it gets the container OOM-killed.
    public var limits: [String: String]?
    /// Requests and limits by resource name; a request left out defaults to the limit.
    public init(requests: [String: String]? = nil, limits: [String: String]? = nil) {
        self.requests = requests
        self.limits = limits
    }
}

/// Mounts one of the pod's volumes into a container (`VolumeMount`).
public struct VolumeMount: Codable, Sendable, Hashable {
    /// Name of the pod ``Volume`` to mount.
    public var name: String
    /// Absolute path in the container where the volume appears.
    public var mountPath: String
    /// Mount read-only; `nil` means read-write.
    public var readOnly: Bool?
    /// A path inside the volume to mount instead of its root; `nil` mounts the root.
    public var subPath: String?
    /// A mount of volume `name` at `mountPath`.
    public init(name: String, mountPath: String, readOnly: Bool? = nil, subPath: String? = nil) {
        self.name = name
        self.mountPath = mountPath
        self.readOnly = readOnly
        self.subPath = subPath
    }
}

/// Security settings of one container (`SecurityContext`); fields set here win over the pod's ``PodSecurityContext``.
public struct SecurityContext: Codable, Sendable, Hashable {
    /// Linux capabilities added to or dropped from the container runtime's default set.
    public struct Capabilities: Codable, Sendable, Hashable {
        /// Capabilities to grant, e.g. `"NET_ADMIN"` (names without the `CAP_` prefix).
        public var add: [String]?
        /// Capabilities to remove, e.g. `"ALL"`.
        public var drop: [String]?
        /// Capabilities to add and to drop.
        public init(add: [String]? = nil, drop: [String]? = nil) {
            self.add = add
            self.drop = drop
        }
    }
    /// Numeric user id the container runs as; `nil` uses the pod's setting, then the image's user.
    public var runAsUser: Int?
    /// Numeric primary group id of the container; `nil` uses the pod's setting, then the runtime default.
    public var runAsGroup: Int?
    /// When true, the kubelet refuses to start the container if it would run as uid 0.
    public var runAsNonRoot: Bool?
    /// Whether a process may gain more privileges than its parent (setuid binaries; `no_new_privs` when false).
    public var allowPrivilegeEscalation: Bool?
    /// Mount the container's root filesystem read-only; only volumes are writable then.
    public var readOnlyRootFilesystem: Bool?
    /// Linux capabilities to add or drop.
    public var capabilities: Capabilities?
    /// A container security context; unset fields fall back to the pod's and the runtime's defaults.
    public init(
        runAsUser: Int? = nil, runAsGroup: Int? = nil, runAsNonRoot: Bool? = nil, allowPrivilegeEscalation: Bool? = nil,
        readOnlyRootFilesystem: Bool? = nil, capabilities: Capabilities? = nil
    ) {
        self.runAsUser = runAsUser
        self.runAsGroup = runAsGroup
        self.runAsNonRoot = runAsNonRoot
        self.allowPrivilegeEscalation = allowPrivilegeEscalation
        self.readOnlyRootFilesystem = readOnlyRootFilesystem
        self.capabilities = capabilities
    }
}

/// What the kubelet reports (read only).
public struct PodStatus: Codable, Sendable, Hashable {
    /// Coarse lifecycle phase: `"Pending"`, `"Running"`, `"Succeeded"`, `"Failed"` or `"Unknown"`.
    public var phase: String?
    /// A short CamelCase reason for the pod's state, e.g. `"Evicted"`.
    public var reason: String?
    /// A human-readable explanation of the pod's state.
    public var message: String?
    /// The pod's IP address on the cluster network; `nil` until it is assigned.
    public var podIP: String?
    /// Conditions such as `PodScheduled`, `Initialized`, `ContainersReady` and `Ready`.
    public var conditions: [PodCondition]?
    /// The state of each container (waiting, running or terminated), with restart counts.
    public var containerStatuses: [ContainerStatus]?
    /// A status with only a phase set; real statuses come from the server.
    public init(phase: String? = nil) { self.phase = phase }
}

/// One condition of a pod (`PodCondition`), e.g. whether it was scheduled or is ready.
public struct PodCondition: Codable, Sendable, Hashable {
    /// Which condition: `"PodScheduled"`, `"Initialized"`, `"ContainersReady"`, `"Ready"`, ...
    public var type: String
    /// Whether it holds: `"True"`, `"False"` or `"Unknown"` (a string, not a Boolean).
    public var status: String
    /// A short CamelCase reason for the last transition, e.g. `"Unschedulable"`.
    public var reason: String?
    /// A human-readable explanation of the last transition (e.g. why no node fits).
    public var message: String?
}

/// The observed state of one container of a pod (`ContainerStatus`).
public struct ContainerStatus: Codable, Sendable, Hashable {
    /// Name of the container, as in ``Container/name``.
    public var name: String
    /// Whether the container passes its readiness probe (true when running and no probe is defined).
    public var ready: Bool?
    /// How many times the kubelet restarted the container (always 0 with `restartPolicy: Never`).
    public var restartCount: Int?
    /// The container's current state.
    public var state: ContainerState?
    /// The state of the previous run when the container was restarted, e.g. the exit code of a crash.
    public var lastState: ContainerState?
}

/// A container's state (`ContainerState`): exactly one of waiting, running or terminated is set.
public struct ContainerState: Codable, Sendable, Hashable {
    /// Not running yet (or between restarts).
    public struct Waiting: Codable, Sendable, Hashable {
        /// Why it waits, e.g. `"ContainerCreating"`, `"ImagePullBackOff"` or `"CreateContainerConfigError"`.
        public var reason: String?
        /// Details of the wait, e.g. the registry's error for a failed pull.
        public var message: String?
    }
    /// Running since ``startedAt``.
    public struct Running: Codable, Sendable, Hashable {
        /// When the container started, as an RFC 3339 timestamp.
        public var startedAt: String?
    }
    /// Exited, with its exit status.
    public struct Terminated: Codable, Sendable, Hashable {
        /// The process's exit status (`128 + n` conventionally means killed by signal n).
        public var exitCode: Int32
        /// The signal that killed the container, when the runtime reports one.
        public var signal: Int32?
        /// Why it ended, e.g. `"Completed"`, `"Error"` or `"OOMKilled"`.
        public var reason: String?
        /// Details of the termination, when the runtime gives any.
        public var message: String?
    }
    /// Set while the container waits to start.
    public var waiting: Waiting?
    /// Set while the container runs.
    public var running: Running?
    /// Set once the container has exited.
    public var terminated: Terminated?
}

/// A list of pods with the resourceVersion to watch from.
public struct PodList: Codable, Sendable {
    /// The list's metadata; its ``ListMeta/resourceVersion`` is where a watch should start.
    public var metadata: ListMeta?
    /// The matching pods.
    public var items: [Pod]
}

/// A core/v1 Secret (`data` values are base64 in JSON; ``stringData`` is plain and write-only).
public struct Secret: Codable, Sendable, Hashable {
    /// API group and version of the object; always `"v1"` for a Secret.
    public var apiVersion: String? = "v1"
    /// Object kind; always `"Secret"`.
    public var kind: String? = "Secret"
    /// Name, namespace, labels and owner references of the secret.
    public var metadata: ObjectMeta
    /// How the data is meant to be used, e.g. `"Opaque"` (arbitrary) or `"kubernetes.io/dockerconfigjson"`.
    public var type: String?
    /// The stored values by key, base64-encoded as the API returns them.
    public var data: [String: String]?
    /// Plain-text values to store; the server encodes them into ``data`` and never returns this field.
    public var stringData: [String: String]?

    /// A secret to create from plain-text values, `Opaque` by default.
    public init(metadata: ObjectMeta, stringData: [String: String], type: String = "Opaque") {
        self.metadata = metadata
        self.stringData = stringData
        self.type = type
    }
}

/// The API's error and result object (`meta/v1 Status`).
public struct APIStatus: Codable, Sendable, Hashable {
    /// `"Status"` for a status object (used to tell one from other JSON in a watch stream).
    public var kind: String?
    /// `"Success"` or `"Failure"`.
    public var status: String?
    /// The server's human-readable explanation.
    public var message: String?
    /// Machine-readable cause, e.g. `"NotFound"`, `"AlreadyExists"`, `"Forbidden"`, `"Invalid"` or `"Expired"`.
    public var reason: String?
    /// The HTTP status code the status stands for (0 or `nil` when not set).
    public var code: Int?
}

/// `DeleteOptions`.
public struct DeleteOptions: Codable, Sendable, Hashable {
    /// API group and version of the options object; `"v1"`.
    public var apiVersion: String? = "v1"
    /// Object kind; always `"DeleteOptions"`.
    public var kind: String? = "DeleteOptions"
    /// Seconds the object gets to shut down (for a pod: SIGTERM to SIGKILL); 0 deletes at once, `nil` uses
    /// the object's own default (a pod's `terminationGracePeriodSeconds`).
    public var gracePeriodSeconds: Int?
    /// `"Foreground"`, `"Background"` or `"Orphan"`.
    public var propagationPolicy: String?
    /// Options for a delete; `nil` fields use the server's defaults.
    public init(gracePeriodSeconds: Int? = nil, propagationPolicy: String? = nil) {
        self.gracePeriodSeconds = gracePeriodSeconds
        self.propagationPolicy = propagationPolicy
    }
}

/// One event of a watch stream.
public struct WatchEvent<Object: Decodable & Sendable>: Sendable {
    /// What happened to the object: `ADDED` (created; or already there, for a watch started without a
    /// `resourceVersion`), `MODIFIED`, `DELETED`, or `BOOKMARK` (no change: only the object's
    /// `resourceVersion` is meaningful, as the point to resume the watch from).
    public enum Kind: String, Sendable {
        /// The object was created (or already existed, for a watch started without a `resourceVersion`).
        case added = "ADDED"
        /// The object changed; the event carries its new state.
        case modified = "MODIFIED"
        /// The object was deleted; the event carries its last state.
        case deleted = "DELETED"
        /// No change: only the object's `resourceVersion` is meaningful, as the point to resume from.
        case bookmark = "BOOKMARK"
    }
    /// The type of change.
    public var kind: Kind
    /// The object after the change (for `DELETED`, its last state).
    public var object: Object
}
