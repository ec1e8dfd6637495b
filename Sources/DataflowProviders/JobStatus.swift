/// What a provider knows about one job (Parsl `JobStatus`).
public struct JobStatus: Sendable, Codable, Hashable, CustomStringConvertible {
    /// The job's state; ``JobState/isTerminal`` tells whether it can still change.
    public var state: JobState
    /// Why it is in this state, e.g. the exit code and the last lines of stderr of a failed block.
    public var message: String?
    /// The exit code once the job has ended (128 + signal when a signal ended it).
    public var exitCode: Int32?
    /// Where the job's stdout goes, if the provider knows (local processes; not pods).
    public var stdoutPath: String?
    /// Where the job's stderr goes, if the provider knows.
    public var stderrPath: String?

    /// Creates a status; everything but the state is optional.
    public init(
        state: JobState,
        message: String? = nil,
        exitCode: Int32? = nil,
        stdoutPath: String? = nil,
        stderrPath: String? = nil
    ) {
        self.state = state
        self.message = message
        self.exitCode = exitCode
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
    }

    public var description: String {
        var text = state.parslName
        if let exitCode { text += " (exit \(exitCode))" }
        if let message, !message.isEmpty { text += ": \(message)" }
        return text
    }
}
