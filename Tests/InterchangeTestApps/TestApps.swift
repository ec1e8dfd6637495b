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

public struct TestFailure: Error, CustomStringConvertible {
    public var value: Int
    public init(value: Int) { self.value = value }
    public var description: String { "test failure \(value)" }
}
