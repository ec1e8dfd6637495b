import DataflowJSON
import DataflowKubernetesAPI

extension KubernetesProvider {
    /// Builds a provider from its JSON object (`"provider": {"class": "KubernetesProvider", ...}`) with
    /// Parsl's option names; the same shape as `HighThroughputExecutor.ProviderFactory`, so the executor
    /// registers it as `providers["KubernetesProvider"] = KubernetesProvider.configurationFactory()`.
    ///
    /// Keys: `label`, `namespace`, `image` (required), `image_pull_policy`, `pod_name`, `run_name`,
    /// `init_mem`, `max_mem`, `init_cpu`, `max_cpu`, `extra_requests`, `extra_limits`, `nodes_per_block`,
    /// `init_blocks`, `min_blocks`, `max_blocks`, `parallelism`, `persistent_volumes` (`[["claim", "/mount"]]`
    /// or `[{"claim_name", "mount_path", "read_only"}]`), `annotations`, `labels`, `service_account_name`,
    /// `secret` (image pull secret), `worker_init`, `environment`, `node_selector`, `tolerations`
    /// (`[{"key", "operator", "value", "effect", "toleration_seconds"}]`), `user_id`, `group_id`,
    /// `run_as_non_root`, `fs_group`, `owner_reference`, `delete_grace_period`, `delete_timeout`,
    /// `orphan_policy` (`delete`/`report`), `watch`, and `kubeconfig` + `context` (runs from outside the
    /// cluster; default: in-cluster, else `$KUBECONFIG` / `~/.kube/config`).
    ///
    /// `client` overrides the cluster connection (tests pass one pointing at their fake API server).
    public static func configurationFactory(
        client: KubernetesClient? = nil
    ) -> ProviderFactory {
        { object, _ in
            let configuration = try configuration(from: object)
            var connection = client
            if connection == nil, let kubeconfig = try object.string("kubeconfig") {
                connection = KubernetesClient(configuration: try Kubeconfig.load(path: kubeconfig, context: try object.string("context")))
            } else if connection == nil, let context = try object.string("context") {
                connection = KubernetesClient(configuration: try Kubeconfig.load(path: nil, context: context))
            }
            return KubernetesProvider(configuration: configuration, client: connection)
        }
    }

    /// Reads the ``Configuration`` keys of a provider object (not `kubeconfig`/`context`).
    public static func configuration(from o: ConfigurationObject) throws -> Configuration {
        let d = Configuration()
        guard let image = try o.string("image"), !image.isEmpty else {
            throw ConfigurationError(.invalidValue, "\(o.source): '\(o.path).image' is required for KubernetesProvider (the worker container image)")
        }
        var c = Configuration(
            label: try o.string("label") ?? d.label,
            namespace: try o.string("namespace"),
            image: image,
            imagePullPolicy: try o.choice("image_pull_policy", ["Always", "IfNotPresent", "Never"]),
            podName: try o.string("pod_name") ?? d.podName,
            runName: try o.string("run_name"),
            initMem: try quantity(o, "init_mem") ?? d.initMem,
            maxMem: try quantity(o, "max_mem") ?? d.maxMem,
            initCPU: try o.double("init_cpu") ?? d.initCPU,
            maxCPU: try o.double("max_cpu") ?? d.maxCPU,
            extraRequests: try stringMap(o, "extra_requests"),
            extraLimits: try stringMap(o, "extra_limits"),
            nodesPerBlock: try o.int("nodes_per_block", minimum: 1) ?? d.nodesPerBlock,
            initBlocks: try o.int("init_blocks", minimum: 0) ?? d.initBlocks,
            minBlocks: try o.int("min_blocks", minimum: 0) ?? d.minBlocks,
            maxBlocks: try o.int("max_blocks", minimum: 0) ?? d.maxBlocks,
            parallelism: try o.double("parallelism") ?? d.parallelism,
            annotations: try stringMap(o, "annotations"),
            labels: try stringMap(o, "labels"),
            serviceAccountName: try o.string("service_account_name"),
            imagePullSecret: try o.string("secret"),
            workerInit: try o.string("worker_init"),
            environment: try stringMap(o, "environment"),
            nodeSelector: try stringMap(o, "node_selector"),
            runAsUser: try o.int("user_id", minimum: 0),
            runAsGroup: try o.int("group_id", minimum: 0),
            runAsNonRoot: try o.bool("run_as_non_root"),
            fsGroup: try o.int("fs_group", minimum: 0),
            ownerReferenceToLeader: try o.bool("owner_reference") ?? d.ownerReferenceToLeader,
            deleteGracePeriod: try o.int("delete_grace_period", minimum: 0) ?? d.deleteGracePeriod,
            deleteTimeout: try o.double("delete_timeout") ?? d.deleteTimeout,
            orphanPolicy: try o.choice("orphan_policy", Configuration.OrphanPolicy.allCases.map(\.rawValue)).flatMap {
                Configuration.OrphanPolicy(rawValue: $0)
            } ?? d.orphanPolicy,
            watch: try o.bool("watch") ?? d.watch
        )
        c.persistentVolumes = try persistentVolumes(o)
        for t in try o.objects("tolerations") ?? [] {
            c.tolerations.append(
                Toleration(
                    key: try t.string("key"), operator: try t.choice("operator", ["Exists", "Equal"]), value: try t.string("value"),
                    effect: try t.choice("effect", ["NoSchedule", "PreferNoSchedule", "NoExecute"]), tolerationSeconds: try t.int("toleration_seconds")
                )
            )
            try t.finish()
        }
        guard !c.podName.isEmpty else { throw ConfigurationError(.invalidValue, "\(o.source): '\(o.path).pod_name' must not be empty") }
        return c
    }

