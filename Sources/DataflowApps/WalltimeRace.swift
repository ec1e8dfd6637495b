import Synchronization

/// Runs a body against a deadline. The body runs in its own task so that the deadline can end the try even
/// when the body ignores cancellation: the try fails at the deadline and the body is cancelled, and if it
/// does not stop, its late result is discarded.
package enum WalltimeRace {
    private final class Race: Sendable {
        let settled = Mutex(false)
        let timer = Mutex<Task<Void, Never>?>(nil)

        /// True for the first caller only.
        func settle() -> Bool {
            settled.withLock { done in
                defer { done = true }
                return !done
            }
        }
    }

    package static func run(
        walltime: Duration,
        taskID: Int,
        _ body: @escaping @Sendable () async throws -> any Sendable
    ) async -> Result<any Sendable, any Error> {
        let race = Race()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Result<any Sendable, any Error>, Never>) in
            let work = Task {
                let result: Result<any Sendable, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                if race.settle() {
                    race.timer.withLock { $0?.cancel() }
                    continuation.resume(returning: result)
                }
            }
            let deadline = Task {
                try? await Task.sleep(for: walltime)
                guard !Task.isCancelled, race.settle() else { return }
                work.cancel()
                continuation.resume(
                    returning: .failure(AppError(.walltimeExceeded, "task \(taskID) exceeded its walltime of \(walltime)"))
                )
            }
            race.timer.withLock { $0 = deadline }
            // The body may have finished before the timer was stored: don't leave it sleeping.
            if race.settled.withLock({ $0 }) { deadline.cancel() }
        }
    }
}
