import Dataflow
import Foundation

// A leader with local worker processes: the interchange listens on 127.0.0.1, the LocalProvider starts
// this same binary as `htex-example worker ...` (one block, 2 slot processes), and a fan-out of 200 tasks
// runs on them. Run with: swift run htex-example

// 1. The apps, built the same way in the leader and in every worker.
func makeApps() throws -> (AppRegistry, App<Int, Int>, App<[Int], Int>, App<Int, String>) {
    var apps = AppRegistry.Builder()
    let collatz = apps.register("collatz_steps") { (n: Int) -> Int in
        var (x, steps) = (n, 0)
        while x != 1 { (x, steps) = (x % 2 == 0 ? x / 2 : 3 * x + 1, steps + 1) }
        return steps
    }
    let maximum = apps.register("maximum") { (xs: [Int]) in xs.max() ?? 0 }
    let whereAmI = apps.register("where_am_i") { (_: Int, context: TaskContext) in
        "\(context.location), pid \(getpid())"
    }
    return (try apps.build(), collatz, maximum, whereAmI)
}
let (registry, collatz, maximum, whereAmI) = try makeApps()

// 2. Worker mode: the provider starts us with `worker --address HOST:PORT ...` and the run secret in the
//    environment.
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "worker" {
    exit(await WorkerService.run(arguments: Array(arguments.dropFirst()), commandPrefix: ["worker"], apps: registry))
}

// 3. Leader mode: a kernel with a HighThroughputExecutor and one local block of 2 workers.
let executor = HighThroughputExecutor(
    configuration: .init(label: "htex", maxWorkersPerNode: 2),
    provider: LocalProvider(configuration: .init(initBlocks: 1, maxBlocks: 1, logDirectory: "runinfo-htex/local"))
)
executor.onEvent { event in
    if case .workerConnected(let id, _, let block, _) = event { print("worker \(id) of block \(block) connected") }
}
// The kernel lives for the closure; when it ends, the kernel waits for its tasks and shuts down.
try await withDataFlowKernel(
    configuration: .init(executors: [executor], runDirectory: "runinfo-htex", retries: 1, workflowName: "htex-example"),
    apps: registry
) { kernel in
    print("interchange listening on 127.0.0.1:\(executor.port ?? 0)")

    let steps = (1...200).map { kernel.submit(collatz, $0) }
    let longest = kernel.submit(maximum, gathering: steps)
    print("longest Collatz sequence below 200 takes", try await longest.value, "steps")
    for i in 0..<2 { print("task ran on", try await kernel.submit(whereAmI, i).value) }
}
print("done; task states: swift run viz-workflow status runinfo-htex")
