import DataflowProviders
import Foundation
import Synchronization

/// A fresh directory under the system temporary directory, removed after `body`.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = NSTemporaryDirectory() + "providers-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}

/// Whether a process with this pid still exists (zombies included).
func processExists(_ pid: Int32) -> Bool { kill(pid, 0) == 0 }

/// A thread-safe value box for closures handed to the scaler.
final class Box<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func get() -> Value { value.withLock { $0 } }
    func set(_ newValue: Value) { value.withLock { $0 = newValue } }
    func update<R>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}

/// An in-memory provider that records every call in one shared log, in order.
final class RecordingProvider: ExecutionProvider {
    let label = "recording"
    let blockLimits = BlockLimits()
    let log: Box<[String]>
    /// What `status` reports for each job (default: running).
    let states = Box<[String: JobState]>([:])
    let commands = Box<[String: [String]]>([:])
    let environments = Box<[String: [String: String]]>([:])
    private let nextJob = Atomic<Int>(0)

    init(log: Box<[String]> = Box([])) { self.log = log }

    func submit(command: [String], environment: [String: String], blockID: String) async throws -> String {
        let jobID = "job-\(nextJob.add(1, ordering: .relaxed).newValue)"
        log.update { $0.append("submit \(blockID) \(jobID)") }
        states.update { $0[jobID] = .running }
        commands.update { $0[blockID] = command }
        environments.update { $0[blockID] = environment }
        return jobID
    }

    func status(jobIDs: [String]) async throws -> [String: JobStatus] {
        let states = states.get()
        return Dictionary(uniqueKeysWithValues: jobIDs.map { ($0, JobStatus(state: states[$0] ?? .missing)) })
    }

    func cancel(jobIDs: [String]) async throws {
        log.update { $0.append("cancel \(jobIDs.sorted().joined(separator: ","))") }
        states.update { for id in jobIDs { $0[id] = .cancelled } }
    }

    var submitted: [String] { log.get().filter { $0.hasPrefix("submit") } }
    var cancelled: [String] { log.get().filter { $0.hasPrefix("cancel") } }
}
