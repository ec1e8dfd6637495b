import Foundation

extension SlurmProvider {
    /// What one block's batch script needs besides the configuration.
    public struct BatchScriptRequest: Sendable, Hashable {
        /// The job name (`<jobName>-<instance>-block-<id>`).
        public var jobName: String
        /// The scaler's block id.
        public var blockID: String
        /// The worker command (argv) the executor gave.
        public var command: [String]
        /// Absolute path of the job's standard output (`#SBATCH --output`).
        public var stdoutPath: String
        /// Absolute path of the job's standard error (`#SBATCH --error`).
        public var stderrPath: String
        /// The file the script sources for the run secret (``Configuration/SecretDelivery/file``); `nil` when
        /// the secret comes with the job's environment.
        public var environmentFile: String?

        /// Creates a request.
        public init(jobName: String, blockID: String, command: [String], stdoutPath: String, stderrPath: String, environmentFile: String?) {
            self.jobName = jobName
            self.blockID = blockID
            self.command = command
            self.stdoutPath = stdoutPath
            self.stderrPath = stderrPath
            self.environmentFile = environmentFile
        }
    }

    /// The batch script of one block (a pure function of its inputs, so it can be reviewed and tested):
    /// `#SBATCH` lines from the options, then `scheduler_options`, `worker_init`, the run secret sourced from
    /// its file, and the launcher's text. It never holds the secret itself.
    public static func batchScript(_ c: Configuration, _ request: BatchScriptRequest) -> String {
        let tasksPerNode = 1
        var lines = [
            "#!/bin/bash",
            "# viz-workflow block \(request.blockID), written by SlurmProvider (submitted with sbatch; kept for reading).",
            "# It holds no secret: the run secret reaches the workers "
                + (request.environmentFile == nil ? "through the job's environment (sbatch --export=ALL)." : "from a file only this user can read."),
            "#SBATCH --job-name=\(request.jobName)",
            "#SBATCH --output=\(request.stdoutPath)",
            "#SBATCH --error=\(request.stderrPath)",
            "#SBATCH --nodes=\(c.nodesPerBlock)",
            "#SBATCH --ntasks-per-node=\(tasksPerNode)",
            "#SBATCH --time=\(c.walltime.trimmingCharacters(in: .whitespaces))",
        ]
        if c.exclusive { lines.append("#SBATCH --exclusive") }
        if let partition = c.partition { lines.append("#SBATCH --partition=\(partition)") }
        if let account = c.account { lines.append("#SBATCH --account=\(account)") }
        if let qos = c.qos { lines.append("#SBATCH --qos=\(qos)") }
        if let constraint = c.constraint { lines.append("#SBATCH --constraint=\(constraint)") }
        if let cores = c.coresPerNode { lines.append("#SBATCH --cpus-per-task=\(cores / tasksPerNode)") }
        if let memory = c.memPerNode { lines.append("#SBATCH --mem=\(memory)g") }
        let options = c.schedulerOptions.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if !options.isEmpty {
            lines.append("# scheduler_options")
            lines += options
        }
        lines.append("")
        let initText = c.workerInit.trimmingCharacters(in: .whitespacesAndNewlines)
        if !initText.isEmpty {
            lines += ["# worker_init", initText, ""]
        }
        lines.append("export JOBNAME=\(shellQuoted(request.jobName))")
        if let cores = c.coresPerNode { lines.append("export PARSL_CORES=\(cores / tasksPerNode)") }
        if let memory = c.memPerNode { lines.append("export PARSL_MEMORY_GB=\(memory)") }
        if let file = request.environmentFile {
            let quoted = shellQuoted(file)
            lines += [
                "# The run secret: from a file of mode 0600 on the shared file system, so that neither this script nor",
                "# any command line (squeue, ps) shows it.",
                ". \(quoted) || { printf 'viz-workflow: cannot read the run secret from %s: the script directory must be on a file system this node shares with the leader\\n' \(quoted) >&2; exit 78; }",
            ]
        }
        lines.append("")
        return lines.joined(separator: "\n") + "\n"
            + c.launcher.script(command: request.command, tasksPerNode: tasksPerNode, nodesPerBlock: c.nodesPerBlock)
    }

    /// The secret file's text: one `export NAME='value'` line per variable, sorted by name.
    static func environmentFileText(_ environment: [String: String]) -> String {
        environment.keys.sorted().map { "export \($0)=\(shellQuoted(environment[$0]!))\n" }.joined()
    }
}
