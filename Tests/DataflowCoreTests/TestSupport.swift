import DataflowCore
import Foundation
import Synchronization

/// A fresh directory under the system temporary directory, removed after `body`.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = NSTemporaryDirectory() + "dataflow-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Counts calls, safely from any thread.
final class CallCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    func hit(_ key: String = "") { counts.withLock { $0[key, default: 0] += 1 } }
    func count(_ key: String = "") -> Int { counts.withLock { $0[key] ?? 0 } }
    var total: Int { counts.withLock { $0.values.reduce(0, +) } }
}

struct AppFailure: Error, Equatable {
    var reason: String
}

extension DataFlowKernel.Configuration {
    /// In-process, two threads, in `runRoot`; monitoring off unless a test asks for it.
    static func testing(runRoot: String, retries: Int = 0, monitoring: Bool = false) -> Self {
        .init(
            executors: [ThreadPoolExecutor(configuration: .init(maxThreads: 2))],
            runDirectory: runRoot,
            retries: retries,
            monitoring: monitoring
        )
    }
}

/// The directory of the running test binary, where SwiftPM also puts the package's executables.
func buildProductsDirectory() -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
    // Inside an .xctest bundle on Linux the binary sits directly in the products directory.
    while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("DataflowTestWorkflow").path) {
        url = url.deletingLastPathComponent()
    }
    return url.path
}
