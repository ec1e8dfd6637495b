import DataflowJSON
import Foundation

extension SlurmProvider {
    /// Reads `{"class": "SlurmProvider", ...}` or the `slurm` section of an executor, with Parsl's option
    /// names: `partition`, `account`, `qos`, `constraint`, `exclusive`, `nodes_per_block`, `cores_per_node`,
    /// `mem_per_node` (GB), `walltime`, `scheduler_options` (a string of `#SBATCH` lines, or a list of them),
    /// `worker_init`, `cmd_timeout`, `init_blocks`, `min_blocks`, `max_blocks`, `parallelism`, `launcher`
    /// (`"SrunLauncher"`, `"SingleNodeLauncher"`, or `{"class": "SrunLauncher", "overrides": "…"}` /
    /// `{"class": "SingleNodeLauncher", "fail_on_any": true}`), plus `label`, `job_name`, `script_dir`
    /// (default `<run_dir>/slurm`), `orphan_policy` (`cancel`/`report`), `secret_delivery` (`file`/`export`),
    /// `status_polling_interval`, `cancel_timeout` and `address_by_interface`.
    ///
    /// `runner` overrides how Slurm commands run (tests pass recorded answers).
    public static func configurationFactory(runner: @escaping CommandRunner.Run = CommandRunner.system) -> ProviderFactory {
        { object, context in
            SlurmProvider(configuration: try configuration(from: object, runDirectory: context.runDirectory), runner: runner)
        }
    }

    /// Reads the ``Configuration`` keys of a provider object; `runDirectory` is the default home of `script_dir`.
    public static func configuration(from o: ConfigurationObject, runDirectory: String) throws -> Configuration {
        let d = Configuration()
        let c = Configuration(
            label: try o.string("label") ?? d.label,
            partition: try nonEmpty(o, "partition"),
            account: try nonEmpty(o, "account"),
            qos: try nonEmpty(o, "qos"),
            constraint: try nonEmpty(o, "constraint"),
            exclusive: try o.bool("exclusive") ?? d.exclusive,
            nodesPerBlock: try o.int("nodes_per_block", minimum: 1) ?? d.nodesPerBlock,
            coresPerNode: try o.int("cores_per_node", minimum: 1),
            memPerNode: try o.int("mem_per_node", minimum: 1),
            walltime: try o.string("walltime") ?? d.walltime,
            schedulerOptions: try schedulerOptions(o),
            workerInit: try o.string("worker_init") ?? d.workerInit,
            launcher: try launcher(o) ?? d.launcher,
            cmdTimeout: try positive(o, "cmd_timeout") ?? d.cmdTimeout,
            initBlocks: try o.int("init_blocks", minimum: 0) ?? d.initBlocks,
            minBlocks: try o.int("min_blocks", minimum: 0) ?? d.minBlocks,
            maxBlocks: try o.int("max_blocks", minimum: 0) ?? d.maxBlocks,
            parallelism: try o.double("parallelism") ?? d.parallelism,
            jobName: try o.string("job_name") ?? d.jobName,
            scriptDirectory: try o.string("script_dir") ?? "\(runDirectory)/slurm",
            orphanPolicy: try o.choice("orphan_policy", Configuration.OrphanPolicy.allCases.map(\.rawValue)).flatMap(Configuration.OrphanPolicy.init)
                ?? d.orphanPolicy,
            secretDelivery: try o.choice("secret_delivery", Configuration.SecretDelivery.allCases.map(\.rawValue)).flatMap(Configuration.SecretDelivery.init)
                ?? d.secretDelivery,
            statusPollingInterval: try nonNegative(o, "status_polling_interval") ?? d.statusPollingInterval,
            cancelTimeout: try nonNegative(o, "cancel_timeout") ?? d.cancelTimeout,
            addressByInterface: try nonEmpty(o, "address_by_interface")
        )
        if let problem = c.problem {
            throw ConfigurationError(.invalidValue, "\(o.source): '\(o.path)': \(problem)")
        }
        return c
    }

    private static func nonEmpty(_ o: ConfigurationObject, _ key: String) throws -> String? {
        guard let text = try o.string(key) else { return nil }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ConfigurationError(.invalidValue, "\(o.source): '\(o.path).\(key)' must not be empty (leave it out for the cluster's default)")
        }
        return text
    }

    private static func positive(_ o: ConfigurationObject, _ key: String) throws -> Double? {
        guard let value = try o.double(key) else { return nil }
        guard value > 0 else { throw ConfigurationError(.invalidValue, "\(o.source): '\(o.path).\(key)' must be more than 0, not \(value)") }
        return value
    }

    private static func nonNegative(_ o: ConfigurationObject, _ key: String) throws -> Double? {
        guard let value = try o.double(key) else { return nil }
        guard value >= 0 else { throw ConfigurationError(.invalidValue, "\(o.source): '\(o.path).\(key)' must be at least 0, not \(value)") }
        return value
    }

    /// A string of lines, or a list of lines.
    private static func schedulerOptions(_ o: ConfigurationObject) throws -> String {
        switch o.value("scheduler_options") {
        case nil: return ""
        case .string(let text)?: return text
        case .array?: return (try o.strings("scheduler_options") ?? []).joined(separator: "\n")
        case let other?:
            throw ConfigurationError(
                .invalidValue, "\(o.source): '\(o.path).scheduler_options' must be a string of #SBATCH lines or a list of them, not \(other.kindName)")
        }
    }

    private static func launcher(_ o: ConfigurationObject) throws -> (any Launcher)? {
        let known = ["SrunLauncher", "SingleNodeLauncher"]
        switch o.value("launcher") {
        case nil:
            return nil
        case .string(let name)?:
            switch name {
            case "SrunLauncher": return SrunLauncher()
            case "SingleNodeLauncher": return SingleNodeLauncher()
            default:
                throw ConfigurationError(.invalidValue, "\(o.source): '\(o.path).launcher' must be one of \(known.joined(separator: ", ")), not '\(name)'")
            }
        case .object?:
            guard let entry = try o.object("launcher") else { return nil }
            let launcher: any Launcher
            switch try entry.choice("class", known) {
            case "SrunLauncher": launcher = SrunLauncher(overrides: try entry.string("overrides") ?? "")
            case "SingleNodeLauncher": launcher = SingleNodeLauncher(failOnAny: try entry.bool("fail_on_any") ?? false)
            default: throw ConfigurationError(.invalidValue, "\(o.source): '\(o.path).launcher.class' is required: one of \(known.joined(separator: ", "))")
            }
            entry.allow(["debug"])  // Parsl's launchers take `debug`; the script here always says what it does
            try entry.finish()
            return launcher
        case let other?:
            throw ConfigurationError(.invalidValue, "\(o.source): '\(o.path).launcher' must be a launcher name or object, not \(other.kindName)")
        }
    }
}
