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

    /// The factory that reads `{"class": "HighThroughputExecutor", ...}` with Parsl's option names, for
    /// ``DataFlowKernel/Configuration/load(path:executorFactories:allowing:)``.
    public static func configurationFactory(providers: [String: ProviderFactory] = builtInProviders) -> DataFlowKernel.Configuration.ExecutorFactory {
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
            guard c.heartbeatThreshold > c.heartbeatPeriod else {
                throw DataflowError(.invalidConfiguration, "\(object.source): '\(object.path).heartbeat_threshold' must be longer than heartbeat_period")
            }
            let provider: any ExecutionProvider
            if let providerObject = try object.object("provider") {
                let className = try providerObject.string("class") ?? "LocalProvider"
                guard let factory = providers[className] else {
                    throw DataflowError(
                        .invalidConfiguration,
                        "\(object.source): '\(providerObject.path).class' is '\(className)'; known providers: \(providers.keys.sorted().joined(separator: ", "))"
                    )
                }
                provider = try factory(providerObject, context)
                try providerObject.finish()
            } else {
                provider = LocalProvider(configuration: .init(logDirectory: "\(context.runDirectory)/local"))
            }
            return HighThroughputExecutor(configuration: c, provider: provider)
        }
    }
}
