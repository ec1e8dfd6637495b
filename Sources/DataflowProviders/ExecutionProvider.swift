import DataflowJSON

/// Where worker processes come from: local child processes, Kubernetes pods, batch jobs (Parsl's
/// `ExecutionProvider`, made async).
///
/// A provider starts and stops *blocks*. A block is one job of the provider that runs
/// ``BlockLimits/nodesPerBlock`` copies of the worker launch command. The ``BlockScaler`` decides
/// how many blocks to run and calls these methods; providers hold no scaling policy beyond the
/// limits they advertise.
public protocol ExecutionProvider: AnyObject, Sendable {
    /// Names the provider in logs and job names, e.g. `"local"` or `"kubernetes"`.
    var label: String { get }
    /// The block counts and parallelism this provider was configured with (Parsl reads them from the
    /// provider: `init_blocks`, `min_blocks`, `max_blocks`, `nodes_per_block`, `parallelism`).
    var blockLimits: BlockLimits { get }
    /// Whether a block may wait in the provider's queue (``JobState/pending``) for as long as the resource
    /// manager needs: a batch scheduler's queue wait is normal, so the scaler's connect timeout starts only when
    /// the job starts running. `false` (the default) counts pending time too: a pod that stays pending is
    /// usually stuck (an image that cannot be pulled).
    var blocksMayQueue: Bool { get }
    /// Starts one block running `command` (argv) with `environment` added to the provider's own;
    /// returns the provider's job id. Secrets travel in `environment`, never in `command`.
    func submit(command: [String], environment: [String: String], blockID: String) async throws -> String
    /// The current status of each job id. Unknown ids map to ``JobState/missing``.
    func status(jobIDs: [String]) async throws -> [String: JobStatus]
    /// Stops jobs and waits until they are gone (for local processes: SIGTERM to each process group, then
    /// SIGKILL after a grace period). Stopping a job that already ended is not an error.
    func cancel(jobIDs: [String]) async throws
    /// Called once when the executor shuts down, after the scaler cancelled every block it knows: removes
    /// whatever else the provider made (a run's Secret, jobs left over from cancels that timed out, jobs of
    /// earlier runs) and refuses further submissions. The default does nothing.
    func shutdown() async
}

extension ExecutionProvider {
    /// Nothing to clean up beyond the cancelled blocks.
    public func shutdown() async {}

    /// Pending time counts against the connect timeout.
    public var blocksMayQueue: Bool { false }
}

/// Builds a provider from its JSON object in a configuration file (`"provider": {"class": ..., ...}` or a
/// named section such as `"local"` or `"kubernetes"`); it reads its keys with Parsl's option names and must
/// leave none unread.
public typealias ProviderFactory = (ConfigurationObject, ConfigurationFileContext) throws -> any ExecutionProvider

/// Block counts and parallelism with Parsl's names, as advertised by a provider.
public struct BlockLimits: Sendable, Codable, Hashable {
    /// Nodes (worker pool processes) per block (Parsl `nodes_per_block`). Default 1.
    public var nodesPerBlock: Int
    /// Blocks started on the first scaling tick (Parsl `init_blocks`). Default 1.
    public var initBlocks: Int
    /// Fewest blocks kept running (Parsl `min_blocks`). Default 0.
    public var minBlocks: Int
    /// Most blocks ever running (Parsl `max_blocks`). Default 1.
    public var maxBlocks: Int
    /// Ratio of worker slots to outstanding tasks the scaler aims for, 0...1 (Parsl `parallelism`). Default 1.
    public var parallelism: Double

    /// Creates limits; values are taken as given (providers clamp them in their own configurations).
    public init(nodesPerBlock: Int = 1, initBlocks: Int = 1, minBlocks: Int = 0, maxBlocks: Int = 1, parallelism: Double = 1) {
        self.nodesPerBlock = nodesPerBlock
        self.initBlocks = initBlocks
        self.minBlocks = minBlocks
        self.maxBlocks = maxBlocks
        self.parallelism = parallelism
    }
}
