/// What a running task knows about itself: handed to every app body by the executor that runs it.
public struct TaskContext: Sendable {
    /// The kernel's id of the task.
    public var taskID: Int
    /// The try number, starting at 0 (Parsl `try_id`).
    public var tryID: Int
    /// The run directory of the workflow; bash apps put their default stdout/stderr files under it.
    public var runDirectory: String
    /// Where the task runs, for error messages (e.g. "local" or a worker's hostname and id).
    public var location: String
    /// Set by the kernel for join apps: the kernel itself, as an opaque value (the Apps module does not
    /// know the kernel's type).
    public var kernel: (any Sendable)?

    /// Creates a context; `kernel` is only set for join apps running in the leader.
    public init(taskID: Int, tryID: Int, runDirectory: String, location: String, kernel: (any Sendable)? = nil) {
        self.taskID = taskID
        self.tryID = tryID
        self.runDirectory = runDirectory
        self.location = location
        self.kernel = kernel
    }
}
