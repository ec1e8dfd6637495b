import DataflowMonitoring
import Synchronization

extension DataFlowKernel {
    /// Runs once every dependency has settled: fails on a failed dependency, else builds the input, answers
    /// from the memo table when it can, and hands the first try to the executor (Parsl `launch_if_ready`).
    func launch(_ record: TaskRecord) {
        let failed = record.dependencies.compactMap { dependency in dependency.settledFailure.map { (dependency.taskID, $0) } }
        if let (directID, directCause) = failed.first {
            // Name the task that failed first, not the chain of dependents in between: otherwise each
            // dependent's message and error would nest the previous one, and a long chain would cost
            // quadratic memory and a deep release when the errors are freed.
            var firstID = directID
            var cause = directCause
            if let dependent = directCause as? TaskError, dependent.code == .dependencyFailed, let root = dependent.underlying {
                cause = root
                firstID = (root as? TaskError)?.taskID ?? directID
            }
            finish(
                record,
                .failure(
                    TaskError(
                        code: .dependencyFailed,
                        message: "dependency failure: task\(failed.count > 1 ? "s" : "") "
                            + failed.map { String($0.0) }.joined(separator: ", ")
                            + " failed; the first cause, from task \(firstID): \(cause)",
                        taskID: record.id,
                        appName: record.app.name,
                        tryID: 0,
                        underlying: cause,
                        failedDependencies: failed.map(\.0)
                    )
                ),
                state: .depFail
            )
            return
        }
        if state.withLock({ $0 }) == .shutDown {
            finish(record, .failure(taskError(record, code: .cancelled, "the kernel has shut down")), state: .failed)
            return
        }
        let input: any Sendable
        do {
            input = try record.makeInput!()
        } catch {
            finish(record, .failure(taskError(record, code: .launchFailed, "cannot build the input: \(error)", underlying: error)), state: .failed)
            return
        }
        record.makeInput = nil
        record.input = input

        if record.app.options.cacheable && configuration.appCache {
            do {
                let encodedInput = try record.app.encodeInput(input)
                if record.app.declaresFiles || record.app.producesFiles {
                    if memoizeWithFiles(record, input: input, encodedInput: encodedInput) { return }
                    dispatch(record)
                    return
                }
                let key = MemoKey(app: record.app.name, input: encodedInput)
                record.memoKey = key
                if let cached = memoTable[key] {
                    let output = try record.app.decodeOutput(cached)
                    finish(record, .success(output), state: .memoDone)
                    return
                }
            } catch {
                finish(
                    record, .failure(taskError(record, code: .launchFailed, "cannot encode the input for memoization: \(error)", underlying: error)),
                    state: .failed)
                return
            }
        }
        dispatch(record)
    }

    /// Hands the current try to its executor, or runs a join app here.
    func dispatch(_ record: TaskRecord) {
        let request = TaskRequest(
            taskID: record.id,
            tryID: record.tryID,
            app: record.app,
            input: record.input!,
            runDirectory: runDirectory,
            sink: self,
            token: record
        )
        if let monitoring {
            if record.submissionDeferred {
                // Launched as it was submitted: one event for both, at the submission's time.
                recordSubmission(record, launched: true)
            } else {
                monitoring.tryLaunched(
                    runID: runID, taskID: record.id, tryID: record.tryID, executor: record.executor?.label ?? "_parsl_internal",
                    time: Self.now())
            }
        }
        guard let executor = record.executor else {
            runJoin(request)
            return
        }
        counters.executing.wrappingAdd(1, ordering: .releasing)
        executor.submit(request)
    }

    /// A join app's body runs in the leader, where it can submit more apps and await them.
    private func runJoin(_ request: TaskRequest) {
        Task {
            var context = request.context(location: "leader")
            context.kernel = self
            taskRunning(request, location: "leader")
            if let monitoring {
                monitoring.taskState(runID: runID, taskID: request.taskID, tryID: request.tryID, state: .joining, time: Self.now())
            }
            let result: Result<any Sendable, any Error>
            do { result = .success(try await request.app.invoke(request.input, context: context)) } catch { result = .failure(error) }
            taskFinished(request, TaskOutcome(result: result, location: "leader"))
        }
    }

    func taskError(_ record: TaskRecord, code: TaskError.Code, _ message: String, location: String? = nil, underlying: (any Error)? = nil) -> TaskError {
        TaskError(code: code, message: message, taskID: record.id, appName: record.app.name, tryID: record.tryID, location: location, underlying: underlying)
    }
}

extension DataFlowKernel: TaskSink {
    /// Records in monitoring that the try has started at `location` (Parsl state `running`).
    public func taskRunning(_ request: TaskRequest, location: String) {
        guard let monitoring else { return }
        monitoring.tryRunning(runID: runID, taskID: request.taskID, tryID: request.tryID, hostname: location, blockID: nil, time: Self.now())
    }

    /// Completes the task's future with the try's output, or classifies the failure as a ``TaskError`` and
    /// retries it while retries are left.
    public func taskFinished(_ request: TaskRequest, _ outcome: TaskOutcome) {
        let record = request.token as! TaskRecord
        if record.executor != nil { counters.executing.wrappingSubtract(1, ordering: .releasing) }
        switch outcome.result {
        case .success(let output):
            // Recorded with the task's end (`finish`): one monitoring event fewer per task.
            if monitoring != nil { record.returnedAt = Self.now() }
            succeed(record, output)
        case .failure(let error):
            let failure = classify(error, record: record, location: outcome.location)
            monitoring?.tryReturned(runID: runID, taskID: record.id, tryID: record.tryID, time: Self.now(), failure: failure.description)
            retryOrFail(record, failure)
        }
    }

