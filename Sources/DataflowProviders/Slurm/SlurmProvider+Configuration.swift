import Foundation

extension SlurmProvider {
    /// Options with the names of Parsl's `SlurmProvider` (docs/slurm.md lists the JSON keys). Defaults are
    /// Parsl's, except the launcher (``SrunLauncher``, which also serves blocks of several nodes).
    public struct Configuration: Sendable {
        /// What to do at the first submission with jobs of an earlier leader of the same ``jobName``.
        public enum OrphanPolicy: String, Sendable, Hashable, CaseIterable {
            /// Cancel them with `scancel` (the default): their workers would only wait for a leader that is gone.
            case cancel
            /// Only report them (their job ids go to the message handler and ``SlurmProvider/orphans``).
            case report
        }

        /// How the run secret (the executor's `environment`) reaches the job without appearing in the batch
        /// script or on any command line.
        public enum SecretDelivery: String, Sendable, Hashable, CaseIterable {
            /// A file readable only by the user (mode 0600, `<scriptDirectory>/<job name prefix>.env`) that the
            /// batch script sources; the default. Needs ``scriptDirectory`` on a file system the compute nodes
            /// share, as the worker binary and the data are anyway. Removed at shutdown.
            case file
            /// The environment of the `sbatch` process with `--export=ALL`: Slurm stores it with the job
            /// (readable by root and SlurmUser only) and hands it to the job. Use it when the compute nodes do
            /// not see ``scriptDirectory``; avoid it where the site keeps job environments in the accounting
            /// database (`AccountingStoreFlags=job_env`), since `sacct --env-vars` shows them.
            case export
        }

        /// Names the provider in logs. Default `"slurm"`.
        public var label: String
        /// `#SBATCH --partition` (Parsl `partition`); `nil` takes the cluster's default partition.
        public var partition: String?
        /// `#SBATCH --account`, the allocation charged (Parsl `account`); `nil` takes the user's default.
        public var account: String?
        /// `#SBATCH --qos` (Parsl `qos`).
        public var qos: String?
        /// `#SBATCH --constraint`, node features such as `"cpu"` or `"a100"` (Parsl `constraint`).
        public var constraint: String?
        /// `#SBATCH --exclusive`: whole nodes, shared with no other job (Parsl `exclusive`). Default true.
        public var exclusive: Bool
        /// Nodes per block, one job of that many nodes (Parsl `nodes_per_block`). Default 1.
        public var nodesPerBlock: Int
        /// Cores per node, `#SBATCH --cpus-per-task` with one task per node (Parsl `cores_per_node`); `nil`
        /// asks for nothing (the whole node with ``exclusive``).
        public var coresPerNode: Int?
        /// Memory per node in GB, `#SBATCH --mem=<n>g` (Parsl `mem_per_node`); `nil` asks for nothing.
        public var memPerNode: Int?
        /// Time limit of each block, `"HH:MM:SS"` (also `"D-HH:MM:SS"` or minutes, as `sbatch --time` takes;
        /// Parsl `walltime`). When it runs out Slurm ends the job (TIMEOUT) and its running tasks are retried
        /// on other blocks. Default `"00:10:00"`.
        public var walltime: String
        /// Extra `#SBATCH` lines, after the ones above so they can override them (Parsl `scheduler_options`).
        public var schedulerOptions: String
        /// Shell text the batch script runs before the workers start, e.g. `module load gdal` (Parsl
        /// `worker_init`). A failing `exit` here fails the block with the script's stderr as the reason.
        public var workerInit: String
        /// How the workers start inside the allocation (Parsl `launcher`). Default ``SrunLauncher``.
        public var launcher: any Launcher
        /// Seconds each Slurm command may take before it is killed (Parsl `cmd_timeout`). Default 10.
        public var cmdTimeout: Double
        /// Parsl `init_blocks`. Default 1.
        public var initBlocks: Int
        /// Parsl `min_blocks`. Default 0.
        public var minBlocks: Int
        /// Parsl `max_blocks`. Default 1.
        public var maxBlocks: Int
        /// Parsl `parallelism`. Default 1.
        public var parallelism: Double
        /// The first part of every job name, identifying this workflow's runs in `squeue` (jobs are named
        /// `<jobName>-<instance>-block-<id>`) and used to find jobs an earlier leader left. Letters, digits,
        /// `.`, `_` and `-`. Default `"viz-workflow"`; give concurrent runs of one user different names.
        public var jobName: String
        /// Where batch scripts, job output and the secret file go (Parsl's `script_dir`); the configuration
        /// file reader passes `<run_dir>/slurm`. Made absolute against the working directory at the first
        /// submission. Default `"runinfo/slurm"`.
        public var scriptDirectory: String
        /// Jobs of an earlier leader found by name at the first submission. Default ``OrphanPolicy/cancel``.
        public var orphanPolicy: OrphanPolicy
        /// How the run secret reaches the job. Default ``SecretDelivery/file``.
        public var secretDelivery: SecretDelivery
        /// Least seconds between two `squeue` calls; a status asked for sooner is answered from the last one,
        /// unless it asks about a job that one did not cover (Parsl `status_polling_interval`, 60 there).
        /// Default 10.
        public var statusPollingInterval: Double
        /// Seconds ``SlurmProvider/cancel(jobIDs:)`` waits after `scancel` until the jobs have left the queue
        /// (`COMPLETING` included). Default 30.
        public var cancelTimeout: Double
        /// The network interface whose IPv4 address workers dial (Parsl `address_by_interface`, e.g. `"ib0"`);
        /// the program that builds the executor applies it (``SlurmProvider/interchangeAddress()``). `nil`:
        /// the command line's `--address`, else this host's name.
        public var addressByInterface: String?

