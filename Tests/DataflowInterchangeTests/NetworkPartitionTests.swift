import DataflowCore
import DataflowInterchange
import DataflowProviders
import DataflowWireProtocol
import Foundation
import InterchangeTestApps
import Testing

/// Leader and workers on separate network hosts on one machine: a Linux network namespace joined to this
/// one by a veth pair, made and removed by the test (needs root, as `ip netns` does). The link is cut by
/// dropping every packet with nftables inside the worker's namespace (the sockets stay open, as when a node
/// or a switch goes away), and degraded by dropping a share of packets at random. (`tc netem` would add
/// delay too, but this machine's kernel has no `sch_netem`; nftables needs nothing beyond nf_tables.
/// ``DelayRelay`` adds the delay instead.)
final class WorkerHost {
    let name: String
    let hostSide: String
    let workerSide: String
    let leaderAddress: String
    let workerAddress: String

    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft")
    }

    init() throws {
        let tag = String(UInt32.random(in: 0..<0xFFFF), radix: 16)
        let subnet = Int.random(in: 1..<250)
        name = "dfw-\(tag)"
        hostSide = "vh\(tag)"
        workerSide = "vw\(tag)"
        leaderAddress = "10.213.\(subnet).1"
        workerAddress = "10.213.\(subnet).2"
        try Self.sh(
            """
            ip netns add \(name)
            ip link add \(hostSide) type veth peer name \(workerSide)
            ip link set \(workerSide) netns \(name)
            ip addr add \(leaderAddress)/30 dev \(hostSide)
            ip link set \(hostSide) up
            ip netns exec \(name) ip addr add \(workerAddress)/30 dev \(workerSide)
            ip netns exec \(name) ip link set \(workerSide) up
            ip netns exec \(name) ip link set lo up
            """
        )
    }

    /// Drops every packet both ways; nothing is closed.
    func cut() throws {
        try Self.sh(
            """
            ip netns exec \(name) nft add table inet partition
            ip netns exec \(name) nft add chain inet partition in '{ type filter hook input priority 0; policy drop; }'
            ip netns exec \(name) nft add chain inet partition out '{ type filter hook output priority 0; policy drop; }'
            """
        )
    }

    /// Puts the link back.
    func heal() throws {
        try Self.sh("ip netns exec \(name) nft delete table inet partition")
    }

    /// Drops `lossPercent` of the packets each way at random.
    func degrade(lossPercent: Int) throws {
        try Self.sh(
            """
            ip netns exec \(name) nft add table inet lossy
            ip netns exec \(name) nft add chain inet lossy in '{ type filter hook input priority 0; policy accept; }'
            ip netns exec \(name) nft add chain inet lossy out '{ type filter hook output priority 0; policy accept; }'
            ip netns exec \(name) nft add rule inet lossy in meta l4proto tcp numgen random mod 100 lt \(lossPercent) drop
            ip netns exec \(name) nft add rule inet lossy out meta l4proto tcp numgen random mod 100 lt \(lossPercent) drop
            """
        )
    }

    /// The argv prefix that runs a command inside this host.
    var exec: [String] { ["/usr/sbin/ip", "netns", "exec", name] }

    func remove() {
        _ = try? Self.sh("ip netns pids \(name) | xargs -r kill -9; ip link del \(hostSide); ip netns del \(name)")
    }

    @discardableResult
    static func sh(_ script: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-ec", script]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure(value: Int(process.terminationStatus)) }
        return text
    }
}

