import Dataflow
import Foundation
import PDGTiling
import PDGTilingApps

/// The run's configuration files: `workflow_config.json` (PDG keys, unchanged) and `parsl_config.json`
/// (executor, provider and scaling options with Parsl's names, plus batch sizes).
struct ParametersDirectory {
    var path: String

    var workflowFile: String { (path as NSString).appendingPathComponent("workflow_config.json") }
    var runtimeFile: String { (path as NSString).appendingPathComponent("parsl_config.json") }

    /// The PDG configuration; its directories resolve against the current directory, as PDG does. Warnings go to
    /// standard error (errors with `strict`).
    func workflowConfiguration(strict: Bool = false) throws -> WorkflowConfiguration {
        try WorkflowConfigurationLoader.load(workflowFile, strict: strict)
            .resolvingPaths(against: FileManager.default.currentDirectoryPath)
    }

    struct RuntimeSettings {
        var kernel: DataFlowKernel.Configuration
        var plan: TilingWorkflowPlan.Configuration
    }

    /// Executors, retries, checkpointing, monitoring, and the `batches` section. `addressInterface` names the
    /// network interface whose address workers dial (`--address-interface`, Parsl's `address_by_interface`).
    func runtimeConfiguration(workers: Int?, address: String?, addressInterface: String? = nil, provider: String?) throws -> RuntimeSettings {
        var factories = DataFlowKernel.Configuration.builtInExecutors
        var providers = HighThroughputExecutor.builtInProviders
        providers["KubernetesProvider"] = KubernetesProvider.configurationFactory()
        providers["SlurmProvider"] = SlurmProvider.configurationFactory()
        // The command line wins over the file: --workers, --address, and for pods the pod network.
        let podAddress = provider == "kubernetes" ? (address ?? LeaderPodIdentity.interchangeAddress()) : nil
        let interfaceAddress = try addressInterface.map { name in
            guard let found = NetworkInterfaceAddress.ipv4(interface: name) else {
                let known = NetworkInterfaceAddress.addresses().map { "\($0.interface) (\($0.address))" }.joined(separator: ", ")
                throw ConfigurationError(.invalidValue, "--address-interface: no IPv4 address on interface '\(name)'; this host has: \(known)")
            }
            return found
        }
        factories["HighThroughputExecutor"] = HighThroughputExecutor.configurationFactory(providers: providers, providerSection: provider) { c in
            if let workers { c.maxWorkersPerNode = workers }
            if let address = address ?? interfaceAddress { c.workerAddress = address }
            if let podAddress {
                // Workers are pods: listen on the pod network, and let them dial this pod's IP.
                c.address = "0.0.0.0"
                c.workerAddress = podAddress
            }
            if provider == "slurm" {
                // Workers run on compute nodes: listen on every interface; they dial --address, the interface's
                // address, the file's worker_address, or this host's name.
                c.address = "0.0.0.0"
            }
        }
        var kernel = try DataFlowKernel.Configuration.load(path: runtimeFile, executorFactories: factories, allowing: ["batches"])
        if address == nil, interfaceAddress == nil {
            // The slurm section's address_by_interface, when neither the command line nor worker_address said.
            kernel.executors = try kernel.executors.map { executor in
                guard let htex = executor as? HighThroughputExecutor, htex.configuration.workerAddress == nil,
                    let slurm = htex.provider as? SlurmProvider, let dial = try slurm.interchangeAddress()
                else { return executor }
                var c = htex.configuration
                c.workerAddress = dial
                return HighThroughputExecutor(configuration: c, provider: slurm)
            }
        }
        if let workers {
            kernel.executors = kernel.executors.map { executor in
                guard let pool = executor as? ThreadPoolExecutor else { return executor }
                return ThreadPoolExecutor(configuration: .init(label: pool.label, maxThreads: workers))
            }
        }
        kernel.workflowName = kernel.workflowName == "workflow" ? "viz-workflow" : kernel.workflowName
        return RuntimeSettings(kernel: kernel, plan: try batches())
    }

    private func batches() throws -> TilingWorkflowPlan.Configuration {
        guard let data = FileManager.default.contents(atPath: runtimeFile) else { return .init() }
        let root = try ConfigurationObject(JSONValue.parse(data, source: runtimeFile), source: runtimeFile)
        guard let section = try root.object("batches") else { return .init() }
        let defaults = TilingWorkflowPlan.Configuration()
        let plan = TilingWorkflowPlan.Configuration(
            stageFilesPerTask: try section.int("stage_files_per_task", minimum: 1) ?? defaults.stageFilesPerTask,
            mergeTilesPerTask: try section.int("merge_tiles_per_task", minimum: 1) ?? defaults.mergeTilesPerTask,
            rasterizeTilesPerTask: try section.int("rasterize_tiles_per_task", minimum: 1) ?? defaults.rasterizeTilesPerTask,
            parentTilesPerTask: try section.int("parent_tiles_per_task", minimum: 1) ?? defaults.parentTilesPerTask,
            webTilesPerTask: try section.int("web_tiles_per_task", minimum: 1) ?? defaults.webTilesPerTask
        )
        try section.finish()
        return plan
    }
}
