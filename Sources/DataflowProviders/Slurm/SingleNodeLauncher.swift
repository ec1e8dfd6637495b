/// Starts every worker on the node that runs the batch script (Parsl `SingleNodeLauncher`): `tasksPerNode ×
/// nodesPerBlock` copies of the command in the background, then waits for all of them.
///
/// With one copy the script `exec`s the worker, so the job's exit status is the worker's. With more, the
/// script fails with the last failing worker's status when every worker failed, or with `failOnAny` when any
/// did. Use ``SrunLauncher`` for blocks of several nodes: this launcher leaves the other nodes idle.
public struct SingleNodeLauncher: Launcher, Hashable {
    /// Fail the job when any worker fails, not only when all do (Parsl `fail_on_any`). Default false.
    public var failOnAny: Bool

    /// Creates the launcher.
    public init(failOnAny: Bool = false) {
        self.failOnAny = failOnAny
    }

    /// `"SingleNodeLauncher"`.
    public var className: String { "SingleNodeLauncher" }

    /// `exec <command>` for one worker; a background loop and `wait` for more.
    public func script(command: [String], tasksPerNode: Int, nodesPerBlock: Int) -> String {
        let count = Swift.max(1, tasksPerNode) * Swift.max(1, nodesPerBlock)
        let line = shellCommandLine(command)
        if count == 1 {
            return """
                # SingleNodeLauncher: 1 worker on this node.
                exec \(line)

                """
        }
        return """
            # SingleNodeLauncher: \(count) workers on this node; fail_on_any=\(failOnAny).
            PIDS=()
            for COUNT in $(seq 1 \(count)); do
                \(line) &
                PIDS+=($!)
            done
            FAILED=0
            STATUS=0
            for PID in "${PIDS[@]}"; do
                wait "$PID" || { STATUS=$?; FAILED=$((FAILED + 1)); }
            done
            if [ "$FAILED" -eq "${#PIDS[@]}" ]\(failOnAny ? " || [ \"$FAILED\" -gt 0 ]" : ""); then exit "$STATUS"; fi
            exit 0

            """
    }
}