@Suite(.serialized, .enabled(if: WorkerHost.available)) struct NetworkPartitionTests {
    /// A leader listening on the veth address, with one block of workers inside the namespace and one
    /// local worker started by hand.
    func cluster(root: String, host: WorkerHost, encrypted: Bool = true) async throws -> (DataFlowKernel, HighThroughputExecutor, EventLog) {
        let events = EventLog()
        let executor = HighThroughputExecutor(
            configuration: .init(
                address: host.leaderAddress,
                maxWorkersPerNode: 2,
                prefetchCapacity: 0,
                heartbeatPeriod: .milliseconds(200),
                heartbeatThreshold: .seconds(2),
                isolation: .process,
                workerCommand: host.exec + [testWorkerBinary, "worker"],
                strategyPeriod: .milliseconds(100),
                drainTimeout: .seconds(5),
                encrypted: encrypted
            ),
            provider: LocalProvider(configuration: .init(initBlocks: 1, maxBlocks: 1, logDirectory: root + "/local", cancelGracePeriod: 2))
        )
        executor.onEvent { events.append($0) }
        let kernel = try await DataFlowKernel(
            configuration: .init(executors: [executor], runDirectory: root + "/runinfo", retries: 2, monitoring: false),
            apps: TestApps.registry()
        )
        return (kernel, executor, events)
    }

    /// Starts a worker in this (the leader's) namespace.
    func localWorker(_ executor: HighThroughputExecutor) throws -> Process {
        let launch = try #require(executor.workerLaunch(blockID: "local"))
        let process = Process()
        // The launch command starts with `ip netns exec NAME`; this one runs here instead.
        let argv = Array(launch.command.drop { $0 != testWorkerBinary })
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(launch.environment) { $1 }
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func aCutLinkIsDetectedByHeartbeatsAndItsTasksFinishElsewhereExactlyOnce() async throws {
        try await withTemporaryDirectory { root in
            let host = try WorkerHost()
            defer { host.remove() }
            let (kernel, executor, events) = try await cluster(root: root, host: host)
            let record = TestApps.app("record", RecordInput.self, Int.self, in: TestApps.registry())
            let log = root + "/executions"
            #expect(await eventually(.seconds(30)) { executor.connectedWorkers == 2 })
            let remote = Set(executor.connectedWorkerIDs)
            let local = try localWorker(executor)
            defer { local.terminate() }
            #expect(await eventually(.seconds(30)) { executor.connectedWorkers == 4 })  // two slots here too
            let futures = (0..<40).map { kernel.submit(record, RecordInput(id: $0, path: log, sleepMilliseconds: 300)) }
            // Cut once the namespace's workers are running tasks.
            #expect(await eventually { kernel.summary.completed >= 4 })
            try host.cut()
            let cutAt = ContinuousClock.now
            #expect(await eventually(.seconds(20)) { executor.connectedWorkers == 2 })
            let detected = ContinuousClock.now - cutAt
            // Threshold 2 s: detected within it plus a heartbeat tick and room for a loaded machine.
            #expect(detected < .seconds(8), "detected after \(detected)")
            let lost = events.all.compactMap { event -> String? in
                if case .workerLost(let id, _, _, _) = event, remote.contains(id) { return id } else { return nil }
            }
            #expect(Set(lost) == remote)
            var values: [Int] = []
            for future in futures { values.append(try await future.value) }
            #expect(values == Array(0..<40))
            #expect(kernel.summary.completed == 40)
            #expect(kernel.summary.failed == 0)
            // Healing the link: the stale workers' late results are not taken (every future already has its
            // value, which is the only one), and they leave instead of rejoining.
            try host.heal()
            try await Task.sleep(for: .seconds(3))
            #expect(Set(executor.connectedWorkerIDs).isDisjoint(with: remote))
            #expect(kernel.summary.completed == 40)
            await kernel.shutdown()
        }
    }

    @Test func packetLossSlowsTheRunButLosesNothing() async throws {
        try await withTemporaryDirectory { root in
            let host = try WorkerHost()
            defer { host.remove() }
            try host.degrade(lossPercent: 5)
            let (kernel, executor, _) = try await cluster(root: root, host: host)
            let echo = TestApps.app("echo", Int.self, Int.self, in: TestApps.registry())
            #expect(await eventually(.seconds(30)) { executor.connectedWorkers == 2 })
            let start = ContinuousClock.now
            let values = try await (0..<300).map { kernel.submit(echo, $0) }.asyncValues()
            let took = ContinuousClock.now - start
            #expect(values == Array(0..<300))
            #expect(kernel.summary.failed == 0)
            // 5% loss each way: TCP retransmits (200 ms and more each), but batching keeps it to seconds.
            #expect(took < .seconds(60), "took \(took)")
            await kernel.shutdown()
        }
    }
}
