/// Why a task's future failed: the app threw, a dependency failed, the walltime ran out, or the worker
/// running it was lost. Says which task, app and try failed and where; ``underlying`` keeps the app's own
/// error value (cast it back to your error type).
public struct TaskError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The app's body threw ``TaskError/underlying``.
        public static let appFailed = Code("appFailed")
        /// A dependency failed, so the task never ran (Parsl `dep_fail`).
        public static let dependencyFailed = Code("dependencyFailed")
        /// The try ran past the app's walltime and was cancelled.
        public static let walltimeExceeded = Code("walltimeExceeded")
        /// The worker running the try disconnected, crashed or stopped heartbeating.
        public static let workerLost = Code("workerLost")
        /// An app launched by a join app failed.
        public static let joinFailed = Code("joinFailed")
        /// The kernel shut down before the task could finish.
        public static let cancelled = Code("cancelled")
        /// The task could not be prepared (building its input from dependencies, encoding it, choosing an executor).
        public static let launchFailed = Code("launchFailed")
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong, for people (e.g. the app error's description).
    public var message: String
    /// The failed task's id in this run, from 0 (Parsl `task_id`).
    public var taskID: Int
    /// The name the failed task's app was registered under.
    public var appName: String
    /// The try that failed, from 0.
    public var tryID: Int
    /// Where the try ran ("local", or a remote worker's description), if it ran.
    public var location: String?
    /// The error the app threw, or the dependency's error for `dependencyFailed`.
    public var underlying: (any Error)?
    /// The ids of the failed dependencies, for `dependencyFailed`.
    public var failedDependencies: [Int]

    /// An error for try `tryID` of task `taskID`; `location`, `underlying` and `failedDependencies` default
    /// to none.
    public init(
        code: Code,
        message: String,
        taskID: Int,
        appName: String,
        tryID: Int,
        location: String? = nil,
        underlying: (any Error)? = nil,
        failedDependencies: [Int] = []
    ) {
        self.code = code
        self.message = message
        self.taskID = taskID
        self.appName = appName
        self.tryID = tryID
        self.location = location
        self.underlying = underlying
        self.failedDependencies = failedDependencies
    }

    public var description: String {
        var text = "task \(taskID) (app \(appName), try \(tryID)"
        if let location { text += ", on \(location)" }
        text += ") \(code): \(message)"
        return text
    }
}
