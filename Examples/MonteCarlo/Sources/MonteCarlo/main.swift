import Dataflow
import Foundation

// monte-carlo: neutron transmission through a slab (Transport.swift), as a workflow on worker processes.
//
//   monte-carlo run [--workers N] [--samples N] [--batches N] [--thickness MFP] [--scattering RATIO]
//                   [--seed S] [--run-dir DIR] [--provider local|custom|kubernetes] [--cpus LIST]
//                   [--config parsl_config.json] [--address HOST]
//   monte-carlo pod-manifest [--config parsl_config.json] [--address HOST] [--block-id ID]
//   monte-carlo worker --address HOST:PORT ...      (providers start this; never by hand)
//
// One binary is both the leader and the workers, so both build the app registry with the same function.

// MARK: - The apps

struct Apps {
    var registry: AppRegistry
    /// One batch of neutron histories: independent, cacheable (a re-run answers it from the checkpoint).
    var simulate: App<Batch, Tally>
    /// Fans the batches in.
    var combine: App<[Tally], Estimate>
    /// A bash app: the uncollided transmission exp(-thickness), by awk. Pinned to the leader's threads, so
    /// the file it writes is on the leader's disk whatever runs the workers.
    var uncollided: App<Double, BashResult>
    /// Which process ran a task, on which CPUs.
    var whereAmI: App<Int, WorkerInfo>
}

struct WorkerInfo: Codable, Sendable, Hashable {
    var pid: Int32
    var cpus: String
    var location: String
}

/// The CPUs this thread may run on (`Cpus_allowed_list` of /proc/thread-self/status), e.g. "0-1".
func allowedCPUs() -> String {
    let status = (try? String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
    return line.map { $0.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces) } ?? "?"
}

func makeApps() throws -> Apps {
    var b = AppRegistry.Builder()
    // Errors thrown by app bodies that should reach the leader as themselves, with every field.
    b.register(error: SlabError.self)
    let simulate = b.register("simulate_batch", options: AppOptions(cacheable: true)) { (batch: Batch) throws -> Tally in
        try Transport.simulate(batch)
    }
    let combine = b.register("combine", options: AppOptions(cacheable: true)) { (tallies: [Tally]) in
        Transport.combine(tallies)
    }
    let uncollided = b.bashApp("uncollided", options: AppOptions(executors: ["leader"])) { (thickness: Double) in
        BashCommand("awk -v t=\(thickness) 'BEGIN { printf \"%.6f\\n\", exp(-t) }'")
    }
    let whereAmI = b.register("where_am_i") { (pause: Int, context: TaskContext) async throws -> WorkerInfo in
        try await Task.sleep(for: .milliseconds(pause))  // long enough that every slot gets one
        return WorkerInfo(pid: getpid(), cpus: allowedCPUs(), location: context.location)
    }
    return Apps(registry: try b.build(), simulate: simulate, combine: combine, uncollided: uncollided, whereAmI: whereAmI)
}

// MARK: - Command line

struct Options {
    var command = "run"
    var workers = 2
    var samples = 1_000_000
    var batches = 16
    var thickness = 3.0
    var scattering = 0.5
    var seed: UInt64 = 42
    var runDirectory: String?
    var provider = "local"
    /// CPUs for `--provider custom` (PinnedProvider); default: the last one.
    var cpus = "\(max(0, ProcessInfo.processInfo.activeProcessorCount - 1))"
    var config = "parsl_config.json"
    var address: String?
    var blockID = "0"

