/// Blocks kept failing before any of their workers connected, so the executor gave up (Parsl's
/// `BadStateException` from its `block_error_handler`).
///
/// Raised for every task the executor held or is given afterwards: a run whose workers can never start
/// (a bad image, a `worker_init` that fails, a worker build the leader refuses, an address workers cannot
/// reach) ends with this error instead of waiting for ever. The message names each block and why it failed
/// (exit status and the last lines of its stderr for local processes, the pod's reason on Kubernetes).
public struct BlockFailureError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One block that failed before any of its workers connected.
    public struct FailedBlock: Sendable, Hashable, Codable {
        /// The scaler's block id.
        public var blockID: String
        /// The provider's job id, when submission got that far.
        public var jobID: String?
        /// Why it failed: the provider's status message, or the scaler's reason.
        public var reason: String

        /// Creates a failed-block entry.
        public init(blockID: String, jobID: String?, reason: String) {
            self.blockID = blockID
            self.jobID = jobID
            self.reason = reason
        }
    }

    /// The executor (or provider) label.
    public var label: String
    /// The failures that tripped the threshold, oldest first.
    public var blocks: [FailedBlock]

    /// Creates the error.
    public init(label: String, blocks: [FailedBlock]) {
        self.label = label
        self.blocks = blocks
    }

    public var description: String {
        var text = "\(label): \(blocks.count) block(s) in a row failed before any worker connected; no worker can run this run's tasks"
        for block in blocks {
            text += "\n  block \(block.blockID)" + (block.jobID.map { " (job \($0))" } ?? "") + ": "
            text += block.reason.split(whereSeparator: \.isNewline).joined(separator: "\n    ")
        }
        return text
    }
}
