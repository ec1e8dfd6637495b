import DataflowJSON
import DataflowStorage
import Foundation

extension DataFlowKernel.Configuration {
    /// Builds an executor from its JSON object in a configuration file. The object's `class` key chose the
    /// factory; the factory reads the other keys (and must leave none unread).
    public typealias ExecutorFactory = (ConfigurationObject, FileContext) throws -> any ExecutionBackend

    /// What an executor factory may need from the rest of the file.
    public typealias FileContext = ConfigurationFileContext

    /// The executor classes known without registering anything: `ThreadPoolExecutor`.
    public static var builtInExecutors: [String: ExecutorFactory] {
        [
            "ThreadPoolExecutor": { object, _ in
                let defaults = ThreadPoolExecutor.Configuration()
                return ThreadPoolExecutor(
                    configuration: .init(
                        label: try object.string("label") ?? defaults.label,
                        maxThreads: try object.int("max_threads", minimum: 1) ?? defaults.maxThreads
                    )
                )
            }
        ]
    }

    /// Reads a configuration file with Parsl's option names (e.g. `parameters/parsl_config.json`):
    ///
    /// ```json
    /// { "run_dir": "runinfo", "retries": 2, "app_cache": true,
    ///   "checkpoint_mode": "task_exit", "monitoring": true, "file_fingerprint": "metadata", "storage": "auto",
    ///   "executors": [ { "class": "ThreadPoolExecutor", "label": "threads", "max_threads": 4 } ] }
    /// ```
    ///
    /// Unknown keys, wrong types and bad values are errors that name the file and the key. Keys starting
    /// with `_` are comments. Keys this function does not read (e.g. another component's section) can be
    /// listed in `allowing`.
    public static func load(
        path: String,
        executorFactories: [String: ExecutorFactory] = builtInExecutors,
        allowing otherKeys: [String] = []
    ) throws -> DataFlowKernel.Configuration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataflowError(.invalidConfiguration, "cannot read configuration file \(path)")
        }
        let root = try ConfigurationObject(JSONValue.parse(data, source: path), source: path)
        root.allow(otherKeys)
        var configuration = DataFlowKernel.Configuration()
        if let runDir = try root.string("run_dir") { configuration.runDirectory = runDir }
        if let retries = try root.int("retries", minimum: 0) { configuration.retries = retries }
        if let appCache = try root.bool("app_cache") { configuration.appCache = appCache }
        if let monitoring = try root.bool("monitoring") { configuration.monitoring = monitoring }
        if let name = try root.string("workflow_name") { configuration.workflowName = name }
        if let version = try root.string("workflow_version") { configuration.workflowVersion = version }
        configuration.checkpointFiles = try root.strings("checkpoint_files")
        switch try root.choice("storage", ["auto", "posix", "object"]) {
        case "posix": configuration.storage = .posix
        case "object": configuration.storage = .object
        default: configuration.storage = nil
        }
        if let seconds = try root.double("checkpoint_segment_seconds") {
            guard seconds > 0, seconds <= 3600 else {
                throw DataflowError(.invalidConfiguration, "\(path): 'checkpoint_segment_seconds' must be in (0, 3600], not \(seconds)")
            }
            configuration.checkpointSegmentInterval = .milliseconds(Int(seconds * 1000))
        }
        if let seconds = try root.double("monitoring_snapshot_seconds") {
            guard seconds >= 1, seconds <= 3600 else {
                throw DataflowError(.invalidConfiguration, "\(path): 'monitoring_snapshot_seconds' must be in [1, 3600], not \(seconds)")
            }
            configuration.monitoringSnapshotInterval = .milliseconds(Int(seconds * 1000))
        }
        switch try root.choice("file_fingerprint", ["metadata", "content_hash"]) {
        case "content_hash": configuration.fileFingerprint = .contentHash
        default: break
        }

        let period = try root.string("checkpoint_period").map { try parsePeriod($0, source: path) }
        switch try root.choice("checkpoint_mode", ["task_exit", "periodic", "dfk_exit", "manual", "none"]) {
        case "task_exit": configuration.checkpointMode = .taskExit
        case "periodic":
            guard let period else {
                throw DataflowError(.invalidConfiguration, "\(path): 'checkpoint_mode' is 'periodic' but 'checkpoint_period' is not set")
            }
            configuration.checkpointMode = .periodic(period)
        case "dfk_exit": configuration.checkpointMode = .dfkExit
        case "manual": configuration.checkpointMode = .manual
        case "none": configuration.checkpointMode = nil
        default:
            // An explicit null turns checkpointing off, as in Parsl; an absent key keeps the default.
            if root.isNull("checkpoint_mode") { configuration.checkpointMode = nil }
        }

        if let executorObjects = try root.objects("executors") {
            guard !executorObjects.isEmpty else {
                throw DataflowError(.invalidConfiguration, "\(path): 'executors' must list at least one executor")
            }
            configuration.executors = try executorObjects.map { object in
                let className = try object.string("class") ?? "ThreadPoolExecutor"
                guard let factory = executorFactories[className] else {
                    throw DataflowError(
                        .invalidConfiguration,
                        "\(path): '\(object.path).class' is '\(className)'; known executor classes: \(executorFactories.keys.sorted().joined(separator: ", "))"
                    )
                }
                let executor = try factory(object, FileContext(runDirectory: configuration.runDirectory))
                try object.finish()
                return executor
            }
        }
        try root.finish()
        return configuration
    }

    /// Parses Parsl's `"HH:MM:SS"` period.
    static func parsePeriod(_ text: String, source: String) throws -> Duration {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 3, let h = parts[0], let m = parts[1], let s = parts[2], h >= 0, (0..<60).contains(m), (0..<60).contains(s),
            h + m + s > 0
        else {
            throw DataflowError(.invalidConfiguration, "\(source): 'checkpoint_period' must be \"HH:MM:SS\" and positive, not '\(text)'")
        }
        return .seconds(h * 3600 + m * 60 + s)
    }
}
