import DataflowCore
import Foundation
import Testing

/// The kernel starts no task of its own: periodic checkpoints run in `run()`, which its owner awaits, and
/// `shutdown()` (or the owner's cancellation) ends it.
@Suite(.timeLimit(.minutes(1)))
struct KernelLifetimeTests {
    func periodic(_ root: String) -> DataFlowKernel.Configuration {
        var configuration = DataFlowKernel.Configuration.testing(runRoot: root)
        configuration.checkpointMode = .periodic(.milliseconds(50))
        return configuration
    }

    /// How many results a new kernel in the same run root would reuse now.
    func reusable(_ root: String, _ registry: AppRegistry) async throws -> Int {
        try await withDataFlowKernel(configuration: .testing(runRoot: root), apps: registry) { $0.checkpointLoadReport.records }
    }

    @Test func periodicCheckpointsAreWrittenByRunAndShutdownEndsIt() async throws {
        try await withTemporaryDirectory { root in
            let (registry, cached, _) = CheckpointTests.apps(CallCounter())
            let kernel = try await DataFlowKernel(configuration: periodic(root), apps: registry)
            for x in 0..<5 { _ = try await kernel.submit(cached, x).value }
            // The initializer started nothing: several periods later nothing is on file.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await reusable(root, registry) == 0)

            async let duties: Void = kernel.run()
            var records = 0
            let deadline = ContinuousClock.now + .seconds(20)
            while records < 5, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                records = try await reusable(root, registry)
            }
            #expect(records == 5)
            await kernel.shutdown()
            await duties
        }
    }

    @Test func runReturnsWhenItsTaskIsCancelled() async throws {
        try await withTemporaryDirectory { root in
            let (registry, cached, _) = CheckpointTests.apps(CallCounter())
            let kernel = try await DataFlowKernel(configuration: periodic(root), apps: registry)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await kernel.run() }
                try? await Task.sleep(for: .milliseconds(100))
                group.cancelAll()
            }
            // Still usable: cancelling run() ends only the periodic duties.
            #expect(try await kernel.submit(cached, 2).value == 6)
            await kernel.shutdown()
            // After shutdown, run() returns at once.
            await kernel.run()
        }
    }

    @Test func withDataFlowKernelWaitsForEveryTaskThenShutsDown() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            let (registry, cached, _) = CheckpointTests.apps(counter)
            let (value, kernel) = try await withDataFlowKernel(configuration: periodic(root), apps: registry) { kernel in
                // Submitted and never awaited in the body: the shutdown waits for them.
                for x in 0..<3 { _ = kernel.submit(cached, x) }
                return (42, kernel)
            }
            #expect(value == 42)
            #expect((0..<3).allSatisfy { counter.count("cached-\($0)") == 1 })
            #expect(kernel.summary.completed == 3 && kernel.outstanding == 0)
            // The shutdown checkpointed them.
            #expect(try await reusable(root, registry) == 3)
        }
    }

    @Test func withDataFlowKernelRethrowsAndCancelsTasksNotStarted() async throws {
        struct Abandoned: Error {}
        try await withTemporaryDirectory { root in
            var builder = AppRegistry.Builder()
            let slow = builder.register("slow") { (x: Int) in
                try await Task.sleep(for: .milliseconds(200))
                return x
            }
            let registry = try builder.build()
            var futures: [AppFuture<Int>] = []
            do {
                try await withDataFlowKernel(configuration: .testing(runRoot: root), apps: registry) { kernel in
                    futures = (0..<20).map { kernel.submit(slow, $0) }
                    throw Abandoned()
                }
                Issue.record("the body's error was not rethrown")
            } catch is Abandoned {}
            #expect(futures.count == 20)
            var cancelled = 0
            for future in futures {
                if case .failure(let error as TaskError) = await future.result, error.code == .cancelled { cancelled += 1 }
            }
            // Two threads: at most a few had started; the rest never ran.
            #expect(cancelled >= 10)
        }
    }
}
