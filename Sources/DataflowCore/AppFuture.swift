import Synchronization

/// The result of an app call, available later (Parsl `AppFuture`).
///
/// Returned at once by ``DataFlowKernel/submit(_:_:)``. Await ``value`` for the output; a failure throws
/// a ``TaskError``. Pass futures to other submissions to make them dependencies.
public final class AppFuture<Output: Sendable>: Sendable {
    /// The kernel's id of the task behind this future.
    public let taskID: Int
    /// The name of the app that produces this future.
    public let appName: String

    // Stored type-erased, in a type outside the generic class: settling a future is on the kernel's hot path,
    // which is not generic, and a nested `State` made every access look up `Mutex<AppFuture<Output>.State>`'s
    // metadata at run time (~5% of a task's CPU).
    private let state = Mutex<FutureState>(.pending([]))
    private let declaredOutputs = Mutex<[DataFuture]>([])

    /// One future per output file the call declared (``DeclaresFiles/outputFiles`` of its input), in
    /// declaration order: each completes with its file when this task succeeds (Parsl `AppFuture.outputs`).
    /// Known for calls whose input is given at submission (``DataFlowKernel/submit(_:_:)``); empty for calls
    /// whose input is built from other futures, and for apps without declared files.
    public var outputs: [DataFuture] { declaredOutputs.withLock { $0 } }

    func setOutputs(_ files: [DataFile]) {
        let futures = files.map { dataFuture(for: $0) }
        declaredOutputs.withLock { $0 = futures }
    }

    init(taskID: Int, appName: String) {
        self.taskID = taskID
        self.appName = appName
    }

    /// The app's output; when the app's body threw, that error itself, as its own type with every field
    /// (Parsl's `future.result()` raises the app's exception), on threads and on workers alike for
    /// registered `Codable` errors. Other failures (a lost worker, a failed dependency, walltime) throw the
    /// task's ``TaskError``. Use ``value`` to always get the ``TaskError`` with its task, try and location.
    ///
    /// ```swift
    /// do { _ = try await future.output } catch let error as CalibrationError { print(error.station) }
    /// ```
    nonisolated(nonsending) public var output: Output {
        get async throws {
            do {
                return try await value
            } catch let error as TaskError where error.code == .appFailed && error.underlying != nil {
                throw error.underlying!
            }
        }
    }

    /// The app's output; throws the task's ``TaskError`` if it failed.
    ///
    /// The awaiting code resumes on its own executor (the getter is `nonisolated(nonsending)`): code on the
    /// main actor that awaits a future goes straight back to the main actor when the future completes,
    /// without passing through the global pool first (a thread wake-up fewer per await).
    nonisolated(nonsending) public var value: Output {
        get async throws {
            if let ready = erasedResult { return try ready.get() as! Output }
            let output = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
                let ready: Result<any Sendable, any Error>? = state.withLock { state in
                    switch state {
                    case .done(let result): return result
                    case .pending(var waiters):
                        state = .pending([])
                        waiters.append(.continuation(continuation))
                        state = .pending(waiters)
                        return nil
                    }
                }
                if let ready { continuation.resume(with: ready) }
            }
            return output as! Output
        }
    }

    /// The outcome as a `Result`, without throwing.
    nonisolated(nonsending) public var result: Result<Output, any Error> {
        get async {
            do { return .success(try await value) } catch { return .failure(error) }
        }
    }

    /// Whether the task has finished (successfully or not).
    public var isDone: Bool { erasedResult != nil }

    /// The outcome if the task has finished, without waiting.
    public var currentResult: Result<Output, any Error>? {
        erasedResult.map { $0.map { $0 as! Output } }
    }

    var erasedResult: Result<any Sendable, any Error>? {
        state.withLock { if case .done(let r) = $0 { return r } else { return nil } }
    }

    /// Calls `callback` once the task has finished: at once, on this thread, if it already has.
    public func whenDone(_ callback: @escaping @Sendable (Result<Output, any Error>) -> Void) {
        whenDoneErased { callback($0.map { $0 as! Output }) }
    }

    func whenDoneErased(_ callback: @escaping @Sendable (Result<any Sendable, any Error>) -> Void) {
        let ready: Result<any Sendable, any Error>? = state.withLock { state in
            switch state {
            case .done(let result): return result
            case .pending(var waiters):
                state = .pending([])
                waiters.append(.callback(callback))
                state = .pending(waiters)
                return nil
            }
        }
        if let ready { callback(ready) }
    }

    /// Settles the future with a value of type `Output` (or an error); later calls are ignored.
    func complete(_ result: Result<any Sendable, any Error>) {
        let waiters: [FutureWaiter]? = state.withLock { state in
            guard case .pending(let waiters) = state else { return nil }
            state = .done(result)
            return waiters
        }
        guard let waiters else { return }
        for waiter in waiters {
            switch waiter {
            case .continuation(let c): c.resume(with: result)
            case .callback(let cb): cb(result)
            }
        }
    }
}

/// What the kernel needs of a dependency, whatever its output type.
protocol Dependency: Sendable {
    var taskID: Int { get }
    /// Calls `callback` once the dependency has finished, successfully or not.
    func whenSettled(_ callback: @escaping @Sendable () -> Void)
    /// The dependency's error, once it has finished; `nil` if it succeeded (or has not finished).
    var settledFailure: (any Error)? { get }
}

extension AppFuture: Dependency {
    func whenSettled(_ callback: @escaping @Sendable () -> Void) {
        whenDoneErased { _ in callback() }
    }

    var settledFailure: (any Error)? {
        if case .failure(let error) = erasedResult { return error }
        return nil
    }

    /// The output of a finished, successful future; only called once every dependency succeeded.
    func settledValue() throws -> Output {
        guard let result = erasedResult else {
            preconditionFailure("dependency \(taskID) read before it finished")
        }
        return try result.get() as! Output
    }
}

/// An ``AppFuture``'s state, whatever its output type.
private enum FutureState {
    case pending([FutureWaiter])
    case done(Result<any Sendable, any Error>)
}

/// Who waits for an ``AppFuture``.
private enum FutureWaiter {
    case continuation(CheckedContinuation<any Sendable, any Error>)
    case callback(@Sendable (Result<any Sendable, any Error>) -> Void)
}