        /// Creates a configuration; counts are clamped into range as in ``LocalProvider``.
        public init(
            label: String = "slurm",
            partition: String? = nil,
            account: String? = nil,
            qos: String? = nil,
            constraint: String? = nil,
            exclusive: Bool = true,
            nodesPerBlock: Int = 1,
            coresPerNode: Int? = nil,
            memPerNode: Int? = nil,
            walltime: String = "00:10:00",
            schedulerOptions: String = "",
            workerInit: String = "",
            launcher: any Launcher = SrunLauncher(),
            cmdTimeout: Double = 10,
            initBlocks: Int = 1,
            minBlocks: Int = 0,
            maxBlocks: Int = 1,
            parallelism: Double = 1,
            jobName: String = "viz-workflow",
            scriptDirectory: String = "runinfo/slurm",
            orphanPolicy: OrphanPolicy = .cancel,
            secretDelivery: SecretDelivery = .file,
            statusPollingInterval: Double = 10,
            cancelTimeout: Double = 30,
            addressByInterface: String? = nil
        ) {
            self.label = label
            self.partition = partition
            self.account = account
            self.qos = qos
            self.constraint = constraint
            self.exclusive = exclusive
            self.nodesPerBlock = Swift.max(1, nodesPerBlock)
            self.coresPerNode = coresPerNode.map { Swift.max(1, $0) }
            self.memPerNode = memPerNode.map { Swift.max(1, $0) }
            self.walltime = walltime
            self.schedulerOptions = schedulerOptions
            self.workerInit = workerInit
            self.launcher = launcher
            self.cmdTimeout = Swift.max(0.1, cmdTimeout)
            self.initBlocks = Swift.max(0, initBlocks)
            self.minBlocks = Swift.max(0, minBlocks)
            self.maxBlocks = Swift.max(self.minBlocks, maxBlocks)
            self.parallelism = Swift.min(1, Swift.max(0, parallelism))
            self.jobName = jobName
            self.scriptDirectory = scriptDirectory
            self.orphanPolicy = orphanPolicy
            self.secretDelivery = secretDelivery
            self.statusPollingInterval = Swift.max(0, statusPollingInterval)
            self.cancelTimeout = Swift.max(0, cancelTimeout)
            self.addressByInterface = addressByInterface
        }

        /// Why this configuration cannot make a batch script, or `nil` when it can: a malformed ``walltime``,
        /// a ``jobName`` with characters Slurm or a file name would mangle, ``schedulerOptions`` lines that are
        /// not `#SBATCH` directives.
        public var problem: String? {
            if Self.walltimeMinutes(walltime) == nil {
                return "walltime '\(walltime)' is not HH:MM:SS (or D-HH:MM:SS, MM:SS, or minutes)"
            }
            if jobName.isEmpty || !jobName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) {
                return "job_name '\(jobName)' must be letters, digits, '.', '_' and '-'"
            }
            for line in schedulerOptions.split(whereSeparator: \.isNewline) {
                let text = line.trimmingCharacters(in: .whitespaces)
                if !text.isEmpty && !text.hasPrefix("#") {
                    return "scheduler_options holds '#SBATCH …' lines only, not '\(text)' (shell commands go in worker_init)"
                }
            }
            return nil
        }

        /// The minutes in a Slurm time limit (`MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`),
        /// rounded up as Slurm does; `nil` if it is none of these.
        public static func walltimeMinutes(_ text: String) -> Int? {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            var days = 0
            var rest = Substring(trimmed)
            if let dash = trimmed.firstIndex(of: "-") {
                guard let d = Int(trimmed[..<dash]), d >= 0 else { return nil }
                days = d
                rest = trimmed[trimmed.index(after: dash)...]
            }
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
            let n = parts.map { $0! }
            var seconds: Int
            if trimmed.contains("-") {
                // D-HH, D-HH:MM, D-HH:MM:SS
                seconds = n[0] * 3600 + (n.count > 1 ? n[1] * 60 : 0) + (n.count > 2 ? n[2] : 0)
                seconds += days * 86400
            } else {
                switch n.count {
                case 1: seconds = n[0] * 60
                case 2: seconds = n[0] * 60 + n[1]
                default: seconds = n[0] * 3600 + n[1] * 60 + n[2]
                }
            }
            guard seconds > 0 else { return nil }
            return (seconds + 59) / 60
        }
    }
}
