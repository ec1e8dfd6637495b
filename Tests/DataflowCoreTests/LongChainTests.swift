import DataflowCore
import Foundation
import Synchronization
import Testing

/// Completion runs in bounded stack depth whatever the graph: a chain of a million tasks that finish at
/// once (cache hits, failed dependencies) completes without recursing once per task.
@Suite(.serialized) struct LongChainTests {
    static let length = 1_000_000

    /// A gate the test opens by hand: every task of a chain waits on it, so the whole chain settles in one
    /// cascade from the thread that opens it.
    final class Gate: Sendable {
        let opened = Mutex<CheckedContinuation<Int, any Error>?>(nil)
        let ready = Mutex(false)
    }

    func kernel(root: String, apps: AppRegistry) async throws -> DataFlowKernel {
        try await DataFlowKernel(
            configuration: .init(
                executors: [ThreadPoolExecutor(configuration: .init(maxThreads: 2))], runDirectory: root, retries: 0, appCache: true,
                checkpointMode: nil, monitoring: false
            ),
            apps: apps
        )
    }

    @Test func aMillionCachedTasksInAChainCompleteWithoutRecursing() async throws {
        let root = NSTemporaryDirectory() + "long-chain-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        let gate = Gate()
        var builder = AppRegistry.Builder()
        let increment = builder.register("increment", options: AppOptions(cacheable: true)) { (x: Int) in x + 1 }
        let open = builder.register("open_gate") { (x: Int) async throws -> Int in
            try await withCheckedThrowingContinuation { continuation in
                gate.opened.withLock { $0 = continuation }
                gate.ready.withLock { $0 = true }
            }
        }
        let kernel = try await kernel(root: root, apps: try builder.build())
        // First a short chain fills the memo table with increment(0 ..< n) ...
        let n = Self.length
        var seed = kernel.submit(increment, 0)
        for _ in 1..<n { seed = kernel.submit(increment, after: seed) }
        #expect(try await seed.value == n)
        // ... then, twice, a chain of n hits waits on a gate; opening it settles all n on one thread.
        for round in 0..<2 {
            let gateFuture = kernel.submit(open, round)
            var last = kernel.submit(increment, after: gateFuture)
            for _ in 1..<n { last = kernel.submit(increment, after: last) }
            while !gate.ready.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
            gate.ready.withLock { $0 = false }
            gate.opened.withLock { $0 }!.resume(returning: 0)
            #expect(try await last.value == n)
        }
        let summary = kernel.summary
        #expect(summary.memoized == 2 * n)
        await kernel.shutdown()
    }

    @Test func aMillionDependencyFailuresCascadeWithoutRecursing() async throws {
        let root = NSTemporaryDirectory() + "long-chain-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        struct Broken: Error {}
        var builder = AppRegistry.Builder()
        let increment = builder.register("increment") { (x: Int) in x + 1 }
        let fail = builder.register("fail_late") { (ms: Int) async throws -> Int in
            try await Task.sleep(for: .milliseconds(ms))
            throw Broken()
        }
        let kernel = try await kernel(root: root, apps: try builder.build())
        for _ in 0..<2 {
            let root = kernel.submit(fail, 200)
            var last = kernel.submit(increment, after: root)
            for _ in 1..<Self.length { last = kernel.submit(increment, after: last) }
            await #expect(throws: TaskError.self) { _ = try await last.value }
        }
        #expect(kernel.summary.dependencyFailed == 2 * Self.length)
        await kernel.shutdown()
    }
}
