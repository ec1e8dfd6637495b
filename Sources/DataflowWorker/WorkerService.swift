import CVizSystemShims
import DataflowApps
import DataflowWireProtocol
import Foundation
import NIOCore
import NIOPosix

/// A worker process: joins an interchange and runs the tasks it is sent (Parsl's worker pool).
///
/// The same binary as the leader, started in worker mode by a provider. With `.process` isolation (the
/// default) this process is a supervisor that starts one slot process per worker and restarts a slot that
/// crashes; each slot dials the interchange itself, so a crash loses only the task it was running.
///
/// ```swift
/// // in main.swift, when started as `my-workflow worker --address host:port ...`:
/// let code = await WorkerService.run(arguments: Array(CommandLine.arguments.dropFirst(2)), commandPrefix: ["worker"], apps: registry)
/// exit(code)
/// ```
public enum WorkerService {
    /// Exit status when the leader is gone (unreachable, closed the connection, or silent past the threshold).
    public static let exitLeaderLost: Int32 = 75
    /// Exit status when the interchange refused the worker.
    public static let exitRefused: Int32 = 77

    /// Parses worker options and runs; returns the process exit status. `commandPrefix` is what comes
    /// between the executable and the worker options (e.g. `["worker"]`), so slots can be started the same way.
    public static func run(arguments: [String], commandPrefix: [String], apps: AppRegistry) async -> Int32 {
        do {
            let configuration = try Configuration.parse(arguments: arguments)
            return await run(configuration: configuration, commandPrefix: commandPrefix, apps: apps)
        } catch {
            log("worker: \(error)")
            return 64
        }
    }

    /// Runs with an explicit configuration; returns the exit status.
    public static func run(configuration: Configuration, commandPrefix: [String], apps: AppRegistry) async -> Int32 {
        // Large task payloads are allocated and freed all the time: keep them in the heap instead of a fresh
        // mmap (and 256 page faults per MiB) each time. This process is ours, so the global setting is ours.
        system_keep_large_allocations_in_heap(256 << 20)
        if configuration.isolation == .process && configuration.slot == nil {
            return await WorkerSupervisor(configuration: configuration, commandPrefix: commandPrefix).run()
        }
        let capacity = configuration.isolation == .none && configuration.slot == nil ? configuration.effectiveWorkers : 1
        return await WorkerConnection(configuration: configuration, capacity: capacity, apps: apps).run()
    }

    /// Runs `connections` one-slot workers in this process, each with its own connection, registration and
    /// heartbeats, as that many worker processes would: a cheap stand-in for a large cluster in the leader's
    /// benchmarks (`runtime-bench swarm N …`). Returns the first non-zero exit status, else 0.
    package static func runSwarm(connections: Int, configuration: Configuration, apps: AppRegistry) async -> Int32 {
        await withTaskGroup(of: Int32.self) { group in
            for index in 0..<connections {
                var slot = configuration
                slot.slot = index
                group.addTask { await WorkerConnection(configuration: slot, capacity: 1, apps: apps).run() }
            }
            var status: Int32 = 0
            for await code in group where status == 0 { status = code }
            return status
        }
    }

    static func log(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }
}

extension WorkerService {
    /// How a worker process joins an interchange and runs tasks: see ``WorkerConfiguration``.
    public typealias Configuration = WorkerConfiguration
}
