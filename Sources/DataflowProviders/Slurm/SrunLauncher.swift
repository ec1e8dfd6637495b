import Foundation

/// Starts the workers with one `srun` job step across the allocation (Parsl `SrunLauncher`): `tasksPerNode`
/// tasks on every node, output lines labelled with the task number.
///
/// Each task gets every CPU the job holds on its node (`--cpus-per-task` from `SLURM_CPUS_PER_TASK`, else
/// `SLURM_CPUS_ON_NODE`): since Slurm 22.05 a step no longer inherits the job's `--cpus-per-task`, and a
/// worker bound to one core would run its slots on that core only. `overrides` go on the `srun` line as they
/// are (e.g. `"--cpu-bind=none"` or `"--mpi=none"`).
public struct SrunLauncher: Launcher, Hashable {
    /// Extra `srun` options, as shell text (Parsl `overrides`). Default empty.
    public var overrides: String

    /// Creates the launcher.
    public init(overrides: String = "") {
        self.overrides = overrides
    }

    /// `"SrunLauncher"`.
    public var className: String { "SrunLauncher" }

    /// `exec srun --ntasks=N --ntasks-per-node=T --cpus-per-task=… --label [overrides] <command>`.
    public func script(command: [String], tasksPerNode: Int, nodesPerBlock: Int) -> String {
        let tasks = Swift.max(1, tasksPerNode) * Swift.max(1, nodesPerBlock)
        var line = "exec srun --ntasks=\(tasks) --ntasks-per-node=\(Swift.max(1, tasksPerNode))"
        line += " --cpus-per-task=\"${SLURM_CPUS_PER_TASK:-${SLURM_CPUS_ON_NODE:-1}}\" --label"
        let extra = overrides.trimmingCharacters(in: .whitespacesAndNewlines)
        if !extra.isEmpty { line += " " + extra }
        return """
            # SrunLauncher: \(tasks) worker(s), \(Swift.max(1, tasksPerNode)) per node, in one job step.
            \(line) \\
                \(shellCommandLine(command))

            """
    }
}
