import Synchronization

/// The kernel's bookkeeping for one task (Parsl's task record). Its mutable fields are touched by one
/// thread at a time: the task's life is a sequence (wait for dependencies → launch → finish → maybe retry),
/// and each step is started by the end of the one before.
final class TaskRecord: @unchecked Sendable {
    let id: Int
    let app: RegisteredApp
    let executor: (any ExecutionBackend)?
    let dependencies: [any Dependency]
    let unfinishedDependencies: Atomic<Int>
    /// Builds the input from the finished dependencies; dropped after launch so that they can be freed.
    var makeInput: (@Sendable () throws -> any Sendable)?
    let complete: @Sendable (Result<any Sendable, any Error>) -> Void

    var input: (any Sendable)?
    /// The submission not yet recorded in monitoring, and when it happened: a task launched at once records
    /// it with its launch (see `DataFlowKernel.recordSubmission`).
    var submissionDeferred = false
    var submittedAt = 0.0
    /// The output of a succeeded try while its checkpoint record is being made durable (`task_exit`).
    var durableOutput: (any Sendable)?
    /// When the succeeded final try returned, for monitoring: recorded with the task's end, not on its own.
    var returnedAt: Double?
    var memoKey: MemoKey?
    /// For apps with declared files: the memo key without the input files' fingerprints, and those fingerprints.
    var inputKey: MemoKey?
    var inputFingerprints: [FileCheckpointRecord.RecordedFile] = []
    var tryID = 0
    var failCount = 0
    var failCost = 0.0

    init(
        id: Int,
        app: RegisteredApp,
        executor: (any ExecutionBackend)?,
        dependencies: [any Dependency],
        makeInput: @escaping @Sendable () throws -> any Sendable,
        complete: @escaping @Sendable (Result<any Sendable, any Error>) -> Void
    ) {
        self.id = id
        self.app = app
        self.executor = executor
        self.dependencies = dependencies
        self.unfinishedDependencies = Atomic(dependencies.count)
        self.makeInput = makeInput
        self.complete = complete
    }
}
