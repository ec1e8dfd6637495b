import Dataflow
import Foundation
import Synchronization

// runtime-bench: throughput, latency and memory of the dataflow runtime on no-op tasks.
// Prints progress to stderr and, as its last stdout line, one JSON object.

struct Options {
    var executor = "local"
    var tasks = 100_000
    var workers = 2
    var dependencies = "none"
    var monitoring = true
    var checkpoint = true
    var sequential = false
    var payloadBytes = 0
    var isolation = "process"
    var encrypted = true
    var swarm = 0
    var producedFiles = false

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        var i = 0
        func int() -> Int {
            let text = value()
            guard let n = Int(text), n >= 0 else { fail("\(args[i - 1]) needs a non-negative integer, got '\(text)'") }
            return n
        }
        func value() -> String {
            i += 1
            guard i < args.count else { fail("missing value for \(args[i - 1])") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--executor": o.executor = value()
            case "--tasks": o.tasks = int()
            case "--workers": o.workers = int()
            case "--dependencies": o.dependencies = value()
            case "--monitoring": o.monitoring = value() != "off"
            case "--checkpoint": o.checkpoint = value() != "off"
            case "--sequential": o.sequential = true
            case "--payload-bytes": o.payloadBytes = int()
            case "--isolation": o.isolation = value()
            case "--encryption": o.encrypted = value() != "off"
            case "--simulated-workers": o.swarm = int()
            case "--produced-files": o.producedFiles = true
            case "--help", "-h":
                print(
                    """
                    usage: runtime-bench --executor local --tasks N [--workers W] [--dependencies none|chain|fanin]
                                         [--monitoring on|off] [--checkpoint on|off] [--sequential] [--payload-bytes B]
                                         [--isolation process|none] [--encryption on|off]   (htex: TLS, on by default)
                                         [--simulated-workers N]   (htex: N one-slot connections from one process)
                                         [--produced-files]   (each task reports one output tile file, as the pipeline's)
                    """
                )
                exit(0)
            default: fail("unknown option \(args[i])")
            }
            i += 1
        }
        guard ["none", "chain", "fanin"].contains(o.dependencies) else { fail("--dependencies must be none, chain or fanin") }
        guard ["local", "htex"].contains(o.executor) else { fail("--executor must be local or htex") }
        guard ["process", "none"].contains(o.isolation) else { fail("--isolation must be process or none") }
        return o
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("runtime-bench: \(message)\n".utf8))
    exit(64)
}

func peakRSSMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kb / 1024
    }
    return 0
}

