import DataflowApps
import DataflowCore
import DataflowInterchange
import Foundation
import InterchangeTestApps
import Testing

/// The same error cases give the same errors, of the same Swift types with the same fields, whether the
/// apps run on threads or on worker processes over TCP.
@Suite(.serialized) struct ErrorParityTests {
    enum Executor: String, CaseIterable, CustomTestStringConvertible {
        case threads, workers
        var testDescription: String { rawValue }
    }

    func withKernel(_ executor: Executor, _ body: (DataFlowKernel, AppRegistry, String) async throws -> Void) async throws {
        try await withTemporaryDirectory { root in
            switch executor {
            case .workers:
                let cluster = try await startCluster(root: root, workers: 2)
                try await body(cluster.kernel, cluster.apps, root)
                await cluster.kernel.shutdown()
            case .threads:
                let apps = TestApps.registry()
                let kernel = try await DataFlowKernel(
                    configuration: .init(executors: [ThreadPoolExecutor(configuration: .init(maxThreads: 2))], runDirectory: root + "/runinfo"),
                    apps: apps
                )
                try await body(kernel, apps, root)
                await kernel.shutdown()
            }
        }
    }

    /// What a failed future throws.
    func failure<T>(_ future: AppFuture<T>) async -> TaskError? {
        do {
            _ = try await future.value
            return nil
        } catch {
            return error as? TaskError
        }
    }

    @Test(arguments: Executor.allCases)
    func aRegisteredCodableErrorArrivesAsItsOwnType(executor: Executor) async throws {
        try await withKernel(executor) { kernel, apps, _ in
            let app = TestApps.app("fail_typed", String.self, Int.self, in: apps)
            let error = try #require(await failure(kernel.submit(app, "Utqiagvik")))
            #expect(error.code == .appFailed)
            let typed = try #require(error.underlying as? CalibrationFailure, "underlying: \(String(describing: error.underlying))")
            #expect(typed == CalibrationFailure(station: "Utqiagvik", drift: 0.25, readings: [1, 2, 3]))
        }
    }

    @Test(arguments: Executor.allCases)
    func aBashAppsExitCodeCanBeRead(executor: Executor) async throws {
        try await withKernel(executor) { kernel, apps, root in
            let app = TestApps.app("bash_exit", BashExitInput.self, BashResult.self, in: apps)
            let error = try #require(await failure(kernel.submit(app, BashExitInput(code: 7, directory: root))))
            let bash = try #require(error.underlying as? BashFailure, "underlying: \(String(describing: error.underlying))")
            #expect(bash.exitCode == 7)
            #expect(bash.stderrTail.contains("sensor offline"))
        }
    }

    @Test(arguments: Executor.allCases)
    func walltimeIsAnAppErrorWithItsCode(executor: Executor) async throws {
        try await withKernel(executor) { kernel, apps, _ in
            let app = TestApps.app("over_walltime", Int.self, Int.self, in: apps)
            let error = try #require(await failure(kernel.submit(app, 5_000)))
            #expect(error.code == .walltimeExceeded)
            let appError = try #require(error.underlying as? AppError, "underlying: \(String(describing: error.underlying))")
            #expect(appError.code == .walltimeExceeded)
            // A short body within its walltime still succeeds.
            #expect(try await kernel.submit(app, 10).value == 10)
        }
    }

    @Test(arguments: Executor.allCases)
    func aDependencyFailureNamesTheFailedTaskAndKeepsItsError(executor: Executor) async throws {
        try await withKernel(executor) { kernel, apps, _ in
            let fail = TestApps.app("fail_typed", String.self, Int.self, in: apps)
            let echo = TestApps.app("echo", Int.self, Int.self, in: apps)
            let upstream = kernel.submit(fail, "Tuktoyaktuk")
            let downstream = kernel.submit(echo, after: upstream)
            let error = try #require(await failure(downstream))
            #expect(error.code == .dependencyFailed)
            #expect(error.failedDependencies == [upstream.taskID])
            let root = try #require(await failure(upstream))
            #expect((root.underlying as? CalibrationFailure)?.station == "Tuktoyaktuk")
        }
    }

    @Test(arguments: Executor.allCases)
    func anErrorThatIsNotCodableKeepsItsTypeNameAndText(executor: Executor) async throws {
        try await withKernel(executor) { kernel, apps, _ in
            let app = TestApps.app("fail", Int.self, Int.self, in: apps)
            let error = try #require(await failure(kernel.submit(app, 3)))
            #expect(error.code == .appFailed)
            #expect(String(describing: error.underlying!).contains("test failure 3"))
        }
    }
}

extension ErrorParityTests {
    @Test(arguments: Executor.allCases)
    func aBashAppWithoutItsDeclaredOutputFailsWithMissingOutputs(executor: Executor) async throws {
        try await withKernel(executor) { kernel, apps, root in
            let app = TestApps.app("bash_output", BashOutputInput.self, BashResult.self, in: apps)
            let written = kernel.submit(app, BashOutputInput(target: DataFile(root + "/written.txt"), write: true))
            #expect(try await written.outputs[0].value == DataFile(root + "/written.txt"))
            #expect(try String(contentsOfFile: root + "/written.txt", encoding: .utf8) == "permafrost\n")
            var caught: MissingOutputs?
            do {
                _ = try await kernel.submit(app, BashOutputInput(target: DataFile(root + "/absent.txt"), write: false)).output
            } catch let error as MissingOutputs {
                caught = error
            }
            #expect(caught == MissingOutputs(appName: "bash_output", missing: [DataFile(root + "/absent.txt")]))
        }
    }

    @Test(arguments: Executor.allCases)
    func outputRethrowsTheAppsOwnError(executor: Executor) async throws {
        try await withKernel(executor) { kernel, apps, _ in
            let app = TestApps.app("fail_typed", String.self, Int.self, in: apps)
            var caught: CalibrationFailure?
            do {
                _ = try await kernel.submit(app, "Inuvik").output
            } catch let error as CalibrationFailure {
                caught = error
            }
            #expect(caught == CalibrationFailure(station: "Inuvik", drift: 0.25, readings: [1, 2, 3]))
            let echo = TestApps.app("echo", Int.self, Int.self, in: apps)
            let four = try await kernel.submit(echo, 4).output
            #expect(four == 4)
        }
    }
}