    private func classify(_ error: any Error, record: TaskRecord, location: String?) -> TaskError {
        if var taskError = error as? TaskError {
            // An app that awaits another task's future rethrows that task's error: keep it, but say it
            // surfaced here (join apps report such failures as joinFailed).
            if taskError.taskID != record.id {
                let inner = taskError
                taskError = self.taskError(
                    record,
                    code: record.app.kind == .join ? .joinFailed : .appFailed,
                    "an app it waited for failed: \(inner)",
                    location: location,
                    underlying: inner
                )
            }
            return taskError
        }
        if let lost = error as? WorkerLostError {
            return taskError(record, code: .workerLost, lost.description, location: lost.location, underlying: lost)
        }
        if let appError = error as? AppError, appError.code == .walltimeExceeded {
            return taskError(record, code: .walltimeExceeded, appError.message, location: location, underlying: appError)
        }
        if let dataflowError = error as? DataflowError, dataflowError.code == .shutDown {
            return taskError(record, code: .cancelled, dataflowError.message, location: location, underlying: dataflowError)
        }
        if error is CancellationError {
            return taskError(record, code: .cancelled, "the try was cancelled", location: location, underlying: error)
        }
        return taskError(record, code: .appFailed, "\(error)", location: location, underlying: error)
    }

    private func retryOrFail(_ record: TaskRecord, _ failure: TaskError) {
        record.failCount += 1
        var retry = failure.code != .cancelled && record.app.kind != .join
        if retry {
            let decision = configuration.retryHandler?(failure) ?? .retry
            switch decision {
            case .retry: record.failCost += 1
            case .retryWithCost(let cost): record.failCost += cost
            case .fail: retry = false
            }
            retry = retry && record.failCost <= Double(configuration.retries) && state.withLock({ $0 }) == .running
        }
        guard retry else {
            finish(record, .failure(failure), state: .failed)
            return
        }
        counters.retried.wrappingAdd(1, ordering: .relaxed)
        monitoring?.taskState(runID: runID, taskID: record.id, tryID: record.tryID, state: .failRetryable, time: Self.now())
        record.tryID += 1
        dispatch(record)
    }

    private func succeed(_ record: TaskRecord, _ output: any Sendable) {
        guard let key = record.memoKey else {
            finish(record, .success(output), state: .execDone)
            return
        }
        var encoded: [UInt8]
        do {
            encoded = try record.app.encodeOutput(output)
            if record.app.declaresFiles || record.app.producesFiles {
                encoded = try fileRecord(record, output: output, encodedOutput: encoded)
            }
        } catch {
            finish(record, .failure(taskError(record, code: .appFailed, "cannot encode the output: \(error)", underlying: error)), state: .failed)
            return
        }
        memoTable.store(encoded, for: key)
        switch configuration.checkpointMode {
        case .taskExit?:
            // Complete only once durable (see `finishDurable`): whatever a dependent or the user saw survives a
            // crash.
            record.durableOutput = output
            checkpointWriter!.append(key: key, output: encoded, completing: record)
        case .periodic?, .dfkExit?, .manual?:
            deferredCheckpoints.withLock { $0.append((key, encoded)) }
            finish(record, .success(output), state: .execDone)
        case nil:
            finish(record, .success(output), state: .execDone)
        }
    }

    /// Completes tasks whose checkpoint records are durable (on the checkpoint writer's thread).
    func finishDurable(_ records: [TaskRecord]) {
        for record in records {
            let output = record.durableOutput!
            record.durableOutput = nil
            finish(record, .success(output), state: .execDone)
        }
    }

    /// Settles the task's future, records its final state and counts it out.
    func finish(_ record: TaskRecord, _ result: Result<any Sendable, any Error>, state final: TaskState) {
        switch final {
        case .execDone: counters.completed.wrappingAdd(1, ordering: .relaxed)
        case .memoDone: counters.memoized.wrappingAdd(1, ordering: .relaxed)
        case .depFail: counters.dependencyFailed.wrappingAdd(1, ordering: .relaxed)
        default: counters.failed.wrappingAdd(1, ordering: .relaxed)
        }
        if let monitoring {
            if record.submissionDeferred { recordSubmission(record, launched: false) }
            var failureText: String?
            if case .failure(let error) = result { failureText = "\(error)" }
            monitoring.taskEnded(
                runID: runID,
                taskID: record.id,
                time: Self.now(),
                failCount: record.failCount,
                failCost: record.failCost,
                finalState: final,
                failure: failureText,
                returned: record.returnedAt
            )
            if record.app.reportsPartialFailures, case .success(let output) = result {
                for failure in record.app.partialFailures(of: output) {
                    monitoring.partialFailure(runID: runID, taskID: record.id, item: failure.item, message: failure.message, time: Self.now())
                }
            }
        }
        record.input = nil
        record.complete(result)
        if outstandingTasks.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            let waiters = drainWaiters.withLock { waiters in
                defer { waiters = [] }
                return waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }
}
