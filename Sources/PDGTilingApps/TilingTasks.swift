import DataflowCore
import Foundation
import PDGRasterization
import PDGTiling

/// One unit of work of the pipeline: a batch of items (input files or tiles) and the configuration to
/// apply. The configuration travels with every task, so workers need no shared `parameters/` directory.
///
/// `files` are the files the batch reads (``TilingFiles`` lists them per step): the runtime fingerprints them
/// into the task's memo key, so a batch whose inputs changed runs again and one whose inputs did not is reused.
public struct TilingBatch<Item: Codable & Sendable & Hashable>: Codable, Sendable, Hashable, DeclaresFiles {
    /// The PDG configuration, with paths already resolved.
    public var configuration: WorkflowConfiguration
    /// What to process, in a deterministic order (so that a resumed run makes the same batches and finds
    /// them in its checkpoint).
    public var items: [Item]
    /// The files the batch reads, sorted.
    public var files: [String]

    public init(configuration: WorkflowConfiguration, items: [Item], files: [String] = []) {
        self.configuration = configuration
        self.items = items
        self.files = files
    }

    /// ``files`` as the runtime's declared inputs.
    public var inputFiles: [DataFile] { files.map(DataFile.init) }
}

/// A batch of tiles of one zoom level to render as web tiles, with the level's value ranges (computed once
/// by the leader from every tile of the level, so neighbouring tiles share their colours).
public struct WebTileBatch: Codable, Sendable, Hashable, DeclaresFiles {
    public var configuration: WorkflowConfiguration
    public var items: [TileIndex]
    public var ranges: ZoomValueRanges

    public init(configuration: WorkflowConfiguration, items: [TileIndex], ranges: ZoomValueRanges) {
        self.configuration = configuration
        self.items = items
        self.ranges = ranges
    }

    /// The GeoTIFFs the batch renders.
    public var inputFiles: [DataFile] { TilingFiles.geotiffs(configuration, items).map(DataFile.init) }
}

/// What a batch task did: a result per item that worked, and the items that failed with their errors.
/// A bad item never fails the batch; the run reports it and goes on.
///
/// `written` lists the files the batch wrote: the runtime records their fingerprints with the checkpointed
/// result and reuses it only while they are all still there, unchanged.
public struct TilingBatchResult<Output: Codable & Sendable & Hashable>: Codable, Sendable, Hashable, ProducesFiles,
    ReportsPartialFailures
{
    public var outputs: [Output]
    public var failures: [ItemFailure]
    /// The files written by the items that worked.
    public var written: [String]

    public init(outputs: [Output] = [], failures: [ItemFailure] = [], written: [String] = []) {
        self.outputs = outputs
        self.failures = failures
        self.written = written
    }

    /// ``written`` as the runtime's produced files.
    public var producedFiles: [DataFile] { written.map(DataFile.init) }

    /// ``failures`` for the runtime's monitoring, so `viz-workflow status` lists them: the input file or the
    /// tile's output as the item, the step and error as the message.
    public var partialFailures: [PartialFailure] {
        failures.map { PartialFailure(item: $0.path, message: "[\($0.step.rawValue)] \($0.message)") }
    }
}

/// An input file or tile that could not be processed, and why: the pipeline's one failure type, shared with the
/// in-process runners.
public typealias ItemFailure = PipelineFailure
