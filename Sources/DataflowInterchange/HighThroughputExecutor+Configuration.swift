import DataflowProviders
import DataflowWireProtocol
import Foundation

extension HighThroughputExecutor.Configuration {
    /// The worker options this configuration gives its workers, for a leader at `host:port`: what the
    /// executor appends to ``workerCommand`` for each block (with its block id), available before the
    /// executor starts, e.g. to preview a worker pod or to start workers by hand. The secret is not part
    /// of the arguments; it travels in the environment.
    public func workerConfiguration(host: String, port: Int, blockID: String = "0", secret: String = "") -> WorkerConfiguration {
        WorkerConfiguration(
            host: host,
            port: port,
            blockID: blockID,
            maxWorkers: maxWorkersPerNode,
            coresPerWorker: coresPerWorker,
            prefetch: prefetchCapacity,
            isolation: isolation,
            connectTimeout: .seconds(max(30, Int(heartbeatThreshold.components.seconds))),
            encrypted: encrypted,
            secret: secret
        )
    }
}

extension HighThroughputExecutor {
    /// Options with Parsl's `HighThroughputExecutor` names.
    public struct Configuration: Sendable {
        /// The label apps pin to. Default `"htex"`.
        public var label: String
        /// Address the interchange listens on (Parsl `address`/`loopback_address`). Default `127.0.0.1`;
        /// use `0.0.0.0` when workers run on other machines.
        public var address: String
        /// Port the interchange listens on; 0 picks a free one (Parsl `worker_port`). Default 0.
        public var port: Int
        /// The address workers dial; `nil` means ``address`` (or this host's name when that is `0.0.0.0`).
        public var workerAddress: String?
        /// Tasks each worker node runs at once (Parsl `max_workers_per_node`). Default: the core count.
        public var maxWorkersPerNode: Int
        /// Cores per task (Parsl `cores_per_worker`). Default 1.
        public var coresPerWorker: Double
        /// Extra tries each worker slot holds ready (Parsl `prefetch_capacity`). Default 1.
        public var prefetchCapacity: Int
        /// Seconds between heartbeats, both ways (Parsl `heartbeat_period`). Default 30.
        public var heartbeatPeriod: Duration
        /// Silence after which a worker is declared lost, and after which workers leave a silent leader
        /// (Parsl `heartbeat_threshold`). Default 120 s.
        public var heartbeatThreshold: Duration
        /// Whether worker slots are separate processes (crash isolation). Default `.process`.
        public var isolation: WorkerConfiguration.Isolation
        /// argv that starts a worker in this binary; the executor appends the worker options. Default: this
        /// executable followed by `worker`.
        public var workerCommand: [String]
        /// The block-scaling strategy and periods; block counts come from the provider.
        public var strategy: BlockScalingStrategy.Kind
        /// Seconds of idleness before idle blocks are scaled in (Parsl `max_idletime`). Default 120.
        public var maxIdletime: Double
        /// Time between scaling decisions (Parsl `strategy_period`). Default 5 s; the first is immediate.
        public var strategyPeriod: Duration
        /// How long scale-in waits for a draining block's tasks before cancelling it anyway. Default 10 min.
        public var drainTimeout: Duration
        /// Frame size limit and payload compression.
        public var codec: WireCodec.Configuration
        /// Blocks in a row that may fail before any worker connected before every task fails with a
        /// ``BlockFailureError`` (Parsl `block_error_handler`, whose default handler gives up at 3); `nil`
        /// waits for ever. Default 3.
        public var blockErrorThreshold: Int?
        /// Whether leader–worker traffic is encrypted and authenticated with TLS keyed by the run secret
        /// (Parsl `encrypted`). Default `true`; turn it off only on a trusted network or to measure.
        public var encrypted: Bool
        /// How long a new connection may take to authenticate before it is closed. Default 10 s.
        public var handshakeTimeout: Duration
        /// Connections still authenticating at once, at most; one more closes the oldest. Default 64.
        public var maxUnauthenticatedConnections: Int

        /// Options with Parsl's defaults; every argument defaults as its property says. Counts below their
        /// minimum are raised (workers per node and connections to 1, prefetch to 0, error threshold to 1).
        public init(
            label: String = "htex",
            address: String = "127.0.0.1",
            port: Int = 0,
            workerAddress: String? = nil,
            maxWorkersPerNode: Int = ProcessInfo.processInfo.activeProcessorCount,
            coresPerWorker: Double = 1,
            prefetchCapacity: Int = 1,
            heartbeatPeriod: Duration = .seconds(30),
            heartbeatThreshold: Duration = .seconds(120),
            isolation: WorkerConfiguration.Isolation = .process,
            workerCommand: [String] = HighThroughputExecutor.defaultWorkerCommand,
            strategy: BlockScalingStrategy.Kind = .simple,
            maxIdletime: Double = 120,
            strategyPeriod: Duration = .seconds(5),
            drainTimeout: Duration = .seconds(600),
            codec: WireCodec.Configuration = WireCodec.Configuration(),
            blockErrorThreshold: Int? = 3,
            encrypted: Bool = true,
            handshakeTimeout: Duration = .seconds(10),
            maxUnauthenticatedConnections: Int = 64
        ) {
            self.label = label
            self.address = address
            self.port = port
            self.workerAddress = workerAddress
            self.maxWorkersPerNode = max(1, maxWorkersPerNode)
            self.coresPerWorker = coresPerWorker
            self.prefetchCapacity = max(0, prefetchCapacity)
            self.heartbeatPeriod = heartbeatPeriod
            self.heartbeatThreshold = heartbeatThreshold
            self.isolation = isolation
            self.workerCommand = workerCommand
            self.strategy = strategy
            self.maxIdletime = maxIdletime
            self.strategyPeriod = strategyPeriod
            self.drainTimeout = drainTimeout
            self.codec = codec
            self.blockErrorThreshold = blockErrorThreshold.map { max(1, $0) }
            self.encrypted = encrypted
            self.handshakeTimeout = handshakeTimeout
            self.maxUnauthenticatedConnections = max(1, maxUnauthenticatedConnections)
        }
    }

    /// This executable followed by `worker`.
    public static var defaultWorkerCommand: [String] {
        [(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0], "worker"]
    }
}
