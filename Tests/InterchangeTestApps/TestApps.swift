import DataflowApps
import Foundation

/// The apps that interchange tests run on real worker processes; the leader (the test) and the worker
/// binary build the registry with this same function, as a workflow binary would.
public enum TestApps {
    public static func registry(extraApp: Bool = ProcessInfo.processInfo.environment["TEST_WORKER_EXTRA_APP"] != nil) -> AppRegistry {
        var b = AppRegistry.Builder()
        b.register("echo") { (x: Int) in x }
        b.register("sleep_ms") { (ms: Int) async throws -> Int in
            try await Task.sleep(for: .milliseconds(ms))
            return ms
        }
        b.register("bytes") { (bytes: [UInt8]) in bytes.reversed() }
        b.register("fail") { (x: Int) throws -> Int in throw TestFailure(value: x) }
        b.register("crash") { (x: Int) async throws -> Int in
            if x == 1 {
                // A real segfault, as a bug in C code would cause: a write through a bad pointer.
                UnsafeMutablePointer<Int>(bitPattern: 64)!.pointee = 1
            }
            try await Task.sleep(for: .milliseconds(50))
            return x
        }
        b.register("record") { (line: RecordInput) async throws -> Int in
            let fd = open(line.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            _ = "\(line.id)\n".withCString { write(fd, $0, strlen($0)) }
            close(fd)
            try await Task.sleep(for: .milliseconds(line.sleepMilliseconds))
            return line.id
        }
        // The error cases every executor must report the same way (ErrorParityTests).
        b.register(error: CalibrationFailure.self)
        b.register("fail_typed") { (station: String) throws -> Int in
            throw CalibrationFailure(station: station, drift: 0.25, readings: [1, 2, 3])
        }
        b.bashApp("bash_output") { (input: BashOutputInput) in
            BashCommand(input.write ? "echo permafrost > '\(input.target.path)'" : "true", stdout: input.target.path + ".log")
        }
        b.bashApp("bash_exit") { (input: BashExitInput) in
            BashCommand("echo 'sensor offline' >&2; exit \(input.code)", stdout: input.directory + "/bash-\(input.code).out")
        }
        b.register("over_walltime", options: AppOptions(walltime: .milliseconds(200))) { (ms: Int) async throws -> Int in
            try await Task.sleep(for: .milliseconds(ms))
            return ms
        }
        // Busy for `ms` milliseconds without yielding (as a CPU-bound body), then names the thread it ran on:
        // the worker's event loop ("NIO-…") or the cooperative pool.
        b.register("thread_name") { (ms: Int) -> String in
            let end = ContinuousClock.now + .milliseconds(ms)
            while ContinuousClock.now < end {}
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            return name.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if extraApp { b.register("extra") { (x: Int) in x } }
        return try! b.build()
    }

    public static func app<I, O>(_ name: String, _ input: I.Type, _ output: O.Type, in registry: AppRegistry) -> App<I, O> {
        App(registered: registry[name]!)
    }
}

public struct RecordInput: Codable, Sendable {
    public var id: Int
    public var path: String
    public var sleepMilliseconds: Int
    public init(id: Int, path: String, sleepMilliseconds: Int) {
        self.id = id
        self.path = path
        self.sleepMilliseconds = sleepMilliseconds
    }
}

/// A bash app's call that declares `target` as its output, and writes it only when `write` is set.
public struct BashOutputInput: Codable, Sendable, DeclaresFiles {
    public var target: DataFile
    public var write: Bool
    public init(target: DataFile, write: Bool) {
        self.target = target
        self.write = write
    }
    public var outputFiles: [DataFile] { [target] }
}

public struct BashExitInput: Codable, Sendable {
    public var code: Int
    public var directory: String
    public init(code: Int, directory: String) {
        self.code = code
        self.directory = directory
    }
}

/// A `Codable` error with fields, registered with the app registry: it reaches the leader as itself.
public struct CalibrationFailure: Error, Codable, Sendable, Hashable {
    public var station: String
    public var drift: Double
    public var readings: [Int]
    public init(station: String, drift: Double, readings: [Int]) {
        self.station = station
        self.drift = drift
        self.readings = readings
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public var value: Int
    public init(value: Int) { self.value = value }
    public var description: String { "test failure \(value)" }
}
