/// One recorded fact, buffered in memory until the writer thread commits it.
///
/// A plain value: recording one costs an array append (plus retains of the strings passed in).
/// The common per-task cases are stored inline; rare, wide ones are `indirect` so they do not
/// widen every slot of the buffer.
enum MonitoringEvent: Sendable {
    case status(runID: String, taskID: Int, tryID: Int, state: TaskState, time: Double)
    case taskSubmitted(
        runID: String,
        taskID: Int,
        appName: String,
        memoize: Bool,
        /// Try 0 was launched on `executor` at `time` too (no `tryLaunched` of its own). Next to `memoize`,
        /// it takes no room: the slot's padding.
        launched: Bool,
        hashsum: String?,
        dependsOn: [Int],
        executor: String,
        time: Double
    )
    case taskEnded(
        runID: String,
        taskID: Int,
        time: Double,
        failCount: Int,
        failCost: Double,
        finalState: TaskState,
        failure: String?,
        /// When the final try returned, if it succeeded and its `tryReturned` was not recorded (folded in).
        returned: Double?
    )
    case tryLaunched(runID: String, taskID: Int, tryID: Int, executor: String, time: Double)
    case tryRunning(runID: String, taskID: Int, tryID: Int, hostname: String?, blockID: String?, time: Double)
    case tryReturned(runID: String, taskID: Int, tryID: Int, time: Double, failure: String?)
    indirect case workflowStarted(
        runID: String,
        workflowName: String,
        workflowVersion: String,
        runDirectory: String,
        time: Double
    )
    indirect case workflowEnded(runID: String, time: Double, tasksCompleted: Int, tasksFailed: Int)
    indirect case block(
        runID: String,
        blockID: String,
        executor: String,
        jobID: String?,
        status: String,
        reason: String?,
        time: Double
    )
    indirect case fileCheck(runID: String, taskID: Int, reason: String, path: String, time: Double)
    indirect case partialFailure(runID: String, taskID: Int, item: String, message: String, time: Double)
    indirect case node(
        runID: String,
        hostname: String,
        blockID: String?,
        workerID: String,
        workerCount: Int,
        active: Bool,
        time: Double
    )
}
