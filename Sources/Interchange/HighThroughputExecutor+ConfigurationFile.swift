import Dataflow
import Providers
import WireProtocol
import Worker

extension HighThroughputExecutor {
    /// Builds a provider from its JSON object (`"provider": { "class": "LocalProvider", ... }`).
    public typealias ProviderFactory = (ConfigurationObject, DataFlowKernel.Configuration.FileContext) throws -> any ExecutionProvider

    /// The provider classes known here: `LocalProvider`.
    public static var builtInProviders: [String: ProviderFactory] {
        [
            "LocalProvider": { object, context in
                let d = LocalProvider.Configuration()
                return LocalProvider(
                    configuration: .init(
                        label: try object.string("label") ?? d.label,
                        nodesPerBlock: try object.int("nodes_per_block", minimum: 1) ?? d.nodesPerBlock,
                        initBlocks: try object.int("init_blocks", minimum: 0) ?? d.initBlocks,
                        minBlocks: try object.int("min_blocks", minimum: 0) ?? d.minBlocks,
                        maxBlocks: try object.int("max_blocks", minimum: 0) ?? d.maxBlocks,
                        parallelism: try object.double("parallelism") ?? d.parallelism,
                        workerInit: try object.string("worker_init"),
                        logDirectory: try object.string("log_directory") ?? "\(context.runDirectory)/local",
                        cancelGracePeriod: try object.double("cancel_grace_period") ?? d.cancelGracePeriod
                    )
                )
            }
        ]
    }

    /// Command-line settings that win over the file (`viz-workflow run --workers/--address/--provider`).
    public struct Overrides: Sendable, Hashable {
        /// Replaces `max_workers_per_node`.
        public var maxWorkersPerNode: Int?
        /// Replaces `worker_address`.
        public var workerAddress: String?
        /// Replaces `address` (where the interchange listens).
        public var listenAddress: String?
        /// Picks a provider by short name: `local` is `LocalProvider`, `kubernetes` is `KubernetesProvider`
        /// (its settings come from the file's `provider` object of that class, or a `kubernetes` object).
        public var provider: String?

        public init(maxWorkersPerNode: Int? = nil, workerAddress: String? = nil, provider: String? = nil) {
            self.maxWorkersPerNode = maxWorkersPerNode
            self.workerAddress = workerAddress
            self.provider = provider
        }
    }

    /// The factory that reads `{"class": "HighThroughputExecutor", ...}` with Parsl's option names, for
    /// ``DataFlowKernel/Configuration/load(path:executorFactories:allowing:)``.
    public static func configurationFactory(
        providers: [String: ProviderFactory] = builtInProviders,
        overrides: Overrides = Overrides()
    ) -> DataFlowKernel.Configuration.ExecutorFactory {
        { object, context in
            let d = Configuration()
            var c = Configuration()
            c.label = try object.string("label") ?? d.label
            c.address = try object.string("address") ?? d.address
            c.port = try object.int("worker_port", minimum: 0) ?? d.port
            c.workerAddress = try object.string("worker_address")
            c.maxWorkersPerNode = try object.int("max_workers_per_node", minimum: 1) ?? d.maxWorkersPerNode
            c.coresPerWorker = try object.double("cores_per_worker") ?? d.coresPerWorker
            c.prefetchCapacity = try object.int("prefetch_capacity", minimum: 0) ?? d.prefetchCapacity
            if let s = try object.double("heartbeat_period") { c.heartbeatPeriod = .milliseconds(Int(s * 1000)) }
            if let s = try object.double("heartbeat_threshold") { c.heartbeatThreshold = .milliseconds(Int(s * 1000)) }
            if let isolation = try object.choice("worker_isolation", WorkerService.Configuration.Isolation.allCases.map(\.rawValue)) {
                c.isolation = .init(rawValue: isolation)!
            }
            if let command = try object.strings("worker_command") { c.workerCommand = command }
            if let strategy = try object.choice("strategy", BlockScalingStrategy.Kind.allCases.map(\.rawValue)) {
                c.strategy = .init(rawValue: strategy)!
            }
            c.maxIdletime = try object.double("max_idletime") ?? d.maxIdletime
            if let s = try object.double("strategy_period") { c.strategyPeriod = .milliseconds(Int(s * 1000)) }
            if let s = try object.double("drain_timeout") { c.drainTimeout = .milliseconds(Int(s * 1000)) }
            if let n = try object.int("max_frame_bytes", minimum: 1024) { c.codec.maxFrameSize = n }
            // Parsl's `block_error_handler` (false: wait for ever) and the threshold its default handler uses.
            c.blockErrorThreshold = try object.int("block_error_threshold", minimum: 1) ?? d.blockErrorThreshold
            if try object.bool("block_error_handler") == false { c.blockErrorThreshold = nil }
            guard c.heartbeatThreshold > c.heartbeatPeriod else {
                throw DataflowError(.invalidConfiguration, "\(object.source): '\(object.path).heartbeat_threshold' must be longer than heartbeat_period")
            }
            if let n = overrides.maxWorkersPerNode { c.maxWorkersPerNode = n }
            if let a = overrides.workerAddress { c.workerAddress = a }
            if let a = overrides.listenAddress { c.address = a }
            // The provider: `provider` (any class), or the named sections `local` and `kubernetes`, of which
            // `--provider` picks one (the default stays local).
            let generic = try object.object("provider")
            let named = ["local": try object.object("local"), "kubernetes": try object.object("kubernetes")]
            let genericClass = try generic?.string("class") ?? "LocalProvider"
            let className: String
            let chosen: ConfigurationObject?
            switch overrides.provider {
            case nil:
                className = generic != nil ? genericClass : "LocalProvider"
                chosen = generic ?? named["local"] ?? nil
            case "local"?, "kubernetes"?:
                className = overrides.provider == "local" ? "LocalProvider" : "KubernetesProvider"
                chosen = named[overrides.provider!] ?? (genericClass == className ? generic : nil)
            case let other?:
                throw DataflowError(.invalidConfiguration, "--provider must be local or kubernetes, not '\(other)'")
            }
            guard let factory = providers[className] else {
                throw DataflowError(
                    .invalidConfiguration,
                    "\(object.source): provider class '\(className)' is not available; known providers: \(providers.keys.sorted().joined(separator: ", "))"
                )
            }
            let settings = try chosen ?? ConfigurationObject(.object([:]), source: object.source, path: "\(object.path).provider")
            _ = try settings.string("class")
            let provider = try factory(settings, context)
            try settings.finish()
            for section in [generic] + Array(named.values) where section !== chosen { section?.allowAll() }
            return HighThroughputExecutor(configuration: c, provider: provider)
        }
    }
}