    static let usage = """
        usage: monte-carlo run [--workers N] [--samples N] [--batches N] [--thickness MFP] [--scattering RATIO]
                               [--seed S] [--run-dir DIR] [--provider local|custom|kubernetes] [--cpus LIST]
                               [--config FILE] [--address HOST]
               monte-carlo pod-manifest [--config FILE] [--address HOST] [--block-id ID]
               monte-carlo worker --address HOST:PORT ...   (started by providers)
        """

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        if let first = rest.first, !first.hasPrefix("-") {
            command = first
            rest = rest.dropFirst()
        }
        guard ["run", "pod-manifest"].contains(command) else { throw UsageError("unknown command '\(command)'") }
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
            func number<T: LosslessStringConvertible>(_: T.Type) throws -> T {
                guard let n = T(value) else { throw UsageError("\(flag) needs a number, not '\(value)'") }
                return n
            }
            switch flag {
            case "--workers": workers = try number(Int.self)
            case "--samples": samples = try number(Int.self)
            case "--batches": batches = try number(Int.self)
            case "--thickness": thickness = try number(Double.self)
            case "--scattering": scattering = try number(Double.self)
            case "--seed": seed = try number(UInt64.self)
            case "--run-dir": runDirectory = value
            case "--provider": provider = value
            case "--cpus": cpus = value
            case "--config": config = value
            case "--address": address = value
            case "--block-id": blockID = value
            default: throw UsageError("unknown option \(flag)")
            }
        }
        guard workers >= 1, batches >= 1, samples >= batches else { throw UsageError("need --workers ≥ 1 and --samples ≥ --batches ≥ 1") }
        guard ["local", "custom", "kubernetes"].contains(provider) else { throw UsageError("--provider must be local, custom or kubernetes") }
    }
}

struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func say(_ line: String) { print(line) }
func note(_ line: String) { FileHandle.standardError.write(Data("monte-carlo: \(line)\n".utf8)) }

// MARK: - Executors

/// Reads `parsl_config.json`: executors with Parsl's option names, the provider from the `kubernetes`
/// section (or `local`), and the command line's settings on top.
func loadConfiguration(_ options: Options, providerSection: String) throws -> DataFlowKernel.Configuration {
    var providers = HighThroughputExecutor.builtInProviders
    providers["KubernetesProvider"] = KubernetesProvider.configurationFactory()
    var executors = DataFlowKernel.Configuration.builtInExecutors
    let podAddress = providerSection == "kubernetes" ? (options.address ?? LeaderPodIdentity.interchangeAddress()) : options.address
    executors["HighThroughputExecutor"] = HighThroughputExecutor.configurationFactory(providers: providers, providerSection: providerSection) { c in
        c.maxWorkersPerNode = options.workers
        if providerSection == "kubernetes" { c.address = "0.0.0.0" }  // worker pods dial this pod's IP
        if let podAddress { c.workerAddress = podAddress }
    }
    return try DataFlowKernel.Configuration.load(path: options.config, executorFactories: executors)
}

func makeConfiguration(_ options: Options) throws -> DataFlowKernel.Configuration {
    var configuration: DataFlowKernel.Configuration
    if options.provider == "kubernetes" {
        configuration = try loadConfiguration(options, providerSection: "kubernetes")
        if let runDirectory = options.runDirectory { configuration.runDirectory = runDirectory }
    } else {
        let runDirectory = options.runDirectory ?? "runinfo"
        let provider: any ExecutionProvider =
            options.provider == "custom"
            ? PinnedProvider(cpus: options.cpus, logDirectory: "\(runDirectory)/pinned")
            : LocalProvider(configuration: .init(initBlocks: 1, maxBlocks: 1, logDirectory: "\(runDirectory)/local"))
        let htex = HighThroughputExecutor(configuration: .init(maxWorkersPerNode: options.workers), provider: provider)
        configuration = DataFlowKernel.Configuration(
            executors: [htex, ThreadPoolExecutor(configuration: .init(label: "leader", maxThreads: 1))],
            runDirectory: runDirectory
        )
    }
    // A bad slab is a bad input, not bad luck: do not try it again.
    configuration.retries = max(configuration.retries, 2)
    configuration.retryHandler = { error in error.underlying is SlabError ? .fail : .retry }
    configuration.workflowName = "monte-carlo"
    return configuration
}

