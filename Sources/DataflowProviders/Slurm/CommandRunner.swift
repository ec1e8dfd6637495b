import CVizSystemShims
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a command-line tool (`sbatch`, `squeue`, `scancel`, ...) to completion with a timeout and returns what
/// it printed.
///
/// The child is spawned with `posix_spawn` in a process group of its own, with stdin from `/dev/null` and no
/// other inherited descriptor. Waiting happens on a thread of its own, never on a cooperative thread of Swift
/// concurrency: a Slurm controller that does not answer blocks only that thread, and only until the timeout,
/// when the whole process group gets SIGKILL.
public enum CommandRunner {
    /// What a finished command printed, and how it ended.
    public struct Output: Sendable, Hashable {
        /// The exit status, or 128 + the signal number when a signal ended it.
        public var status: Int32
        /// Everything written to standard output.
        public var stdout: String
        /// Everything written to standard error.
        public var stderr: String

        /// Creates an output (tests build them to stand in for Slurm).
        public init(status: Int32, stdout: String = "", stderr: String = "") {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    /// How a provider runs its commands: argv (looked up on `PATH`), the complete environment (`nil`: this
    /// process's), and the time after which the command is killed. Throws ``ProvidersError`` with
    /// ``ProvidersError/Code/commandNotFound`` or ``ProvidersError/Code/timedOut``; a non-zero exit status is not an
    /// error here, it is in ``Output/status``.
    public typealias Run = @Sendable (_ argv: [String], _ environment: [String: String]?, _ timeout: Duration) async throws -> Output

    /// The real runner: ``run(_:environment:timeout:)``.
    public static let system: Run = { argv, environment, timeout in
        try await run(argv, environment: environment, timeout: timeout)
    }

    /// Runs `argv` and waits for it on a dedicated thread; see ``Run``.
    public static func run(_ argv: [String], environment: [String: String]? = nil, timeout: Duration) async throws -> Output {
        precondition(!argv.isEmpty, "empty command")
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Output, any Error>) in
            let thread = Thread {
                continuation.resume(with: Result { try runBlocking(argv, environment: environment, timeout: timeout) })
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
    }

    /// The command as a person would type it (for messages).
    static func display(_ argv: [String]) -> String {
        argv.map { $0.contains(where: { " '\"$\\|;&".contains($0) }) || $0.isEmpty ? shellQuoted($0) : $0 }.joined(separator: " ")
    }

    private static func runBlocking(_ argv: [String], environment: [String: String]?, timeout: Duration) throws -> Output {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw ProvidersError(.io, "pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0])
            close(outPipe[1])
            throw ProvidersError(.io, "pipe: \(String(cString: strerror(errno)))")
        }
        // Other children (spawned with closefrom) must not hold these open, or EOF would never come.
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        let (rc, pid) = ProcessGroup.spawnLeader(argv: argv, environment: environment ?? ProcessInfo.processInfo.environment) { actions in
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
            posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        }
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            if rc == ENOENT {
                throw ProvidersError(.commandNotFound, "\(argv[0]) is not on PATH: run the leader on a host with the Slurm client commands (a login node)")
            }
            throw ProvidersError(.commandFailed, "cannot start \(argv[0]): \(String(cString: strerror(rc)))")
        }

        let deadline = ContinuousClock.now + timeout
        var out: [UInt8] = []
        var err: [UInt8] = []
        var open = [outPipe[0], errPipe[0]]
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero {
                timedOut = true
                break
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let milliseconds = Int32(clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
            let ready = poll(&fds, nfds_t(fds.count), milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for entry in fds where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                if count > 0 {
                    if entry.fd == outPipe[0] { out += buffer[0..<count] } else { err += buffer[0..<count] }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        for fd in open { close(fd) }
        if timedOut { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { break }
        }
        if timedOut {
            throw ProvidersError(.timedOut, "`\(display(argv))` did not finish within \(timeout) (cmd_timeout); it was killed")
        }
        let signal = status & 0x7F
        return Output(
            status: signal == 0 ? (status >> 8) & 0xFF : 128 + signal,
            stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self)
        )
    }
}
