import Foundation

/// How a block's batch script starts the workers inside the job's allocation (Parsl's `Launcher`):
/// ``SrunLauncher`` starts one worker per node through `srun`, ``SingleNodeLauncher`` starts them all on the
/// node that runs the script.
///
/// A launcher returns shell text that ends the script: it runs the worker command (argv, quoted here) and
/// exits with a status that says whether the workers failed. Only workers run in the job; the launcher adds no
/// file of its own (Parsl's `SrunLauncher` writes `cmd_<job>.sh` into the job's working directory).
public protocol Launcher: Sendable, CustomStringConvertible {
    /// The launcher's class name in configuration files, e.g. `"SrunLauncher"`.
    var className: String { get }
    /// The shell text that starts `tasksPerNode` copies of `command` on each of `nodesPerBlock` nodes (the
    /// executor's worker process manages its own slots, so `tasksPerNode` is 1 for viz-workflow).
    func script(command: [String], tasksPerNode: Int, nodesPerBlock: Int) -> String
}

extension Launcher {
    /// The class name.
    public var description: String { className }
}

/// `text` quoted for a POSIX shell: single quotes, with each `'` written as `'\''`; plain words unchanged.
func shellQuoted(_ text: String) -> String {
    let plain = !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:=@%+,".contains($0)) }
    return plain ? text : "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
}

/// An argv as one shell command line, every word quoted as needed.
func shellCommandLine(_ argv: [String]) -> String {
    argv.map(shellQuoted).joined(separator: " ")
}
