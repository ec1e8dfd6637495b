import DataflowCore
import DataflowInterchange
import DataflowProviders
import DataflowWireProtocol
import Foundation
import InterchangeTestApps
import Testing

/// Blocks whose workers can never join (Parsl's `block_error_handler`), and workers run as production runs
/// them: as an unprivileged user.
@Suite(.serialized) struct BlockFailureTests {
    /// Every task of the executor fails with the block error, within a bound, and names each block's reason.
    func expectBlockFailure(_ cluster: Cluster, reasonContains needles: [String]) async throws {
        let echo = TestApps.app("echo", Int.self, Int.self, in: cluster.apps)
        let start = ContinuousClock.now
        let futures = (0..<5).map { cluster.kernel.submit(echo, $0) }
        for future in futures {
            await #expect {
                _ = try await future.value
            } throws: { error in
                guard let failure = (error as? TaskError)?.underlying as? BlockFailureError else { return false }
                return failure.blocks.count == 3 && failure.blocks.allSatisfy { block in needles.allSatisfy { block.reason.contains($0) } }
            }
        }
        #expect(ContinuousClock.now - start < .seconds(60))
        #expect(cluster.executor.blockFailure != nil)
        // Once in that state, new tasks fail at once instead of waiting.
        let late = ContinuousClock.now
        await #expect(throws: (any Error).self) { _ = try await cluster.kernel.submit(echo, 99).value }
        #expect(ContinuousClock.now - late < .seconds(5))
        let failedBlocks = cluster.events.all.compactMap { event -> String? in
            guard case .block(.blockStatusChanged(let id, let status)) = event, status.state == .failed else { return nil }
            return id
        }
        #expect(Set(failedBlocks) == ["0", "1", "2"])
        await cluster.kernel.shutdown()
    }

    @Test func blocksWhoseWorkerInitFailsEndTheRunWithTheirReason() async throws {
        try await withTemporaryDirectory { root in
            let cluster = try await startCluster(
                root: root,
                workers: 1,
                provider: .init(maxBlocks: 1, workerInit: "echo 'worker_init broke' >&2; exit 3", logDirectory: root + "/local", cancelGracePeriod: 2)
            )
            try await expectBlockFailure(cluster, reasonContains: ["exited with code 3", "worker_init broke"])
        }
    }

    @Test func workersWithTheWrongSecretFailTheirBlocksAndSaySo() async throws {
        try await withTemporaryDirectory { root in
            let cluster = try await startCluster(
                root: root,
                workers: 1,
                workerCommand: ["/usr/bin/env", "\(Authenticator.environmentVariable)=not-this-runs-secret", testWorkerBinary, "worker"]
            )
            try await expectBlockFailure(cluster, reasonContains: ["exited with code 77", "run secret"])
        }
    }

    @Test func aWorkerConnectingResetsTheCountAndTasksRun() async throws {
        try await withTemporaryDirectory { root in
            // The first two blocks fail, the third starts: below the threshold, so the run goes on.
            let script = "n=$(cat '\(root)/count' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '\(root)/count'; [ $n -ge 3 ] || exit 4"
            let cluster = try await startCluster(
                root: root,
                workers: 1,
                provider: .init(maxBlocks: 1, workerInit: script, logDirectory: root + "/local", cancelGracePeriod: 2)
            )
            let echo = TestApps.app("echo", Int.self, Int.self, in: cluster.apps)
            #expect(try await cluster.kernel.submit(echo, 41).value == 41)
            #expect(cluster.executor.blockFailure == nil)
            await cluster.kernel.shutdown()
        }
    }

    /// The image runs as uid 1000 and pods get no extra capabilities: workers must need no privilege.
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func workersRunAsAnUnprivilegedUserRunTasks() async throws {
        try await withTemporaryDirectory { root in
            let cluster = try await startCluster(
                root: root,
                workers: 2,
                workerCommand: ["/usr/bin/setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", testWorkerBinary, "worker"]
            )
            let echo = TestApps.app("echo", Int.self, Int.self, in: cluster.apps)
            let futures = (0..<50).map { cluster.kernel.submit(echo, $0) }
            var values: [Int] = []
            for future in futures { values.append(try await future.value) }
            #expect(values == Array(0..<50))
            // Both slots joined (the second may still be on its way when 50 short tasks are done).
            #expect(await eventually { cluster.executor.connectedWorkers == 2 })
            await cluster.kernel.shutdown()
        }
    }
}