/// Says on standard error when workers join and when a block of them fails (with the reason).
func report(_ executor: HighThroughputExecutor) {
    executor.onEvent { event in
        switch event {
        case .workerConnected(let id, _, let block, let capacity):
            note("worker \(id) joined (block \(block), \(capacity) slot\(capacity == 1 ? "" : "s"))")
        case .workerLost(let id, _, _, let reason):
            note("worker \(id) lost: \(reason)")
        case .block(.blockStatusChanged(let block, let status)) where [.failed, .timeout, .missing].contains(status.state):
            note("block \(block) \(status)")
        case .block(.badState(let error)):
            note("giving up on workers: \(error)")
        default:
            break
        }
    }
}

// MARK: - The leader

func run(_ options: Options, apps: Apps) async throws -> Int32 {
    let started = ContinuousClock.now
    let configuration = try makeConfiguration(options)
    let htex = configuration.executors.compactMap { $0 as? HighThroughputExecutor }.first
    if let htex { report(htex) }
    let kernel = try await DataFlowKernel(configuration: configuration, apps: apps.registry)
    // Periodic checkpoints (if parsl_config.json asks for them) run here until `shutdown()`.
    async let kernelDuties: Void = kernel.run()
    let per = options.samples / options.batches
    say(
        "monte-carlo: \(options.samples) neutrons through a slab \(options.thickness) mean free paths thick, scattering ratio \(options.scattering), in \(options.batches) batches, seed \(options.seed)"
    )
    say(
        "monte-carlo: run directory \(kernel.runDirectory); executor \(htex?.label ?? "-") with provider \(htex?.provider.label ?? "-"), \(options.workers) workers per node; \(kernel.checkpointLoadReport.records) results on file from earlier runs"
    )

    // N independent batches, fanned in by one reducer. The last batch takes the remainder.
    let batches = (0..<options.batches).map { i in
        Batch(
            index: i, seed: options.seed, histories: i == options.batches - 1 ? options.samples - per * (options.batches - 1) : per,
            thickness: options.thickness, scatteringRatio: options.scattering
        )
    }
    let tallies = batches.map { kernel.submit(apps.simulate, $0) }
    let estimate = kernel.submit(apps.combine, gathering: tallies)
    let reference = kernel.submit(apps.uncollided, options.thickness)
    let probes = (0..<2 * options.workers).map { _ in kernel.submit(apps.whereAmI, 300) }

    // A deliberately bad batch: the worker throws SlabError, and it arrives here as a SlabError.
    var bad = batches[0]
    bad.scatteringRatio = 1.5
    let badFuture = kernel.submit(apps.simulate, bad)

    var failures = 0
    do {
        let e = try await estimate.value
        func line(_ name: String, _ f: Estimate.Fraction) -> String {
            "  \(name)  \(String(format: "%.6f ± %.6f", f.value, f.standardError))"
        }
        say("result:")
        say(line("transmitted", e.transmission))
        say(line("reflected  ", e.reflection))
        say(line("absorbed   ", e.absorption))
        say("  collisions per neutron  \(String(format: "%.4f", e.collisionsPerHistory)) (\(e.histories) neutrons, \(e.batches) batches)")
        let file = try await reference.value.stdoutPath
        let text = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        if let uncollided = Double(text) {
            let sigmas = (e.transmission.value - uncollided) / max(e.transmission.standardError, 1e-12)
            say(
                "  uncollided exp(-\(options.thickness)) = \(text) (bash app, awk); transmitted - uncollided = \(String(format: "%+.6f (%+.1f σ)", e.transmission.value - uncollided, sigmas))"
            )
        } else {
            say("  uncollided: the bash app wrote '\(text)' to \(file), not a number")
            failures += 1
        }
    } catch {
        say("monte-carlo: FAILED: \(error)")
        failures += 1
    }

    do {
        let tally = try await badFuture.output
        say("monte-carlo: FAILED: a batch with scatteringRatio 1.5 returned \(tally) instead of throwing")
        failures += 1
    } catch let error as SlabError {
        let location = (await badFuture.result).failureLocation ?? "?"
        say("  a bad batch failed on \(location) and was caught as SlabError: \(error)")
    } catch {
        say("monte-carlo: FAILED: a bad batch threw \(type(of: error)), not SlabError: \(error)")
        failures += 1
    }

    do {
        var infos: [WorkerInfo] = []
        for probe in probes { infos.append(try await probe.value) }
        let pids = Set(infos.map(\.pid)).sorted()
        let cpus = Set(infos.map(\.cpus)).sorted()
        say(
            "  workers: \(pids.count) process\(pids.count == 1 ? "" : "es") (pid \(pids.map(String.init).joined(separator: ", "))) on CPUs \(cpus.joined(separator: " and ")); the leader (pid \(getpid())) on CPUs \(allowedCPUs())"
        )
    } catch {
        say("monte-carlo: FAILED: \(error)")
        failures += 1
    }

    await kernel.shutdown()
    await kernelDuties
    let s = kernel.summary
    let elapsed = ContinuousClock.now - started
    say(
        "monte-carlo: \(s.submitted) tasks: \(s.completed) completed, \(s.memoized) from checkpoints, \(s.failed) failed (1 on purpose), \(s.retries) retries; \(String(format: "%.1f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)) s"
    )
    say("monte-carlo: task states are in \(configuration.runDirectory)/monitoring.db")
    say(failures == 0 ? "monte-carlo: OK" : "monte-carlo: \(failures) check(s) failed")
    return failures == 0 ? 0 : 1
}

