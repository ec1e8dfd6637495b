/// The command line a bash app's body returns, run with `/bin/bash -c`.
public struct BashCommand: Sendable, Hashable {
    /// The shell command line.
    public var commandLine: String
    /// File for standard output; `nil` means `<run_dir>/task_logs/<app>/task-<id>-try-<n>.stdout`.
    public var stdout: String?
    /// File for standard error; `nil` means the same as stdout with `.stderr`.
    public var stderr: String?
    /// Extra environment variables, added to the worker's environment.
    public var environment: [String: String]
    /// Working directory; `nil` means the worker's current directory.
    public var workingDirectory: String?

    /// Creates a command; by default output goes to the task's log files under the run directory, the
    /// environment is the worker's and the working directory is the worker's current one.
    public init(
        _ commandLine: String,
        stdout: String? = nil,
        stderr: String? = nil,
        environment: [String: String] = [:],
        workingDirectory: String? = nil
    ) {
        self.commandLine = commandLine
        self.stdout = stdout
        self.stderr = stderr
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}

/// What a bash app's future holds when its command exited with status 0.
public struct BashResult: Codable, Sendable, Hashable {
    /// The command's exit status; always 0, since any other status fails the task with a ``BashFailure``.
    public var exitCode: Int32
    /// The file that received the command's standard output (on the machine that ran it).
    public var stdoutPath: String
    /// The file that received the command's standard error (on the machine that ran it).
    public var stderrPath: String
}

/// A bash app's command failed: non-zero exit, killed by a signal, or past its walltime.
public struct BashFailure: Error, Sendable, Codable, Hashable, CustomStringConvertible {
    /// The exit status, or `128 + signal` when the command was killed.
    public var exitCode: Int32
    /// The last lines of the command's standard error (at most 2 KiB).
    public var stderrTail: String
    /// The command line that failed, as given to `/bin/bash -c`.
    public var commandLine: String
    /// The file holding the command's full standard error, on the machine that ran it.
    public var stderrPath: String

    public var description: String {
        let tail = stderrTail.isEmpty ? "" : "; stderr ends with:\n\(stderrTail)"
        return "command exited with status \(exitCode): \(commandLine)\(tail)"
    }
}

extension AppRegistry.Builder {
    /// Registers a bash app (Parsl `bash_app`): `makeCommand` turns the input into a command line, which runs
    /// in `/bin/bash -c` in its own process group with stdout and stderr captured to files. A non-zero exit
    /// fails the task with a ``BashFailure`` carrying the exit code and the tail of stderr; cancellation and
    /// walltime kill the whole process group.
    @discardableResult
    public mutating func bashApp<Input: Codable & Sendable>(
        _ name: String,
        options: AppOptions = AppOptions(),
        _ makeCommand: @escaping @Sendable (Input) throws -> BashCommand
    ) -> App<Input, BashResult> {
        register(name, kind: .bash, options: options) { (input: Input, context: TaskContext) in
            let command = try makeCommand(input)
            return try await BashRunner.run(command, app: name, context: context)
        }
    }
}
