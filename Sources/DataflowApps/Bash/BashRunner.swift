import CVizSystemShims
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a ``BashCommand`` as a child process group and waits for it without blocking the cooperative pool.
enum BashRunner {
    static func run(_ command: BashCommand, app: String, context: TaskContext) async throws -> BashResult {
        let base = "\(context.runDirectory)/task_logs/\(app)/task-\(context.taskID)-try-\(context.tryID)"
        let stdoutPath = command.stdout ?? base + ".stdout"
        let stderrPath = command.stderr ?? (command.stdout.map { $0 + ".stderr" } ?? base + ".stderr")
        for path in [stdoutPath, stderrPath] {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        }

        let pid = try spawn(command, stdoutPath: stdoutPath, stderrPath: stderrPath)
        let status = try await withTaskCancellationHandler {
            try await waitForExit(pid)
        } onCancel: {
            // The child leads its own process group: signal the group so grandchildren die too.
            kill(-pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) { kill(-pid, SIGKILL) }
        }
        if Task.isCancelled { throw CancellationError() }
        guard status == 0 else {
            throw BashFailure(
                exitCode: status,
                stderrTail: tail(of: stderrPath, bytes: 2048),
                commandLine: command.commandLine,
                stderrPath: stderrPath
            )
        }
        return BashResult(exitCode: 0, stdoutPath: stdoutPath, stderrPath: stderrPath)
    }

    private static func spawn(_ command: BashCommand, stdoutPath: String, stderrPath: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        cspawn_add_closefrom(&actions, 3)
        if let dir = command.workingDirectory { cspawn_add_chdir(&actions, dir) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))

        var environment = ProcessInfo.processInfo.environment
        for (key, value) in command.environment { environment[key] = value }
        let argv = ["/bin/bash", "-c", command.commandLine]
        let envp = environment.map { "\($0.key)=\($0.value)" }

        var pid: pid_t = 0
        let rc = withCStrings(argv) { argvPointers in
            withCStrings(envp) { envPointers in
                posix_spawn(&pid, "/bin/bash", &actions, &attributes, argvPointers, envPointers)
            }
        }
        guard rc == 0 else {
            throw AppError(.commandNotStarted, "cannot start /bin/bash for '\(command.commandLine)': \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// Waits on a dedicated thread: `waitpid` blocks, and the cooperative pool must never block.
    private static func waitForExit(_ pid: pid_t) async throws -> Int32 {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
            let thread = Thread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 {
                    if errno != EINTR {
                        continuation.resume(throwing: AppError(.commandNotStarted, "waitpid(\(pid)) failed: errno \(errno)"))
                        return
                    }
                }
                let signal = status & 0x7F
                continuation.resume(returning: signal == 0 ? (status >> 8) & 0xFF : 128 + signal)
            }
            thread.stackSize = 64 * 1024
            thread.start()
        }
    }

    private static func tail(of path: String, bytes: Int) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > UInt64(bytes) ? size - UInt64(bytes) : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return body(pointers)
    }
}