extension Result {
    /// Where a failed task ran, from its `TaskError`.
    var failureLocation: String? {
        if case .failure(let error as TaskError) = self { return error.location }
        return nil
    }
}

// MARK: - The worker pod, without a cluster

/// Prints the worker pod the KubernetesProvider would create from `parsl_config.json`: what the leader
/// does at each block submission, but with placeholders for the leader's address and the run secret.
func printPodManifest(_ options: Options) throws {
    var options = options
    options.address = options.address ?? "LEADER_POD_IP"
    let configuration = try loadConfiguration(options, providerSection: "kubernetes")
    guard let htex = configuration.executors.compactMap({ $0 as? HighThroughputExecutor }).first,
        let kubernetes = htex.provider as? KubernetesProvider
    else { throw UsageError("\(options.config) has no HighThroughputExecutor with a kubernetes section") }
    let c = htex.configuration
    // The worker options the executor passes (the interchange port is chosen at start unless worker_port is set).
    let worker = WorkerConfiguration(
        host: c.workerAddress ?? "LEADER_POD_IP", port: c.port == 0 ? 54000 : c.port, blockID: options.blockID,
        maxWorkers: c.maxWorkersPerNode, coresPerWorker: c.coresPerWorker, prefetch: c.prefetchCapacity, isolation: c.isolation,
        connectTimeout: .seconds(max(30, Int(c.heartbeatThreshold.components.seconds))), secret: "unused"
    )
    // In the image the leader is /usr/local/bin/monte-carlo, and so are the workers.
    let command = c.workerCommand == HighThroughputExecutor.defaultWorkerCommand ? ["/usr/local/bin/monte-carlo", "worker"] : c.workerCommand
    print(
        try KubernetesProvider.renderWorkerPodManifest(
            configuration: kubernetes.configuration, command: command + worker.arguments,
            environment: [Authenticator.environmentVariable: ""], blockID: options.blockID
        )
    )
}

// MARK: - Entry point

let apps = try makeApps()
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "worker" {
    // Worker mode: a provider started us as `monte-carlo worker --address HOST:PORT ...`, with the run
    // secret in the environment. Runs tasks until the leader lets go; returns the exit status.
    exit(await WorkerService.run(arguments: Array(arguments.dropFirst()), commandPrefix: ["worker"], apps: apps.registry))
}
do {
    let options = try Options(arguments)
    switch options.command {
    case "pod-manifest":
        try printPodManifest(options)
    default:
        exit(try await run(options, apps: apps))
    }
} catch let error as UsageError {
    note(error.description)
    FileHandle.standardError.write(Data((Options.usage + "\n").utf8))
    exit(64)
} catch {
    note("\(error)")
    exit(1)
}
