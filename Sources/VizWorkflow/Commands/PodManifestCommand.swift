import ArgumentParser
import Dataflow
import Foundation

/// `viz-workflow pod-manifest`: prints the worker pod the KubernetesProvider would create, from the
/// `kubernetes` section of `parsl_config.json`, for review or for `kubectl apply --dry-run=server`.
struct PodManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pod-manifest",
        abstract: "Print the worker pod manifest the Kubernetes provider would create."
    )

    @Option(help: "Directory with parsl_config.json.")
    var parameters: String = "parameters"

    @Option(help: "The interchange address workers would dial (HOST:PORT).")
    var address: String = "LEADER_POD_IP:54000"

    @Option(help: "Block id to show.")
    var blockID: String = "0"

    func run() throws {
        let file = ParametersDirectory(path: parameters).runtimeFile
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        let root = try ConfigurationObject(JSONValue.parse(data, source: file), source: file)
        root.allowAll()
        guard let executors = try root.objects("executors"),
            let htex = try executors.first(where: { try $0.string("class") == "HighThroughputExecutor" })
        else { throw ValidationError("\(file) has no HighThroughputExecutor") }
        htex.allowAll()
        guard let section = try htex.object("kubernetes") ?? htex.object("provider") else {
            throw ValidationError("\(file): the HighThroughputExecutor has no `kubernetes` section (see docs/kubernetes.md)")
        }
        _ = try section.string("class")
        let configuration = try KubernetesProvider.configuration(from: section)
        // The worker options exactly as the executor would pass them (encryption, timeouts, prefetch ...).
        let executor = try HighThroughputExecutor.configuration(from: htex)
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw ValidationError("--address must be HOST:PORT, not '\(address)'")
        }
        let worker = executor.workerConfiguration(host: String(address[..<colon]), port: port, blockID: blockID)
        let manifest = try KubernetesProvider.renderWorkerPodManifest(
            configuration: configuration,
            command: ["viz-workflow", "worker"] + worker.arguments,
            environment: [Authenticator.environmentVariable: ""],
            blockID: blockID
        )
        print(manifest)
    }
}
