import ArgumentParser
import Dataflow
import Foundation
import PDGTiling
import PDGTilingApps

/// `viz-workflow run`: the leader. Loads `parameters/`, starts the executor and its provider, and runs the
/// whole pipeline; re-running after a crash redoes only unfinished work.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the whole tiling pipeline as the leader (local worker processes by default)."
    )

    @Option(help: "Directory with workflow_config.json and parsl_config.json.")
    var parameters: String = "parameters"

    @Option(help: "Worker processes per node (overrides max_workers_per_node / max_threads).")
    var workers: Int?

    @Flag(help: "Start clean: do not reuse results checkpointed by earlier runs.")
    var restart = false

    @Option(
        help: "Provider for worker blocks: local (the default), kubernetes or slurm (the kubernetes or slurm section of parsl_config.json)."
    )
    var provider: String?

    @Option(help: "The interchange address workers dial (default: from parsl_config.json; with slurm, this host's name).")
    var address: String?

    @Option(help: "Workers dial the IPv4 address of this network interface, e.g. ib0 (Parsl's address_by_interface).")
    var addressInterface: String?

    @Option(help: "A JSON file listing the input files (an array of paths, relative ones under dir_input) instead of scanning dir_input.")
    var inputs: String?

    @Option(help: "Base URL written into WMTSCapabilities.xml (the config's title and doi are used as they are).")
    var baseURL: String?

    @Flag(help: "Refuse workflow_config.json when it has unknown keys or keys of features not made here (3D tiles), instead of warning.")
    var strict = false

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if let provider, !["local", "kubernetes", "slurm"].contains(provider) {
            throw ValidationError("--provider must be local, kubernetes or slurm, not '\(provider)'")
        }
        if address != nil, addressInterface != nil { throw ValidationError("give --address or --address-interface, not both") }
    }

    func run() async throws {
        let files = ParametersDirectory(path: parameters)
        let workflow = try files.workflowConfiguration(strict: strict)
        var settings = try files.runtimeConfiguration(workers: workers, address: address, addressInterface: addressInterface, provider: provider)
        if restart { settings.kernel.checkpointFiles = [] }
        if let baseURL { settings.plan.wmtsBaseURL = baseURL }
        if let inputs { settings.plan.inputList = inputs }

        for case let executor as HighThroughputExecutor in settings.kernel.executors { Self.reportBlockTrouble(of: executor) }
        if let storage = settings.kernel.storage {
            // This process's outputs, and its local workers' (they inherit the environment), follow the setting.
            setenv(StorageKind.environmentVariable, storage.rawValue, 1)
        }
        let (registry, apps) = try TilingApps.registry()
        let kernel = try await DataFlowKernel(configuration: settings.kernel, apps: registry)
        FileHandle.standardError.write(
            Data(
                "viz-workflow: run \(kernel.runID) in \(kernel.runDirectory) (storage: \(kernel.storage.rawValue)); \(kernel.checkpointLoadReport.records) results reused from earlier runs\n"
                    .utf8))
        let progress = ProgressReporter()
        // Child tasks of this scope, ended by shutdown() and stop() (or cancelled and awaited if it throws).
        async let kernelDuties: Void = kernel.run()
        async let progressTicks: Void = progress.run()
        let plan = TilingWorkflowPlan(kernel: kernel, apps: apps, workflow: workflow, configuration: settings.plan, progress: progress)
        let report: TilingWorkflowPlan.Report
        do {
            report = try await plan.run()
        } catch {
            progress.stop()
            await kernel.shutdown(waitForTasks: false)
            throw error
        }
        progress.stop()
        await kernel.shutdown()
        await kernelDuties
        await progressTicks
        print(RunSummary(report: report, kernel: kernel, workflow: workflow).text)
        if !report.failures.isEmpty { throw ExitCode(1) }
    }

    /// Says on standard error when a block of workers fails (with its reason: exit status and stderr tail,
    /// or the pod's reason), why a block waits (a batch queue's pending reason, a pod's), and when the executor
    /// gives up on its blocks, as it happens.
    static func reportBlockTrouble(of executor: HighThroughputExecutor) {
        executor.onEvent { event in
            let line: String
            switch event {
            case .block(.blockStatusChanged(let block, let status)) where (status.state == .pending || status.state == .held) && status.message != nil:
                line = "viz-workflow: \(executor.label) block \(block) \(status)"
            case .block(.blockStatusChanged(let block, let status)) where status.state == .failed || status.state == .timeout || status.state == .missing:
                line = "viz-workflow: \(executor.label) block \(block) \(status)"
            case .block(.badState(let error)):
                line = "viz-workflow: giving up on workers: \(error)"
            default:
                return
            }
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
