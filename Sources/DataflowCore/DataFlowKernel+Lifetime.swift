extension DataFlowKernel {
    /// Runs the kernel's periodic duties until it shuts down or the calling task is cancelled: with
    /// ``Configuration/CheckpointMode/periodic(_:)`` checkpoints pending results every period; with any
    /// other mode it only waits. In the manner of swift-service-lifecycle, the owner runs it in a child task
    /// (``withDataFlowKernel(configuration:apps:isolation:_:)`` does this for you):
    ///
    /// ```swift
    /// let kernel = try await DataFlowKernel(configuration: configuration, apps: apps)
    /// async let duties: Void = kernel.run()
    /// // ... submit and await tasks ...
    /// await kernel.shutdown()  // run() returns
    /// await duties
    /// ```
    ///
    /// The kernel starts no task of its own: a `.periodic` kernel whose `run()` nobody awaits checkpoints
    /// only when told (``checkpoint()``) and at shutdown.
    public func run() async {
        guard case .periodic(let period) = configuration.checkpointMode else {
            await stopped.wait()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.stopped.wait() }
            group.addTask {
                while true {
                    do { try await Task.sleep(for: period) } catch { return }
                    self.checkpoint()
                }
            }
            // Whichever ends first (shutdown, or cancellation, which ends both) ends the other.
            await group.next()
            group.cancelAll()
        }
    }
}

/// Starts a kernel, runs `body` with it while ``DataFlowKernel/run()`` does the kernel's periodic duties in
/// a child task, and shuts the kernel down when `body` ends (Parsl's `with parsl.load(config) as dfk:`).
///
/// If `body` returns, the shutdown waits for every submitted task; if it throws, tasks that have not
/// started fail as `cancelled` and the error is rethrown. Either way the kernel is checkpointed, its
/// executors are stopped and its monitoring database is closed before this returns.
///
/// ```swift
/// try await withDataFlowKernel(configuration: .init(runDirectory: "runinfo"), apps: registry) { kernel in
///     print(try await kernel.submit(square, 7).value)
/// }
/// ```
public func withDataFlowKernel<Value>(
    configuration: DataFlowKernel.Configuration = DataFlowKernel.Configuration(),
    apps: AppRegistry,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (DataFlowKernel) async throws -> Value
) async throws -> Value {
    let kernel = try await DataFlowKernel(configuration: configuration, apps: apps)
    async let duties: Void = kernel.run()
    let value: Value
    do {
        value = try await body(kernel)
    } catch {
        await kernel.shutdown(waitForTasks: false)
        await duties
        throw error
    }
    await kernel.shutdown()
    await duties
    return value
}
