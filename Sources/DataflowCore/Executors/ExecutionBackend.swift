/// Something that runs tasks for the kernel: in this process, or on workers elsewhere (Parsl's executors).
///
/// The kernel hands each ready try to ``submit(_:)``; the backend reports back through the request's
/// ``TaskSink``: once when the try starts running (optional) and exactly once when it ends. Backends are
/// chosen per app by ``label``.
public protocol ExecutionBackend: AnyObject, Sendable {
    /// The label apps use to pin themselves to this backend (Parsl `label`).
    var label: String { get }
    /// Starts the backend (worker loops, listeners, initial blocks). Called once by the kernel, with the
    /// apps it will be asked to run (remote backends check that workers have the same ones).
    func start(runDirectory: String, apps: AppRegistry) async throws
    /// Queues one try. Must not block; must eventually call `request.sink.taskFinished` exactly once.
    func submit(_ request: TaskRequest)
    /// Tries submitted and not yet finished (Parsl `outstanding`), for scaling and progress.
    var outstanding: Int { get }
    /// Stops the backend. Queued tries that never ran are finished with a `cancelled` error.
    func shutdown() async
}

/// One try of a task, as handed to an ``ExecutionBackend``. A class: requests pass through queues, and
/// one reference is cheaper to move than their fields.
public final class TaskRequest: Sendable {
    /// The task's id in this run, from 0 (Parsl `task_id`).
    public let taskID: Int
    /// Which try of the task this is, from 0 (Parsl `try_id`).
    public let tryID: Int
    /// The app to run, with its options and input/output codecs.
    public let app: RegisteredApp
    /// The resolved input value (dependencies already replaced by their outputs).
    public let input: any Sendable
    /// This run's directory, `<runDirectory>/NNN`, which the app sees in its ``TaskContext``.
    public let runDirectory: String
    /// The app's walltime for one try, if any.
    public var walltime: Duration? { app.options.walltime }
    /// Where to report progress and the outcome.
    public let sink: any TaskSink
    /// The kernel's own bookkeeping for this task, opaque to backends.
    package let token: any AnyObject & Sendable

    package init(
        taskID: Int,
        tryID: Int,
        app: RegisteredApp,
        input: any Sendable,
        runDirectory: String,
        sink: any TaskSink,
        token: any AnyObject & Sendable
    ) {
        self.taskID = taskID
        self.tryID = tryID
        self.app = app
        self.input = input
        self.runDirectory = runDirectory
        self.sink = sink
        self.token = token
    }

    /// The context an app body sees when this try runs at `location`.
    public func context(location: String) -> TaskContext {
        TaskContext(taskID: taskID, tryID: tryID, runDirectory: runDirectory, location: location)
    }
}

/// How a try ended.
public struct TaskOutcome: Sendable {
    /// The app's output, or the error it threw (or a backend error such as worker loss).
    public var result: Result<any Sendable, any Error>
    /// Where the try ran, e.g. "local" or "worker 3 on host-a (block 0)".
    public var location: String?

    /// An outcome with the try's `result` and where it ran (`nil` if it never ran).
    public init(result: Result<any Sendable, any Error>, location: String?) {
        self.result = result
        self.location = location
    }
}

/// Receives progress and outcomes of tries from backends; the kernel is the sink.
public protocol TaskSink: AnyObject, Sendable {
    /// The try has started running at `location` (monitoring state `running`).
    func taskRunning(_ request: TaskRequest, location: String)
    /// The try has ended; called exactly once per submitted request.
    func taskFinished(_ request: TaskRequest, _ outcome: TaskOutcome)
}

/// A remote try was lost with its worker: the process crashed, the connection broke, or it stopped
/// heartbeating. The kernel reports it as ``TaskError/Code/workerLost`` and retries it if retries are left.
public struct WorkerLostError: Error, Sendable, CustomStringConvertible {
    /// The id of the task whose try was lost.
    public var taskID: Int
    /// The name of that task's app.
    public var appName: String
    /// The worker, e.g. "worker 0.host.123.1 on host (block 0)".
    public var location: String
    /// Why the worker was declared lost, e.g. a closed connection or missed heartbeats.
    public var reason: String

    /// An error for the try of task `taskID` lost on the worker at `location`, for `reason`.
    public init(taskID: Int, appName: String, location: String, reason: String) {
        self.taskID = taskID
        self.appName = appName
        self.location = location
        self.reason = reason
    }

    public var description: String {
        "worker lost while running task \(taskID) (app \(appName)): \(location): \(reason)"
    }
}

/// Something a remote backend reports besides task outcomes; the kernel records these in the monitoring
/// database's `node` and `block` tables.
public enum BackendEvent: Sendable {
    /// A worker registered, able to run `capacity` tries at once; recorded as an active `node` row.
    case workerConnected(workerID: String, hostname: String, blockID: String, capacity: Int)
    /// A worker disconnected or stopped heartbeating; recorded as an inactive `node` row.
    case workerLost(workerID: String, hostname: String, blockID: String, reason: String)
    /// A block changed state (Parsl's job state names, e.g. "PENDING", "RUNNING", "SCALED_IN").
    case blockStatus(blockID: String, jobID: String?, state: String, reason: String?)
}

/// A backend that reports ``BackendEvent``s.
public protocol BackendEventSource: AnyObject, Sendable {
    /// Sets the one handler for this backend's events.
    func onBackendEvent(_ handler: @escaping @Sendable (BackendEvent) -> Void)
}
