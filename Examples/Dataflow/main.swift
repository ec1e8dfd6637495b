import DataflowCore
import Foundation
import Synchronization

// A small dataflow on the in-process executor: fan-out, fan-in, a retry, a dependency failure, a join app,
// and a resumed run. Run it twice: the second run answers the cacheable tasks from the first run's
// checkpoint. Run directory: ./runinfo-example (delete it to start over).

/// Counts how often each app body really ran in this process.
final class Executions: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    func hit(_ app: String) -> Int {
        counts.withLock {
            $0[app, default: 0] += 1
            return $0[app]!
        }
    }
    var report: String { counts.withLock { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") } }
}
let executions = Executions()

struct FlakyError: Error {}
struct InvalidInput: Error, CustomStringConvertible {
    var value: Int
    var description: String { "invalid input \(value)" }
}

// 1. Register apps: the same code runs in the leader and in any worker process.
var apps = AppRegistry.Builder()
let square = apps.register("square", options: AppOptions(cacheable: true)) { (x: Int) async throws -> Int in
    _ = executions.hit("square")
    try await Task.sleep(for: .milliseconds(20))  // pretend to work
    return x * x
}
let total = apps.register("total", options: AppOptions(cacheable: true)) { (xs: [Int]) in
    _ = executions.hit("total")
    return xs.reduce(0, +)
}
let flaky = apps.register("flaky") { (x: Int) throws -> Int in
    // Fails on its first two tries, then works: retries = 2 makes it succeed.
    if executions.hit("flaky") <= 2 { throw FlakyError() }
    return x
}
let validate = apps.register("validate") { (x: Int) throws -> Int in
    guard x >= 0 else { throw InvalidInput(value: x) }
    return x
}
let fanOut = apps.joinApp("sum_of_squares") { (n: Int, kernel: DataFlowKernel) in
    // A join app decides at run time how many tasks to launch.
    try await kernel.submit(total, gathering: (1...n).map { kernel.submit(square, $0) }).value
}

// 2. Start a kernel: retries, checkpoints (task_exit) and monitoring under ./runinfo-example.
var configuration = DataFlowKernel.Configuration(runDirectory: "runinfo-example", retries: 2, workflowName: "example")
configuration.retryHandler = { error in error.underlying is InvalidInput ? .fail : .retry }  // bad input: no retry
let kernel = try await DataFlowKernel(configuration: configuration, apps: apps.build())
// The kernel starts no task of its own: its periodic duties run here, in a child task of this scope, until
// `shutdown()` (`withDataFlowKernel { kernel in ... }` does all of this around a closure).
async let kernelDuties: Void = kernel.run()
print("run directory: \(kernel.runDirectory); results loaded from earlier checkpoints: \(kernel.checkpointLoadReport.records)")

// 3. Fan out, fan in: calls return futures at once; futures are dependencies.
let squares = (1...20).map { kernel.submit(square, $0) }
let sum = kernel.submit(total, gathering: squares)
print("sum of squares 1...20 =", try await sum.value)

// 4. A retry: the third try succeeds.
print("flaky =", try await kernel.submit(flaky, 7).value)

// 5. A dependency failure: `total` never runs because `validate(-1)` failed.
let bad = kernel.submit(validate, -1)
let dependent = kernel.submit(total, gathering: [bad, kernel.submit(validate, 2)])
do {
    _ = try await dependent.value
} catch let error as TaskError {
    print("dependent failed as expected: \(error.code): \(error.message)")
}

// 6. A join app.
print("join app: sum of squares 1...5 =", try await kernel.submit(fanOut, 5).value)

await kernel.shutdown()
await kernelDuties
print("app bodies run in this process: \(executions.report)")
print("summary: \(kernel.summary)")
print("see the task states with: sqlite3 runinfo-example/monitoring.db 'select * from task_current_status limit 5'")
