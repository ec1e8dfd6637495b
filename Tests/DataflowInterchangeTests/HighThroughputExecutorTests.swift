import DataflowCore
import DataflowInterchange
import DataflowProviders
import DataflowWireProtocol
import Foundation
import InterchangeTestApps
import Testing

@Suite(.serialized) struct HighThroughputExecutorTests {
    @Test func multiWorkerRunCompletesEveryTaskExactlyOnce() async throws {
        try await withTemporaryDirectory { root in
            let cluster = try await startCluster(root: root, workers: 2)
            let record = TestApps.app("record", RecordInput.self, Int.self, in: cluster.apps)
            let log = root + "/executions"
            let futures = (0..<300).map { cluster.kernel.submit(record, RecordInput(id: $0, path: log, sleepMilliseconds: 0)) }
            var values: [Int] = []
            for f in futures { values.append(try await f.value) }
            #expect(values == Array(0..<300))
            #expect(cluster.executor.connectedWorkers == 2)
            await cluster.kernel.shutdown()
            let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 300)
            #expect(Set(lines).count == 300)
            #expect(cluster.kernel.summary.completed == 300)
        }
    }

    @Test func shortBodiesRunOnTheWorkersEventLoopAndALongOneSendsItsAppBackToThePool() async throws {
        try await withTemporaryDirectory { root in
            let cluster = try await startCluster(root: root, workers: 1)
            let threadName = TestApps.app("thread_name", Int.self, String.self, in: cluster.apps)
            func onLoop(_ ms: Int) async throws -> Bool { try await cluster.kernel.submit(threadName, ms).value.hasPrefix("NIO-") }
            // An app the worker has not run yet runs on the pool.
            #expect(try await onLoop(0) == false)
            // Once its bodies were short, on the event loop (a busy machine may stretch one past the limit,
            // which sends the next ones to the pool for a while: allow for that).
            var short: [Bool] = []
            for _ in 0..<3000 where short.last != true { short.append(try await onLoop(0)) }
            #expect(short.last == true, "never on the event loop in \(short.count) calls")
            // A body of 20 ms (on the loop, unless the last short one was stretched) sends the app back to
            // the pool.
            _ = try await onLoop(20)
            #expect(try await onLoop(0) == false)
            #expect(try await onLoop(0) == false)
            await cluster.kernel.shutdown()
        }
    }

    @Test func appErrorsComeBackWithTypeMessageAndWorker() async throws {
        try await withTemporaryDirectory { root in
            let cluster = try await startCluster(root: root, workers: 1)
            let fail = TestApps.app("fail", Int.self, Int.self, in: cluster.apps)
            let bytes = TestApps.app("bytes", [UInt8].self, [UInt8].self, in: cluster.apps)
            await #expect {
                _ = try await cluster.kernel.submit(fail, 7).value
            } throws: { error in
                guard let e = error as? TaskError, let remote = e.underlying as? RemoteFailure else { return false }
                return e.code == .appFailed && remote.typeName.hasSuffix("TestFailure") && remote.message == "test failure 7"
                    && (e.location ?? "").hasPrefix("worker 0.")
            }
            // Payloads of several MiB travel both ways (compressed on the wire).
            let payload = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            #expect(try await cluster.kernel.submit(bytes, payload).value == payload.reversed())
            await cluster.kernel.shutdown()
        }
    }

    @Test func aSegfaultingTaskLosesOnlyItsOwnTry() async throws {
        try await withTemporaryDirectory { root in
            // No prefetch: each slot holds only the try it runs, so the interchange knows exactly which try a
            // crash took (with prefetch, a neighbour whose result was still in flight can be charged too;
            // docs/wire-protocol.md). No retries: the crashing task must fail on its first try, alone.
            let cluster = try await startCluster(root: root, workers: 2, retries: 0, prefetch: 0)
            let crash = TestApps.app("crash", Int.self, Int.self, in: cluster.apps)
            let others = (2..<12).map { cluster.kernel.submit(crash, $0) }
            let doomed = cluster.kernel.submit(crash, 1)
            await #expect {
                _ = try await doomed.value
            } throws: { error in
                let e = error as? TaskError
                return e?.code == .workerLost && e!.message.contains("worker lost while running task \(doomed.taskID) (app crash)") && e!.tryID == 0
            }
            for f in others { _ = try await f.value }
            // The crashed slot is restarted and the node keeps working.
            #expect(await eventually { cluster.executor.connectedWorkers == 2 })
            #expect(try await cluster.kernel.submit(crash, 99).value == 99)
            await cluster.kernel.shutdown()
        }
    }

    @Test func killingAWorkerMidTaskLosesNoTask() async throws {
        try await withTemporaryDirectory { root in
            let cluster = try await startCluster(root: root, workers: 2, retries: 2)
            let record = TestApps.app("record", RecordInput.self, Int.self, in: cluster.apps)
            let log = root + "/executions"
            let futures = (0..<30).map { cluster.kernel.submit(record, RecordInput(id: $0, path: log, sleepMilliseconds: 100)) }
            #expect(await eventually { cluster.executor.connectedWorkers == 2 && cluster.kernel.summary.completed >= 4 })
            let victim = try #require(cluster.executor.connectedWorkerIDs.first)
            let pid = try #require(Int32(victim.split(separator: ".").dropLast().last ?? ""))
            kill(pid, SIGKILL)
            var values: [Int] = []
            for f in futures { values.append(try await f.value) }
            #expect(values == Array(0..<30))
            await cluster.kernel.shutdown()
            #expect(cluster.kernel.summary.completed == 30)
            #expect(cluster.kernel.summary.failed == 0)
            #expect(cluster.events.all.contains { if case .workerLost(let id, _, _, _) = $0 { id == victim } else { false } })
        }
    }

    @Test func unauthenticatedClientsLearnNothingAndGetNoTask() async throws {
        try await withTemporaryDirectory { root in
            // Clear text, to speak the protocol's own handshake (with TLS a stranger does not get this far).
            let cluster = try await startCluster(root: root, workers: 1, encrypted: false)
            let echo = TestApps.app("echo", Int.self, Int.self, in: cluster.apps)
            let port = try #require(cluster.executor.port)
            let queued = (0..<20).map { cluster.kernel.submit(echo, $0) }

            let intruder = try RawConnection(port: port)
            let challenge = intruder.readSome()
            let challengeFrameSize = 43  // length, kind, version, nonce length, 32-byte nonce
            #expect(challenge.count == challengeFrameSize)
            var buffer = NIOByteBufferHelper.frame(
                .register(
                    Registration(
                        proof: Array(repeating: 0, count: 32),
                        nonce: Authenticator.nonce(),
                        fingerprint: cluster.apps.fingerprint,
                        hostname: "intruder",
                        blockID: "0",
                        workerID: "intruder",
                        capacity: 100,
                        pid: 1
                    )
                )
            )
            intruder.send(buffer)
            let (after, closed) = intruder.readUntilClosed()
            #expect(closed)
            #expect(after.isEmpty)
            buffer = []
            for f in queued { _ = try await f.value }
            #expect(!cluster.executor.connectedWorkerIDs.contains("intruder"))
            await cluster.kernel.shutdown()
        }
    }

    @Test(arguments: [false, true])
    func fuzzedFramesDoNotDisturbRealWorkers(encrypted: Bool) async throws {
        try await withTemporaryDirectory { root in
            let cluster = try await startCluster(root: root, workers: 2, encrypted: encrypted)
            let echo = TestApps.app("echo", Int.self, Int.self, in: cluster.apps)
            let port = try #require(cluster.executor.port)
            let work = Task { try await (0..<2000).map { cluster.kernel.submit(echo, $0) }.asyncValues() }
            let valid =
                NIOByteBufferHelper.frame(.heartbeat)
                + NIOByteBufferHelper.frame(.results([TaskResult(key: TaskKey(taskID: 1, tryID: 0), outcome: .success([1]))]))
            await withTaskGroup(of: Void.self) { group in
                for client in 0..<4 {
                    group.addTask {
                        var generator = SystemRandomNumberGenerator()
                        for round in 0..<500 {
                            guard let connection = try? RawConnection(port: port) else { continue }
                            // In clear text the leader speaks first (its challenge); under TLS it waits for a
                            // ClientHello, which these bytes are not.
                            if !encrypted { _ = connection.readSome() }
                            var bytes: [UInt8]
                            switch (round + client) % 4 {
                            case 0: bytes = (0..<Int.random(in: 1..<200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                            case 1:
                                bytes = valid
                                for _ in 0..<3 { bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator) }
                            case 2: bytes = [0xFF, 0xFF, 0xFF, 0xFF, 5] + Array(repeating: 0, count: 64)  // absurd length
                            default: bytes = [0, 0, 0, 3, 5, 0]  // truncated frame, then hang up
                            }
                            connection.send(bytes)
                        }
                    }
                }
            }
            let values = try await work.value
            #expect(values == Array(0..<2000))
            #expect(cluster.executor.connectedWorkers == 2)
            // Still serving after the storm.
            #expect(try await cluster.kernel.submit(echo, 5).value == 5)
            await cluster.kernel.shutdown()
        }
    }

    @Test func workerWithOtherAppsIsRefusedWithAClearMessage() async throws {
        try await withTemporaryDirectory { root in
            let cluster = try await startCluster(root: root, workers: 1)
            let launch = try #require(cluster.executor.workerLaunch(blockID: "manual"))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: launch.command[0])
            process.arguments = Array(launch.command.dropFirst()) + []
            var environment = ProcessInfo.processInfo.environment.merging(launch.environment) { $1 }
            environment["TEST_WORKER_EXTRA_APP"] = "1"
            process.environment = environment
            let stderr = Pipe()
            process.standardError = stderr
            try process.run()
            let text = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0 || process.terminationStatus == 77)
            #expect(text.contains("differ from the leader's"))
            await cluster.kernel.shutdown()
        }
    }

    @Test func scalesOutUnderLoadAndInWhenIdle() async throws {
        try await withTemporaryDirectory { root in
            let cluster = try await startCluster(
                root: root,
                workers: 1,
                provider: .init(initBlocks: 0, minBlocks: 0, maxBlocks: 2, logDirectory: root + "/local", cancelGracePeriod: 2),
                strategy: .htexAutoScale,
                maxIdletime: 1
            )
            let sleep = TestApps.app("sleep_ms", Int.self, Int.self, in: cluster.apps)
            #expect(cluster.executor.connectedWorkers == 0)
            let futures = (0..<16).map { _ in cluster.kernel.submit(sleep, 150) }
            for f in futures { _ = try await f.value }
            let submitted = cluster.events.all.filter { if case .block(.blockSubmitted) = $0 { true } else { false } }
            #expect(submitted.count == 2)
            #expect(await eventually(.seconds(40)) { cluster.executor.connectedWorkers == 0 })
            // Scale-in drains the blocks (their workers finish and leave), then the blocks end.
            let ended = await eventually(.seconds(30)) {
                var last: [String: JobState] = [:]
                for case .block(.blockStatusChanged(let id, let status)) in cluster.events.all { last[id] = status.state }
                return last.count == 2 && last.values.allSatisfy(\.isTerminal)
            }
            #expect(ended, "events: \(cluster.events.all)")
            #expect(cluster.events.all.contains { if case .block(.decision(let d)) = $0 { "\(d)".hasPrefix("scale in") } else { false } })
            let drained = cluster.events.all.filter { if case .workerLost(_, _, _, let reason) = $0 { reason == "drained" } else { false } }
            #expect(drained.count == 2)
            await cluster.kernel.shutdown()
        }
    }
}

extension Array {
    func asyncValues<T>() async throws -> [T] where Element == AppFuture<T> {
        var out: [T] = []
        for f in self { out.append(try await f.value) }
        return out
    }
}