    private static func stringMap(_ o: ConfigurationObject, _ key: String) throws -> [String: String] {
        guard let value = o.value(key) else { return [:] }
        guard case .object(let entries) = value else {
            throw ConfigurationError(.invalidValue, "\(o.source): '\(o.path).\(key)' must be an object of strings")
        }
        var result: [String: String] = [:]
        for (k, v) in entries {
            switch v {
            case .string(let s): result[k] = s
            case .number(let n): result[k] = n == n.rounded() ? String(Int(n)) : String(n)
            case .bool(let b): result[k] = b ? "true" : "false"
            default: throw ConfigurationError(.invalidValue, "\(o.source): '\(o.path).\(key).\(k)' must be a string")
            }
        }
        return result
    }

    /// A memory quantity such as `"2Gi"` or `"500M"` (checked, so a typo fails at load, not at pod creation).
    private static func quantity(_ o: ConfigurationObject, _ key: String) throws -> String? {
        guard let text = try o.string(key) else { return nil }
        let suffixes = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E", ""]
        let ok = suffixes.contains { s in
            text.hasSuffix(s) && !text.dropLast(s.count).isEmpty && Double(text.dropLast(s.count)) != nil
        }
        guard ok else {
            throw ConfigurationError(.invalidValue, "\(o.source): '\(o.path).\(key)' is '\(text)', not a Kubernetes quantity such as \"2Gi\" or \"500Mi\"")
        }
        return text
    }

    private static func persistentVolumes(_ o: ConfigurationObject) throws -> [Configuration.PersistentVolume] {
        guard let value = o.value("persistent_volumes") else { return [] }
        let bad = ConfigurationError(
            .invalidValue,
            "\(o.source): '\(o.path).persistent_volumes' must be a list of [\"claim\", \"/mount/path\"] pairs or {\"claim_name\", \"mount_path\"} objects"
        )
        guard case .array(let items) = value else { throw bad }
        return try items.enumerated().map { index, item in
            switch item {
            case .array(let pair):
                guard pair.count == 2, case .string(let claim) = pair[0], case .string(let mount) = pair[1] else { throw bad }
                return .init(claimName: claim, mountPath: mount)
            case .object:
                let entry = try ConfigurationObject(item, source: o.source, path: "\(o.path).persistent_volumes[\(index)]")
                guard let claim = try entry.string("claim_name"), let mount = try entry.string("mount_path") else { throw bad }
                let volume = Configuration.PersistentVolume(claimName: claim, mountPath: mount, readOnly: try entry.bool("read_only") ?? false)
                try entry.finish()
                return volume
            default:
                throw bad
            }
        }
    }
}
