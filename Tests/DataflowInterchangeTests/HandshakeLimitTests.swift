import DataflowCore
import DataflowInterchange
import DataflowProviders
import DataflowWireProtocol
import DataflowWorker
import Foundation
import InterchangeTestApps
import Testing

/// More workers than the interchange takes handshakes at once, all starting together (a cluster's pods
/// coming up): the ones turned away dial again and every one joins, with encryption on. A connection turned
/// away while its registration was in flight (over TLS the close takes a while, and the registration can
/// still be read) must not join: it would be a worker no close ever removes, that never heartbeats, and the
/// tasks sent to it would wait out the heartbeat threshold and fail.
struct HandshakeLimitTests {
    @Test(arguments: [(15, 3), (40, 2)])
    func moreWorkersThanTheHandshakeLimitAllJoinAndEveryOneWorks(workers: Int, limit: Int) async throws {
        try await withTemporaryDirectory { root in
            let cluster = try await startCluster(
                root: root, workers: 1, retries: 0, isolation: .none,
                provider: .init(initBlocks: 0, minBlocks: 0, maxBlocks: 0, logDirectory: root + "/local"),
                maxUnauthenticatedConnections: limit)
            let launch = try #require(cluster.executor.workerLaunch(blockID: "0"))
            let arguments = Array(launch.command.drop { $0 != "--address" })
            let configuration = try WorkerService.Configuration.parse(arguments: arguments, environment: launch.environment)
            let swarm = Task { await WorkerService.runSwarm(connections: workers, configuration: configuration, apps: TestApps.registry()) }
            let joined = await eventually(.seconds(90)) { cluster.executor.connectedWorkers == workers }
            #expect(joined, "\(cluster.executor.connectedWorkers) of \(workers) workers joined")
            let echo = TestApps.app("echo", Int.self, Int.self, in: cluster.kernel.apps)
            // No retries, prefetch 1: every connection gets tasks, and a dead one would fail them.
            let values = try await (0..<(workers * 10)).map { cluster.kernel.submit(echo, $0) }.asyncValues()
            #expect(values == Array(0..<(workers * 10)))
            #expect(cluster.executor.connectedWorkers == workers)
            await cluster.kernel.shutdown()
            // The workers leave with the leader (one whose connection closes before the shutdown message
            // arrives says the leader is gone, status 75: both are fine here).
            _ = await swarm.value
        }
    }
}
