import DataflowCore
import Foundation

// A workflow that the crash test runs as a child process and kills with SIGKILL.
// usage: DataflowTestWorkflow RUN_ROOT LOG GATE TASKS GATED_FROM
// Tasks 0..<GATED_FROM append their number to LOG and finish; later tasks wait until GATE exists, then
// do the same. Every finished future is reported on stdout as "done N" (it is durable by then).
// After the independent tasks, a fan-in sums them, to check that dependents resume correctly too.

let args = CommandLine.arguments
guard args.count == 6, let tasks = Int(args[4]), let gatedFrom = Int(args[5]) else {
    FileHandle.standardError.write(Data("usage: DataflowTestWorkflow RUN_ROOT LOG GATE TASKS GATED_FROM\n".utf8))
    exit(64)
}
let (runRoot, logPath, gatePath) = (args[1], args[2], args[3])

/// Unbuffered, so that the parent sees each line before the kill.
@Sendable func say(_ line: String) {
    _ = line.withCString { write(1, $0, strlen($0)) }
}

@Sendable func appendLine(_ line: String, to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    _ = line.withCString { write(fd, $0, strlen($0)) }
    fsync(fd)
    close(fd)
}

var builder = AppRegistry.Builder()
let step = builder.register("step", options: AppOptions(cacheable: true)) { (n: Int) async throws -> Int in
    if n >= gatedFrom {
        while !FileManager.default.fileExists(atPath: gatePath) { try await Task.sleep(for: .milliseconds(20)) }
    }
    appendLine("\(n)\n", to: logPath)
    return n * 10
}
let sum = builder.register("sum", options: AppOptions(cacheable: true)) { (xs: [Int]) in
    appendLine("sum\n", to: logPath)
    return xs.reduce(0, +)
}
let kernel = try await DataFlowKernel(
    configuration: .init(executors: [ThreadPoolExecutor(configuration: .init(maxThreads: 2))], runDirectory: runRoot),
    apps: builder.build()
)
let futures = (0..<tasks).map { kernel.submit(step, $0) }
for future in futures {
    future.whenDone { _ in
        say("done \(future.taskID)\n")
    }
}
let total = try await kernel.submit(sum, gathering: futures).value
say("total \(total)\n")
await kernel.shutdown()
