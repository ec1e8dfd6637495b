import CVizSystemShims
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Process-group plumbing for ``LocalProvider``: spawn a child as the leader of its own group, and reap it
/// without blocking. Same approach as the bash-app runner (posix_spawn with POSIX_SPAWN_SETPGROUP), because
/// Foundation's `Process` leaves grandchildren behind and can hang.
enum ProcessGroup {
    /// Starts `argv` (looked up on PATH) in a new process group with stdin from /dev/null and stdout and
    /// stderr appended to the given files. Returns the pid, which is also the process group id.
    static func spawn(argv: [String], environment: [String: String], stdoutPath: String, stderrPath: String) throws -> pid_t {
        let (rc, pid) = spawnLeader(argv: argv, environment: environment) { actions in
            posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        guard rc == 0 else {
            throw ProvidersError(.submitFailed, "cannot start \(argv[0]): \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// Starts `argv` (looked up on PATH) as the leader of a new process group: stdin from /dev/null,
    /// `redirect` sets up stdout and stderr, no other descriptor of this process is inherited, and signal
    /// dispositions and mask are reset (the leader may block or ignore signals the child needs). Returns
    /// `posix_spawnp`'s result (0 or an errno) and the pid, which is also the process group id.
    static func spawnLeader(
        argv: [String], environment: [String: String], redirect: (inout posix_spawn_file_actions_t) -> Void
    ) -> (rc: Int32, pid: pid_t) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        redirect(&actions)
        // Workers inherit nothing else of the leader's: no sockets, pipes or open files.
        cspawn_add_closefrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let envp = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let rc = withCStrings(argv) { argvPointers in
            withCStrings(envp) { envPointers in
                posix_spawnp(&pid, argv[0], &actions, &attributes, argvPointers, envPointers)
            }
        }
        return (rc, pid)
    }

    /// How a reaped child ended.
    struct Exit: Sendable, Hashable {
        /// The exit status, or 128 + signal number when a signal ended it (the shell's convention).
        var code: Int32
        /// The signal that ended it, if any.
        var signal: Int32?
    }

    /// Reaps `pid` if it has exited, without blocking; `nil` while it still runs. Before reaping, whatever is
    /// left of its process group (orphaned grandchildren) gets SIGKILL: until the leader is reaped its pid
    /// cannot be reused, so signalling the group is safe exactly until then.
    static func reapIfExited(_ pid: pid_t) -> Exit? {
        var info = siginfo_t()
        let rc = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        if rc != 0 {
            // ECHILD: not our child any more (reaped elsewhere); report it as gone.
            return errno == ECHILD ? Exit(code: -1, signal: nil) : nil
        }
        guard info.si_signo == SIGCHLD else { return nil }  // still running
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) < 0 {
            if errno != EINTR { return Exit(code: -1, signal: nil) }
        }
        let signal = status & 0x7F
        return signal == 0 ? Exit(code: (status >> 8) & 0xFF, signal: nil) : Exit(code: 128 + signal, signal: signal)
    }

    /// Whether `pid` has exited (without reaping it, so its process group id stays reserved).
    static func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        let rc = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        return rc != 0 || info.si_signo == SIGCHLD
    }

    /// The last `bytes` of a file, trimmed; empty if it cannot be read.
    static func tail(of path: String, bytes: Int) -> String {
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
