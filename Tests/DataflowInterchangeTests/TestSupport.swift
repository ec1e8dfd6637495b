import DataflowCore
import DataflowInterchange
import DataflowProviders
import DataflowWireProtocol
import DataflowWorker
import Foundation
import InterchangeTestApps
import Synchronization

func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = NSTemporaryDirectory() + "interchange-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { if ProcessInfo.processInfo.environment["KEEP_TEST_DIRECTORIES"] == nil { try? FileManager.default.removeItem(atPath: path) } }
    return try await body(path)
}

/// The test worker binary, built next to the test bundle.
let testWorkerBinary: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
    while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("InterchangeTestWorker").path) {
        url = url.deletingLastPathComponent()
    }
    return url.appendingPathComponent("InterchangeTestWorker").path
}()

/// Collects executor events for assertions.
final class EventLog: Sendable {
    let events = Mutex<[ExecutorEvent]>([])
    func append(_ e: ExecutorEvent) { events.withLock { $0.append(e) } }
    var all: [ExecutorEvent] { events.withLock { $0 } }
}

struct Cluster {
    var kernel: DataFlowKernel
    var executor: HighThroughputExecutor
    var events: EventLog
    var apps = TestApps.registry()
}

/// A kernel with a HighThroughputExecutor whose LocalProvider starts the test worker binary.
func startCluster(
    root: String,
    workers: Int = 2,
    retries: Int = 0,
    prefetch: Int = 1,
    isolation: HighThroughputExecutorIsolation = .process,
    provider: LocalProvider.Configuration? = nil,
    strategy: DataflowProviders.BlockScalingStrategy.Kind = .simple,
    maxIdletime: Double = 120,
    workerCommand: [String] = [testWorkerBinary, "worker"],
    encrypted: Bool = true,
    maxUnauthenticatedConnections: Int = 64
) async throws -> Cluster {
    let events = EventLog()
    let executor = HighThroughputExecutor(
        configuration: .init(
            maxWorkersPerNode: workers,
            prefetchCapacity: prefetch,
            heartbeatPeriod: .milliseconds(200),
            heartbeatThreshold: .seconds(3),
            isolation: isolation,
            workerCommand: workerCommand,
            strategy: strategy,
            maxIdletime: maxIdletime,
            strategyPeriod: .milliseconds(100),
            drainTimeout: .seconds(10),
            encrypted: encrypted,
            maxUnauthenticatedConnections: maxUnauthenticatedConnections
        ),
        provider: LocalProvider(configuration: provider ?? .init(logDirectory: root + "/local", cancelGracePeriod: 2))
    )
    executor.onEvent { events.append($0) }
    let kernel = try await DataFlowKernel(
        configuration: .init(executors: [executor], runDirectory: root + "/runinfo", retries: retries, monitoring: true),
        apps: TestApps.registry()
    )
    return Cluster(kernel: kernel, executor: executor, events: events)
}

typealias HighThroughputExecutorIsolation = WorkerService.Configuration.Isolation

/// Waits until `condition` holds, polling; fails the wait after `timeout`.
func eventually(_ timeout: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// A blocking TCP client for raw protocol tests.
final class RawConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw TestFailure(value: Int(errno)) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads whatever arrives until EOF or the timeout; returns the bytes and whether EOF was seen.
    func readUntilClosed() -> (bytes: [UInt8], closed: Bool) {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                all += buffer[0..<n]
            } else {
                return (all, n == 0)
            }
        }
    }

    func readSome() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? Array(buffer[0..<n]) : []
    }
}
