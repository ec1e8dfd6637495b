/// A file that a task writes, available once that task has succeeded (Parsl `DataFuture`).
///
/// ``AppFuture/outputs`` holds one for each ``DeclaresFiles/outputFiles`` entry of a call's input. Pass it to
/// ``DataFlowKernel/submit(_:_:after:)`` (or any `after:` form) to run an app only once the file exists.
public typealias DataFuture = AppFuture<DataFile>

extension AppFuture {
    /// A future of `file` that completes when this task does: with the file when the task succeeds, with the
    /// task's error when it fails.
    func dataFuture(for file: DataFile) -> DataFuture {
        let future = DataFuture(taskID: taskID, appName: appName)
        whenDoneErased { result in future.complete(result.map { _ in file }) }
        return future
    }
}
