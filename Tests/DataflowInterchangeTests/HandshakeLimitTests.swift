import DataflowCore
import DataflowInterchange
import DataflowProviders
import DataflowWireProtocol
import DataflowWorker
import Foundation
import InterchangeTestApps
import Testing

/// More workers than the interchange takes handshakes at once, all starting together (a cluster's pods
/// coming up): the ones turned away dial again and every one joins, with encryption on.
struct HandshakeLimitTests {
    @Test func moreWorkersThanTheHandshakeLimitAllJoin() async throws {
        try await withTemporaryDirectory { root in
            let cluster = try await startCluster(
                root: root, workers: 1, retries: 3, isolation: .none,
                provider: .init(initBlocks: 0, minBlocks: 0, maxBlocks: 0, logDirectory: root + "/local"),
                maxUnauthenticatedConnections: 3)
            let launch = try #require(cluster.executor.workerLaunch(blockID: "0"))
            let arguments = Array(launch.command.drop { $0 != "--address" })
            let configuration = try WorkerService.Configuration.parse(arguments: arguments, environment: launch.environment)
            let workers = 15
            let swarm = Task { await WorkerService.runSwarm(connections: workers, configuration: configuration, apps: TestApps.registry()) }
            let joined = await eventually(.seconds(90)) { cluster.executor.connectedWorkers == workers }
            #expect(joined, "\(cluster.executor.connectedWorkers) of \(workers) workers joined")
            let echo = TestApps.app("echo", Int.self, Int.self, in: cluster.kernel.apps)
            // Fifteen connections and the leader share this test process's event loops; retries cover a slot
            // that a busy machine delays past the 3 s heartbeat threshold.
            let values = try await (0..<200).map { cluster.kernel.submit(echo, $0) }.asyncValues()
            #expect(values == Array(0..<200))
            await cluster.kernel.shutdown()
            // The workers leave with the leader (a slot that a loaded machine had declared lost may say so).
            _ = await swarm.value
        }
    }
}
