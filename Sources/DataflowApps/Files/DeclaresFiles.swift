/// An app input that names the files its task reads and writes (Parsl's `inputs=` and `outputs=`).
///
/// Conform an app's `Input` type to declare them; both lists default to empty, and both are computed from the
/// input alone, so the leader and the worker agree on them.
///
/// - Input files are fingerprinted into the task's memo key (size and modification time, or a content hash
///   with ``FileFingerprint/Mode/contentHash``): a cacheable task whose input file changed runs again.
/// - Output files must exist when the body returns, or the task fails with ``MissingOutputs`` (Parsl's
///   `MissingOutputs`). A checkpointed result is reused only while every output file still has the fingerprint
///   it had when the task finished. Each output file is also a future: ``AppFuture/outputs``.
///
/// ```swift
/// struct Sort: Codable, Sendable, DeclaresFiles {
///     var source: DataFile
///     var sorted: DataFile
///     var inputFiles: [DataFile] { [source] }
///     var outputFiles: [DataFile] { [sorted] }
/// }
/// ```
public protocol DeclaresFiles {
    /// The files the task reads.
    var inputFiles: [DataFile] { get }
    /// The files the task must write.
    var outputFiles: [DataFile] { get }
}

extension DeclaresFiles {
    /// No input files.
    public var inputFiles: [DataFile] { [] }
    /// No output files.
    public var outputFiles: [DataFile] { [] }
}
