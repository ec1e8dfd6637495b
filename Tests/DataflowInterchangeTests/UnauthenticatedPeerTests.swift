import DataflowCore
import DataflowInterchange
import DataflowProviders
import DataflowWireProtocol
import Foundation
import InterchangeTestApps
import Synchronization
import Testing

/// What a peer that never authenticates can cost the leader: a small constant, however many connect and
/// whatever they send, while real workers keep running tasks.
@Suite(.serialized) struct UnauthenticatedPeerTests {
    /// This process's resident set (VmRSS), in MiB.
    static func residentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return (line.split(separator: " ").compactMap { Double($0) }.first ?? 0) / 1024
        }
        return 0
    }

    /// One attacker connection: garbage, wrong proofs, or a frame header near the limit followed by as much
    /// of the announced body as the leader will take (up to `streamBytes`).
    static func attack(port: Int, style: Int, streamBytes: Int) {
        guard let connection = try? RawConnection(port: port) else { return }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(connection.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        switch style % 3 {
        case 0:
            connection.send((0..<512).map { _ in UInt8.random(in: 0...255) })
        case 1:
            // A registration with a wrong proof (what an attacker who sniffed nothing can send).
            connection.send(
                NIOByteBufferHelper.frame(
                    .register(
                        Registration(
                            proof: Array(repeating: 7, count: 32), nonce: Authenticator.nonce(), fingerprint: "x", hostname: "evil",
                            blockID: "0", workerID: "evil", capacity: 1000, pid: 1
                        )
                    )
                )
            )
        default:
            // Announce a frame just under the 256 MiB limit and stream its body.
            let announced = UInt32(255 << 20)
            connection.send(withUnsafeBytes(of: announced.bigEndian, Array.init) + [WireMessage.Kind.results.rawValue])
            let chunk = [UInt8](repeating: 0x5A, count: 1 << 20)
            var sent = 0
            while sent < streamBytes {
                let n = chunk.withUnsafeBytes { Glibc.send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                sent += n
            }
        }
        _ = connection.readUntilClosed()
    }

    @Test(arguments: [false, true])
    func hundredsOfUnauthenticatedPeersCostASmallConstantAndWorkersKeepWorking(encrypted: Bool) async throws {
        try await withTemporaryDirectory { root in
            let cluster = try await startCluster(root: root, workers: 2, encrypted: encrypted, maxUnauthenticatedConnections: 32)
            let echo = TestApps.app("echo", Int.self, Int.self, in: cluster.apps)
            let port = try #require(cluster.executor.port)
            #expect(try await cluster.kernel.submit(echo, 1).value == 1)
            let before = Self.residentMiB()
            let peak = PeakTracker()
            let sampler = Task {
                while !Task.isCancelled {
                    peak.observe(Self.residentMiB(), unauthenticated: cluster.executor.unauthenticatedConnections)
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
            let work = Task { try await (0..<2000).map { cluster.kernel.submit(echo, $0) }.asyncValues() }
            // 300 attackers, 16 at a time; each stream would be 24 MiB if the leader buffered it.
            await withTaskGroup(of: Void.self) { group in
                for lane in 0..<16 {
                    group.addTask {
                        await Task.detached {
                            for round in 0..<19 { Self.attack(port: port, style: lane + round, streamBytes: 24 << 20) }
                        }.value
                    }
                }
            }
            let values = try await work.value
            sampler.cancel()
            #expect(values == Array(0..<2000))
            #expect(cluster.executor.connectedWorkers == 2)
            let (peakMiB, peakUnauthenticated) = peak.values
            // Without limits the leader held the announced bodies (GiBs); with them a few KiB per peer.
            #expect(peakMiB - before < 64, "RSS grew from \(before) MiB to \(peakMiB) MiB")
            #expect(peakUnauthenticated <= 32)
            #expect(try await cluster.kernel.submit(echo, 5).value == 5)
            await cluster.kernel.shutdown()
        }
    }

    @Test func aWorkerJoinsWhileTheHandshakeSlotsAreFull() async throws {
        try await withTemporaryDirectory { root in
            let cluster = try await startCluster(
                root: root, workers: 1, provider: .init(initBlocks: 0, maxBlocks: 1, logDirectory: root + "/local", cancelGracePeriod: 2),
                maxUnauthenticatedConnections: 8
            )
            let port = try #require(cluster.executor.port)
            // Hold many idle connections open: more than the cap, none of them ever authenticates.
            var idle: [RawConnection] = []
            for _ in 0..<40 { if let c = try? RawConnection(port: port) { idle.append(c) } }
            #expect(await eventually { cluster.executor.unauthenticatedConnections <= 8 })
            // A block starts now and its worker still gets in (the oldest idle peer makes room).
            let echo = TestApps.app("echo", Int.self, Int.self, in: cluster.apps)
            #expect(try await cluster.kernel.submit(echo, 9).value == 9)
            #expect(cluster.executor.connectedWorkers == 1)
            idle.removeAll()
            await cluster.kernel.shutdown()
        }
    }
}

/// The highest RSS and handshake count seen by a sampler.
final class PeakTracker: Sendable {
    private let state = Mutex<(Double, Int)>((0, 0))
    func observe(_ mib: Double, unauthenticated: Int) {
        state.withLock { $0 = (max($0.0, mib), max($0.1, unauthenticated)) }
    }
    var values: (Double, Int) { state.withLock { $0 } }
}
