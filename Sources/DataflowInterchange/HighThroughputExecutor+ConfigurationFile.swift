import DataflowCore
import DataflowJSON
import DataflowProviders
import DataflowWireProtocol

extension HighThroughputExecutor {
    /// Builds a provider from its JSON object: see ``DataflowProviders/ProviderFactory``.
    public typealias ProviderFactory = DataflowProviders.ProviderFactory

    /// The provider classes known here: `LocalProvider`. Add `KubernetesProvider.configurationFactory()`
    /// (or your own) under its class name to make it available.
    public static var builtInProviders: [String: ProviderFactory] {
        ["LocalProvider": LocalProvider.configurationFactory()]
    }

    /// The class of each named provider section (`"local": {...}` beside `"kubernetes": {...}` in one
    /// executor object, so a user switches engines without editing the file).
    public static let providerSections: [String: String] = [
        "local": "LocalProvider", "kubernetes": "KubernetesProvider", "slurm": "SlurmProvider",
    ]

    /// Reads the executor's own keys of `{"class": "HighThroughputExecutor", ...}` (everything but the
    /// provider) with Parsl's option names: what ``configurationFactory(providers:providerSection:adjust:)``
    /// reads before it makes the provider, for tools that need the worker options without starting
    /// anything (a worker pod preview).
    public static func configuration(from object: ConfigurationObject) throws -> Configuration {
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
        if let isolation = try object.choice("worker_isolation", WorkerConfiguration.Isolation.allCases.map(\.rawValue)) {
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
        c.encrypted = try object.bool("encrypted") ?? d.encrypted
        if let s = try object.double("handshake_timeout") { c.handshakeTimeout = .milliseconds(Int(s * 1000)) }
        c.maxUnauthenticatedConnections = try object.int("max_unauthenticated_connections", minimum: 1) ?? d.maxUnauthenticatedConnections
        guard c.heartbeatThreshold > c.heartbeatPeriod else {
            throw ConfigurationError(.invalidValue, "\(object.source): '\(object.path).heartbeat_threshold' must be longer than heartbeat_period")
        }
        return c
    }

    /// The factory that reads `{"class": "HighThroughputExecutor", ...}` with Parsl's option names, for
    /// ``DataFlowKernel/Configuration/load(path:executorFactories:allowing:)``.
    ///
    /// The provider comes from the executor object's `provider` object (any class in `providers`), or from
    /// one of the named sections of ``providerSections``: `providerSection` picks one (say from a
    /// `--provider` option); `nil` takes `provider`, else `local`. `adjust` runs after the file was read and
    /// before the executor is made, for settings a program takes from elsewhere (its command line).
    public static func configurationFactory(
        providers: [String: ProviderFactory] = builtInProviders,
        providerSection: String? = nil,
        adjust: @escaping (inout Configuration) -> Void = { _ in }
    ) -> DataFlowKernel.Configuration.ExecutorFactory {
        { object, context in
            var c = try configuration(from: object)
            adjust(&c)

            let generic = try object.object("provider")
            var named: [String: ConfigurationObject] = [:]
            for name in providerSections.keys.sorted() { named[name] = try object.object(name) }
            let genericClass = try generic?.string("class") ?? "LocalProvider"
            let className: String
            let chosen: ConfigurationObject?
            switch providerSection {
            case nil:
                className = generic != nil ? genericClass : "LocalProvider"
                chosen = generic ?? named["local"]
            case let section? where providerSections[section] != nil:
                className = providerSections[section]!
                chosen = named[section] ?? (genericClass == className ? generic : nil)
            case let other?:
                throw ConfigurationError(
                    .invalidValue, "provider '\(other)' is not one of \(providerSections.keys.sorted().joined(separator: ", "))"
                )
            }
            guard let factory = providers[className] else {
                throw ConfigurationError(
                    .invalidValue,
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