/// CPU seconds (user + system) of the whole process so far, from getrusage: steadier than wall time on a
/// shared machine.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Latencies (submit → future completed) of every 8th task, in nanoseconds.
final class LatencySampler: Sendable {
    let samples = Mutex<[UInt64]>([])
    func record<T>(_ future: AppFuture<T>, submittedAt start: UInt64) {
        future.whenDone { [self] _ in
            let elapsed = monotonicNanos() - start
            samples.withLock { $0.append(elapsed) }
        }
    }
    func percentiles() -> (p50: Double, p99: Double) {
        var s = samples.withLock { $0 }
        guard !s.isEmpty else { return (0, 0) }
        s.sort()
        func at(_ q: Double) -> Double { Double(s[min(s.count - 1, Int(Double(s.count) * q))]) / 1000 }
        return (at(0.5), at(0.99))
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
let options = ["worker", "swarm"].contains(arguments.first) ? Options() : Options.parse(arguments)
let runRoot = NSTemporaryDirectory() + "runtime-bench-\(getpid())"
// RUNTIME_BENCH_KEEP_RUN=1 keeps the run directory (its monitoring.db) for inspection and says where it is.
let keepRun = ProcessInfo.processInfo.environment["RUNTIME_BENCH_KEEP_RUN"] == "1"
defer {
    if keepRun {
        FileHandle.standardError.write(Data("runtime-bench: run directory kept: \(runRoot)\n".utf8))
    } else {
        try? FileManager.default.removeItem(atPath: runRoot)
    }
}

var builder = AppRegistry.Builder()
let appOptions = AppOptions(cacheable: options.checkpoint)
let noop = builder.register("noop", options: appOptions) { (x: Int) in x }
let payload = builder.register("payload", options: appOptions) { (bytes: [UInt8]) in bytes }
let gather = builder.register("gather", options: appOptions) { (xs: [Int]) in xs.count }
/// A task's report of the tile file it wrote, as the pipeline's batches report theirs (the file is not made:
/// the leader fingerprints it as absent, which costs one failed `stat`).
struct TileWritten: Codable, Sendable, ProducesFiles {
    var path: String
    var producedFiles: [DataFile] { [DataFile(path)] }
}
let tileRoot = runRoot + "/tiles/WorldCRS84Quad/15"
let tile = builder.register("tile", options: appOptions) { (x: Int) in TileWritten(path: "\(tileRoot)/\(x / 1000)/\(x % 1000).tif") }
let apps = try builder.build()

// Worker mode: the HighThroughputExecutor's provider starts this same binary as `runtime-bench worker ...`.
if arguments.first == "worker" {
    exit(await WorkerService.run(arguments: Array(arguments.dropFirst()), commandPrefix: ["worker"], apps: apps))
}
// Swarm mode (`--simulated-workers N`): one process holds N worker connections of one slot each.
if arguments.first == "swarm", arguments.count > 1, let count = Int(arguments[1]) {
    do {
        let configuration = try WorkerService.Configuration.parse(arguments: Array(arguments.dropFirst(2)))
        exit(await WorkerService.runSwarm(connections: count, configuration: configuration, apps: apps))
    } catch {
        fail("swarm: \(error)")
    }
}

let executor: any ExecutionBackend
var htex: HighThroughputExecutor?
if options.executor == "htex" {
    let swarm = options.swarm > 0
    let made = HighThroughputExecutor(
        configuration: .init(
            maxWorkersPerNode: swarm ? 1 : options.workers,
            prefetchCapacity: options.sequential ? 0 : (swarm ? 1 : 64),
            isolation: swarm ? .none : (options.isolation == "none" ? .none : .process),
            workerCommand: swarm
                ? [CommandLine.arguments[0], "swarm", "\(options.swarm)"] : HighThroughputExecutor.defaultWorkerCommand,
            encrypted: options.encrypted
        ),
        provider: LocalProvider(configuration: .init(logDirectory: runRoot + "/local"))
    )
    htex = made
    executor = made
} else {
    executor = ThreadPoolExecutor(configuration: .init(label: "threads", maxThreads: options.workers))
}

let kernel = try await DataFlowKernel(
    configuration: .init(
        executors: [executor],
        runDirectory: runRoot,
        checkpointMode: options.checkpoint ? .taskExit : nil,
        monitoring: options.monitoring,
        workflowName: "runtime-bench"
    ),
    apps: apps
)

// With simulated workers, measure once all of them have joined.
if options.swarm > 0, let htex {
    let joinStart = monotonicNanos()
    while htex.connectedWorkers < options.swarm {
        if monotonicNanos() - joinStart > 120_000_000_000 { fail("only \(htex.connectedWorkers) of \(options.swarm) simulated workers joined") }
        try await Task.sleep(for: .milliseconds(20))
    }
    FileHandle.standardError.write(
        Data("runtime-bench: \(options.swarm) simulated workers joined in \(Double(monotonicNanos() - joinStart) / 1e9) s\n".utf8))
}
// Warm-up outside the measurement.
for i in 0..<min(1000, options.tasks) { _ = try await kernel.submit(noop, -1 - i).value }

let sampler = LatencySampler()
let startCPU = processCPUSeconds()
let start = monotonicNanos()
var p50 = 0.0
var p99 = 0.0
if options.sequential {
    var latencies: [UInt64] = []
    latencies.reserveCapacity(options.tasks)
    let body: [UInt8] = Array(repeating: 7, count: options.payloadBytes)
    for i in 0..<options.tasks {
        let t0 = monotonicNanos()
        if options.payloadBytes > 0 {
            _ = try await kernel.submit(payload, body + [UInt8(truncatingIfNeeded: i)]).value
        } else {
            _ = try await kernel.submit(noop, i).value
        }
        latencies.append(monotonicNanos() - t0)
    }
    latencies.sort()
    p50 = Double(latencies[latencies.count / 2]) / 1000
    p99 = Double(latencies[min(latencies.count - 1, latencies.count * 99 / 100)]) / 1000
} else {
    switch options.dependencies {
    case "chain":
        var previous = kernel.submit(noop, 0)
        for i in 1..<options.tasks {
            let t0 = monotonicNanos()
            previous = kernel.submit(noop, after: previous)
            if i % 8 == 0 { sampler.record(previous, submittedAt: t0) }
        }
        _ = try await previous.value
    case "fanin":
        // A chain of fan-ins: 8 tasks depend on the previous aggregate, and the next aggregate gathers them.
        var aggregate = kernel.submit(noop, 0)
        var submitted = 1
        while submitted < options.tasks {
            let width = min(8, options.tasks - submitted - 1)
            if width <= 0 { break }
            let before = aggregate
            let parts = (0..<width).map { _ in kernel.submit(noop, after: before) }
            let t0 = monotonicNanos()
            let counted = kernel.submit(gather, gathering: parts)
            sampler.record(counted, submittedAt: t0)
            aggregate = kernel.submit(noop, after: counted)
            submitted += width + 2
        }
        _ = try await aggregate.value
        await kernel.waitForCurrentTasks()
    default:
        var futures: [AppFuture<Int>] = []
        futures.reserveCapacity(options.tasks)
        let body: [UInt8] = Array(repeating: 7, count: options.payloadBytes)
        for i in 0..<options.tasks {
            let t0 = monotonicNanos()
            if options.payloadBytes > 0 {
                let f = kernel.submit(payload, body + [UInt8(truncatingIfNeeded: i)])
                if i % 8 == 0 { sampler.record(f, submittedAt: t0) }
            } else if options.producedFiles {
                let f = kernel.submit(tile, i)
                if i % 8 == 0 { sampler.record(f, submittedAt: t0) }
            } else {
                let f = kernel.submit(noop, i)
                if i % 8 == 0 { sampler.record(f, submittedAt: t0) }
                futures.append(f)
            }
        }
        await kernel.waitForCurrentTasks()
    }
    (p50, p99) = sampler.percentiles()
}
let seconds = Double(monotonicNanos() - start) / 1e9
let measuredCPU = processCPUSeconds() - startCPU
let summary = kernel.summary
await kernel.shutdown()
// Including shutdown: what the background writers (monitoring, checkpoints) still had to do.
let totalCPU = processCPUSeconds() - startCPU

let failures = summary.failed + summary.dependencyFailed
if failures > 0 { fail("\(failures) tasks failed") }
let result: [String: any Sendable] = [
    "executor": options.executor,
    "tasks": options.tasks,
    "workers": options.workers,
    "dependencies": options.dependencies,
    "monitoring": options.monitoring,
    "checkpoint": options.checkpoint,
    "sequential": options.sequential,
    "payload_bytes": options.payloadBytes,
    "encrypted": options.executor == "htex" && options.encrypted,
    "simulated_workers": options.swarm,
    "produced_files": options.producedFiles,
    "seconds": (seconds * 1e4).rounded() / 1e4,
    "tasks_per_second": (Double(options.tasks) / seconds).rounded(),
    "p50_us": (p50 * 10).rounded() / 10,
    "p99_us": (p99 * 10).rounded() / 10,
    "peak_rss_mb": (peakRSSMegabytes() * 10).rounded() / 10,
    "cpu_seconds": (measuredCPU * 1e3).rounded() / 1e3,
    "cpu_seconds_with_shutdown": (totalCPU * 1e3).rounded() / 1e3,
    "cpu_us_per_task": (measuredCPU / Double(max(1, options.tasks)) * 1e6 * 100).rounded() / 100,
    "cpu_us_per_task_with_shutdown": (totalCPU / Double(max(1, options.tasks)) * 1e6 * 100).rounded() / 100,
]
var output = result
if let writerCPU = kernel.monitoringWriterCPUSeconds {
    // The monitoring writer thread's own CPU (warm-up included): steadier than the process's under load.
    output["monitoring_writer_cpu_us_per_task"] = (writerCPU / Double(max(1, options.tasks)) * 1e6 * 100).rounded() / 100
}
if options.payloadBytes > 0 {
    output["megabytes_per_second_each_way"] = (Double(options.tasks * options.payloadBytes) / seconds / 1e6 * 10).rounded() / 10
}
let json = try JSONSerialization.data(withJSONObject: output, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
