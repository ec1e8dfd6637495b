import Synchronization

extension DataFlowKernel {
    /// Calls `app` with `input` and returns its future at once.
    @discardableResult
    public func submit<Input, Output>(_ app: App<Input, Output>, _ input: Input) -> AppFuture<Output> {
        let future: AppFuture<Output> = submitTask(app.registered, dependencies: []) { input }
        if app.registered.declaresFiles { future.setOutputs(app.registered.outputFiles(of: input)) }
        return future
    }

    /// Calls `app` with `input` once every file in `files` has been written: each is a ``DataFuture`` of
    /// another call (Parsl: passing `DataFuture`s in `inputs=`). A failed writer fails this task as a
    /// dependency failure.
    ///
    /// ```swift
    /// let sorted = kernel.submit(sort, Sort(source: raw, sorted: DataFile("sorted.txt")))
    /// let counted = kernel.submit(count, Count(file: DataFile("sorted.txt")), after: sorted.outputs)
    /// ```
    @discardableResult
    public func submit<Input, Output>(_ app: App<Input, Output>, _ input: Input, after files: [DataFuture]) -> AppFuture<Output> {
        let future: AppFuture<Output> = submitTask(app.registered, dependencies: files) { input }
        if app.registered.declaresFiles { future.setOutputs(app.registered.outputFiles(of: input)) }
        return future
    }

    /// Calls `app` with the output of `dependency` once it has succeeded.
    @discardableResult
    public func submit<Input, Output>(_ app: App<Input, Output>, after dependency: AppFuture<Input>) -> AppFuture<Output> {
        submitTask(app.registered, dependencies: [dependency]) { try dependency.settledValue() }
    }

    /// Calls `app` with the outputs of all `futures`, in order, once every one has succeeded (a fan-in).
    @discardableResult
    public func submit<Element, Output>(
        _ app: App<[Element], Output>,
        gathering futures: [AppFuture<Element>]
    ) -> AppFuture<Output> {
        submitTask(app.registered, dependencies: futures) { try futures.map { try $0.settledValue() } }
    }

    /// Calls `app` with an input built from the outputs of several futures of any types, once every one has
    /// succeeded.
    ///
    /// ```swift
    /// let merged = kernel.submit(merge, after: tiles, summary) { tiles, summary in MergeInput(tiles, summary) }
    /// ```
    @discardableResult
    public func submit<Input, Output, each Dependency: Sendable>(
        _ app: App<Input, Output>,
        after dependencies: repeat AppFuture<each Dependency>,
        makeInput: @escaping @Sendable (repeat each Dependency) throws -> Input
    ) -> AppFuture<Output> {
        var all: [any DataflowCore.Dependency] = []
        for dependency in repeat each dependencies { all.append(dependency) }
        return submitTask(app.registered, dependencies: all) {
            try makeInput(repeat (each dependencies).settledValue())
        }
    }

    /// Creates the task record and future, and launches at once or when the last dependency settles.
    func submitTask<Output>(
        _ app: RegisteredApp,
        dependencies: [any Dependency],
        makeInput: @escaping @Sendable () throws -> any Sendable
    ) -> AppFuture<Output> {
        let id = nextTaskID.wrappingAdd(1, ordering: .relaxed).oldValue
        let future = AppFuture<Output>(taskID: id, appName: app.name)
        let executor: (any ExecutionBackend)? =
            app.kind == .join ? nil : (app.options.executors?.first.flatMap { executors[$0] } ?? defaultExecutor)
        let record = TaskRecord(
            id: id,
            app: app,
            executor: executor,
            dependencies: dependencies,
            makeInput: makeInput,
            // Only the app's own Output (or its decoded encoding) reaches here; `value` casts it back.
            complete: future.complete
        )
        outstandingTasks.wrappingAdd(1, ordering: .relaxed)
        if monitoring != nil {
            record.submittedAt = Self.now()
            record.submissionDeferred = true
            // A task launched now records its submission with its launch (`dispatch`), or with its end
            // (`finish`, e.g. from the memo table): one monitoring event instead of two.
            if !dependencies.isEmpty { recordSubmission(record, launched: false) }
        }
        if dependencies.isEmpty {
            launch(record)
            // Every path of `launch` dispatches or finishes; this only guards against one that does neither.
            if record.submissionDeferred { recordSubmission(record, launched: false) }
        } else {
            for dependency in dependencies {
                dependency.whenSettled { [self] in
                    if record.unfinishedDependencies.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                        // Iteratively, not recursively: a long chain of tasks that finish at once (cache
                        // hits, failed dependencies) must not nest one stack frame set per task.
                        CompletionTrampoline.run { [self] in launch(record) }
                    }
                }
            }
        }
        return future
    }

    /// Records the task's submission in monitoring (once): with try 0's launch when `launched`.
    func recordSubmission(_ record: TaskRecord, launched: Bool) {
        guard let monitoring, record.submissionDeferred else { return }
        record.submissionDeferred = false
        monitoring.taskSubmitted(
            runID: runID,
            taskID: record.id,
            appName: record.app.name,
            memoize: record.app.options.cacheable,
            hashsum: nil,
            dependsOn: record.dependencies.map(\.taskID),
            executor: record.executor?.label ?? "_parsl_internal",
            time: record.submittedAt,
            launched: launched
        )
    }
}
