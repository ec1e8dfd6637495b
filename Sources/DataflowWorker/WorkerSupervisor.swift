import CVizSystemShims
import DataflowWireProtocol
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Starts one slot process per worker and keeps them running: a slot that crashes is restarted (its task
/// is reported lost by the interchange, which sees the connection drop); a slot that leaves because the
/// leader is gone or told it to is not. Exits when every slot has exited. SIGTERM is passed on to the
/// slots, which finish their tasks and leave.
final class WorkerSupervisor: Sendable {
    let configuration: WorkerService.Configuration
    let commandPrefix: [String]
    private let children = Mutex<[Int32: Int]>([:])  // pid → slot
    /// Set by SIGTERM: slots that exit now are not restarted.
    private let terminating = Atomic<Bool>(false)

    init(configuration: WorkerService.Configuration, commandPrefix: [String]) {
        self.configuration = configuration
        self.commandPrefix = commandPrefix
    }

    func run() async -> Int32 {
        let slots = configuration.effectiveWorkers
        signal(SIGTERM, SIG_IGN)
        let termination = DispatchSource.makeSignalSource(signal: SIGTERM)
        termination.setEventHandler { [self] in
            terminating.store(true, ordering: .relaxed)
            for pid in children.withLock({ Array($0.keys) }) { kill(pid, SIGTERM) }
        }
        termination.resume()
        defer { termination.cancel() }

        for slot in 0..<slots { spawn(slot: slot) }
        var restarts = [Int](repeating: 0, count: slots)
        var statuses: Set<Int32> = []
        while !children.withLock({ $0.isEmpty }) {
            // Blocking wait on a dedicated thread: the cooperative pool must not block.
            let (pid, status) = await Self.waitAny()
            guard pid > 0, let slot = children.withLock({ $0.removeValue(forKey: pid) }) else { continue }
            let exited = status & 0x7F == 0
            let code = exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            statuses.insert(code)
            let deliberate = exited && [0, WorkerService.exitLeaderLost, WorkerService.exitRefused, 64].contains(code)
            if deliberate || terminating.load(ordering: .relaxed) { continue }
            restarts[slot] += 1
            WorkerService.log("worker slot \(slot) (pid \(pid)) died with status \(code); restart \(restarts[slot])")
            if restarts[slot] > 100 {
                WorkerService.log("worker slot \(slot) keeps dying; not restarting it")
                continue
            }
            try? await Task.sleep(for: .milliseconds(min(2000, 50 * restarts[slot])))
            spawn(slot: slot)
        }
        // The block's exit status tells the provider (and so the leader) why the workers left: refused
        // (wrong secret or build) before unreachable before a bad option; 0 when they were told to go.
        for code in [WorkerService.exitRefused, WorkerService.exitLeaderLost, 64] where statuses.contains(code) { return code }
        return 0
    }

    private func spawn(slot: Int) {
        var child = configuration
        child.slot = slot
        child.maxWorkers = 1
        child.isolation = .none
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let argv = [executable] + commandPrefix + child.arguments
        var pid: pid_t = 0
        var pointers = argv.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        cspawn_add_closefrom(&actions, 3)
        // The environment (with the run secret) is inherited; the secret is never in argv.
        let rc = posix_spawn(&pid, executable, &actions, nil, pointers, environ)
        if rc == 0 {
            children.withLock { $0[pid] = slot }
        } else {
            WorkerService.log("cannot start worker slot \(slot): \(String(cString: strerror(rc)))")
        }
    }

    private static func waitAny() async -> (Int32, Int32) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                var pid: Int32
                repeat { pid = waitpid(-1, &status, 0) } while pid < 0 && errno == EINTR
                continuation.resume(returning: (pid, status))
            }
        }
    }
}
