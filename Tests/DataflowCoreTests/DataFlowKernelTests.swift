import DataflowCore
import Foundation
import Testing

struct DataFlowKernelTests {
    @Test func fanOutAndFanInComputeTheRightValue() async throws {
        try await withTemporaryDirectory { root in
            var apps = AppRegistry.Builder()
            let square = apps.register("square") { (x: Int) in x * x }
            let total = apps.register("total") { (xs: [Int]) in xs.reduce(0, +) }
            let describe = apps.register("describe") { (pair: [String]) in pair.joined(separator: "=") }
            let kernel = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: apps.build())
            let squares = (1...10).map { kernel.submit(square, $0) }
            let sum = kernel.submit(total, gathering: squares)
            let label = kernel.submit(describe, after: sum, squares[2]) { s, nine in ["\(nine)", "\(s)"] }
            #expect(try await sum.value == 385)
            #expect(try await label.value == "9=385")
            await kernel.shutdown()
            #expect(kernel.summary.completed == 12)
        }
    }

    @Test func submitReturnsBeforeTheTaskRuns() async throws {
        try await withTemporaryDirectory { root in
            var apps = AppRegistry.Builder()
            let gate = AsyncGate()
            let wait = apps.register("wait") { (x: Int) in
                await gate.wait()
                return x
            }
            let kernel = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: apps.build())
            let future = kernel.submit(wait, 5)
            #expect(!future.isDone)
            await gate.open()
            #expect(try await future.value == 5)
            await kernel.shutdown()
        }
    }

    @Test func appErrorKeepsItsTypeAndNamesTaskAppAndTry() async throws {
        try await withTemporaryDirectory { root in
            var apps = AppRegistry.Builder()
            let bad = apps.register("bad") { (x: Int) throws -> Int in throw AppFailure(reason: "bad value \(x)") }
            let kernel = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: apps.build())
            let future = kernel.submit(bad, 3)
            await #expect {
                _ = try await future.value
            } throws: { error in
                guard let e = error as? TaskError else { return false }
                return e.code == .appFailed && e.appName == "bad" && e.taskID == future.taskID && e.tryID == 0
                    && (e.underlying as? AppFailure) == AppFailure(reason: "bad value 3")
                    && e.description.contains("task \(future.taskID) (app bad, try 0, on threads)")
            }
            await kernel.shutdown()
        }
    }

    @Test func dependencyFailureSkipsTheDependent() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            var apps = AppRegistry.Builder()
            let bad = apps.register("bad") { (_: Int) throws -> Int in throw AppFailure(reason: "no") }
            let good = apps.register("good") { (x: Int) in x }
            let add = apps.register("add") { (xs: [Int]) in
                counter.hit()
                return xs.reduce(0, +)
            }
            let kernel = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: apps.build())
            let failing = kernel.submit(bad, 1)
            let fine = kernel.submit(good, 2)
            let sum = kernel.submit(add, gathering: [fine, failing])
            let downstream = kernel.submit(add, gathering: [sum])
            for future in [sum, downstream] {
                await #expect {
                    _ = try await future.value
                } throws: { error in
                    let e = error as? TaskError
                    return e?.code == .dependencyFailed && e?.failedDependencies.count == 1
                }
            }
            await kernel.shutdown()
            #expect(counter.total == 0)
            #expect(kernel.summary.dependencyFailed == 2)
        }
    }

    @Test func retriesUntilSuccessAndReportsTheLastTry() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            var apps = AppRegistry.Builder()
            let flaky = apps.register("flaky") { (failures: Int) throws -> Int in
                counter.hit("flaky")
                if counter.count("flaky") <= failures { throw AppFailure(reason: "try again") }
                return counter.count("flaky")
            }
            let always = apps.register("always") { (_: Int) throws -> Int in
                counter.hit("always")
                throw AppFailure(reason: "never works")
            }
            let kernel = try await DataFlowKernel(configuration: .testing(runRoot: root, retries: 2), apps: apps.build())
            #expect(try await kernel.submit(flaky, 2).value == 3)
            await #expect {
                _ = try await kernel.submit(always, 0).value
            } throws: { ($0 as? TaskError)?.tryID == 2 }
            #expect(counter.count("always") == 3)
            await kernel.shutdown()
            #expect(kernel.summary.retries == 4)
        }
    }

    @Test func retryHandlerCanRefuseToRetry() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            var apps = AppRegistry.Builder()
            let invalid = apps.register("invalid") { (_: Int) throws -> Int in
                counter.hit()
                throw AppFailure(reason: "invalid input")
            }
            var configuration = DataFlowKernel.Configuration.testing(runRoot: root, retries: 5)
            configuration.retryHandler = { error in
                (error.underlying as? AppFailure)?.reason == "invalid input" ? .fail : .retry
            }
            let kernel = try await DataFlowKernel(configuration: configuration, apps: apps.build())
            await #expect(throws: TaskError.self) { try await kernel.submit(invalid, 0).value }
            #expect(counter.total == 1)
            await kernel.shutdown()
        }
    }

    @Test func joinAppFansOutDynamically() async throws {
        try await withTemporaryDirectory { root in
            var apps = AppRegistry.Builder()
            let double = apps.register("double") { (x: Int) in 2 * x }
            let fail = apps.register("fail") { (_: Int) throws -> Int in throw AppFailure(reason: "inner") }
            let fanOut = apps.joinApp("fan_out") { (n: Int, kernel: DataFlowKernel) -> [Int] in
                let parts = (0..<n).map { kernel.submit(double, $0) }
                var results: [Int] = []
                for part in parts { results.append(try await part.value) }
                return results
            }
            let broken = apps.joinApp("broken") { (n: Int, kernel: DataFlowKernel) -> Int in
                try await kernel.submit(fail, n).value
            }
            let kernel = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: apps.build())
            #expect(try await kernel.submit(fanOut, 4).value == [0, 2, 4, 6])
            await #expect {
                _ = try await kernel.submit(broken, 1).value
            } throws: { error in
                let e = error as? TaskError
                return e?.code == .joinFailed && ((e?.underlying as? TaskError)?.underlying as? AppFailure) != nil
            }
            await kernel.shutdown()
        }
    }

    @Test func walltimeFailsATryThatRunsTooLong() async throws {
        try await withTemporaryDirectory { root in
            var apps = AppRegistry.Builder()
            let slow = apps.register("slow", options: AppOptions(walltime: .milliseconds(200))) { (x: Int) in
                try await Task.sleep(for: .seconds(30))
                return x
            }
            let kernel = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: apps.build())
            let started = ContinuousClock.now
            await #expect {
                _ = try await kernel.submit(slow, 1).value
            } throws: { ($0 as? TaskError)?.code == .walltimeExceeded }
            // Far below the body's 30 s, with room for a loaded CI machine running tests in parallel.
            #expect(ContinuousClock.now - started < .seconds(20))
            await kernel.shutdown()
        }
    }

    @Test func appsArePinnedToExecutorsByLabel() async throws {
        try await withTemporaryDirectory { root in
            var apps = AppRegistry.Builder()
            let whereAmI = apps.register("where", options: AppOptions(executors: ["special"])) { (_: Int, context: TaskContext) in
                context.location
            }
            let anywhere = apps.register("anywhere") { (_: Int, context: TaskContext) in context.location }
            let configuration = DataFlowKernel.Configuration(
                executors: [
                    ThreadPoolExecutor(configuration: .init(label: "general", maxThreads: 1)),
                    ThreadPoolExecutor(configuration: .init(label: "special", maxThreads: 1)),
                ],
                runDirectory: root,
                monitoring: false
            )
            let kernel = try await DataFlowKernel(configuration: configuration, apps: apps.build())
            #expect(try await kernel.submit(whereAmI, 0).value == "special")
            #expect(try await kernel.submit(anywhere, 0).value == "general")
            await kernel.shutdown()

            var wrong = AppRegistry.Builder()
            wrong.register("lost", options: AppOptions(executors: ["nowhere"])) { (x: Int) in x }
            await #expect {
                _ = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: wrong.build())
            } throws: { ($0 as? DataflowError)?.code == .unknownExecutor }
        }
    }

    @Test func shutdownWithoutWaitingCancelsQueuedTasks() async throws {
        try await withTemporaryDirectory { root in
            var apps = AppRegistry.Builder()
            let gate = AsyncGate()
            let block = apps.register("block") { (x: Int) in
                await gate.wait()
                return x
            }
            let kernel = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: apps.build())
            let futures = (0..<10).map { kernel.submit(block, $0) }
            try await Task.sleep(for: .milliseconds(50))
            Task {
                try await Task.sleep(for: .milliseconds(100))
                await gate.open()
            }
            await kernel.shutdown(waitForTasks: false)
            var cancelled = 0
            var completed = 0
            for future in futures {
                switch await future.result {
                case .success: completed += 1
                case .failure(let error): if (error as? TaskError)?.code == .cancelled { cancelled += 1 }
                }
            }
            #expect(completed == 2)
            #expect(cancelled == 8)
        }
    }

    @Test func hundredThousandTasksInOneGraph() async throws {
        try await withTemporaryDirectory { root in
            var apps = AppRegistry.Builder()
            let one = apps.register("one") { (x: Int) in x }
            let total = apps.register("total") { (xs: [Int]) in xs.reduce(0, +) }
            var configuration = DataFlowKernel.Configuration.testing(runRoot: root)
            configuration.checkpointMode = nil
            let kernel = try await DataFlowKernel(configuration: configuration, apps: apps.build())
            // 100,000 leaves summed by a two-level fan-in tree: 100,100 tasks.
            let leaves = (0..<100_000).map { kernel.submit(one, $0 % 7) }
            let partials = stride(from: 0, to: leaves.count, by: 1000).map {
                kernel.submit(total, gathering: Array(leaves[$0..<($0 + 1000)]))
            }
            let sum = kernel.submit(total, gathering: partials)
            #expect(try await sum.value == (0..<100_000).reduce(0) { $0 + $1 % 7 })
            await kernel.shutdown()
            #expect(kernel.summary.completed == 100_101)
        }
    }
}

/// A one-shot gate that tasks can wait on.
actor AsyncGate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for w in waiters { w.resume() }
        waiters = []
    }
}
