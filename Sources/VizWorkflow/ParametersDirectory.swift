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

    /// The PDG configuration; its directories resolve against the current directory, as PDG does.
    func workflowConfiguration() throws -> WorkflowConfiguration {
        try WorkflowConfiguration(contentsOf: workflowFile)
            .resolvingPaths(against: FileManager.default.currentDirectoryPath)
    }

    struct RuntimeSettings {
        var kernel: DataFlowKernel.Configuration
        var plan: TilingWorkflowPlan.Configuration
    }

    /// Executors, retries, checkpointing, monitoring, and the `batches` section.
    func runtimeConfiguration(workers: Int?, address: String?, provider: String?) throws -> RuntimeSettings {
        var factories = DataFlowKernel.Configuration.builtInExecutors
        var providers = HighThroughputExecutor.builtInProviders
        providers["KubernetesProvider"] = KubernetesProvider.configurationFactory()
        // The command line wins over the file: --workers, --address, and for pods the pod network.
        let podAddress = provider == "kubernetes" ? (address ?? LeaderPodIdentity.interchangeAddress()) : nil
        factories["HighThroughputExecutor"] = HighThroughputExecutor.configurationFactory(providers: providers, providerSection: provider) { c in
            if let workers { c.maxWorkersPerNode = workers }
            if let address { c.workerAddress = address }
            if let podAddress {
                // Workers are pods: listen on the pod network, and let them dial this pod's IP.
                c.address = "0.0.0.0"
                c.workerAddress = podAddress
            }
        }
        var kernel = try DataFlowKernel.Configuration.load(path: runtimeFile, executorFactories: factories, allowing: ["batches"])
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
