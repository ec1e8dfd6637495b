import DataflowProviders
import Foundation
import Testing

struct BlockScalerTests {
    /// Short periods so that ticks come every few milliseconds.
    private func configuration(
        initBlocks: Int = 1, minBlocks: Int = 0, maxBlocks: Int = 4, maxIdletime: Double = 120, connectTimeout: Double? = nil,
        strategyPeriod: Duration = .milliseconds(10)
    ) -> BlockScaler.Configuration {
        BlockScaler.Configuration(
            strategy: .init(initBlocks: initBlocks, minBlocks: minBlocks, maxBlocks: maxBlocks, maxIdletime: maxIdletime, connectTimeout: connectTimeout),
            strategyPeriod: strategyPeriod,
            statusPollingInterval: .milliseconds(10)
        )
    }

    private func hooks(
        outstanding: Box<Int> = Box(0),
        workers: Box<[String: BlockScaler.BlockWorkers]> = Box([:]),
        drain: @escaping @Sendable (String) async -> Void = { _ in }
    ) -> BlockScaler.Hooks {
        BlockScaler.Hooks(
            outstandingTasks: { outstanding.get() },
            workers: { workers.get() },
            launchCommand: { ["worker", "--block-id", $0] },
            environment: ["RUN_SECRET": "hush"],
            drain: drain
        )
    }

    /// Collects the scaler's events in the background.
    private func record(_ scaler: BlockScaler) -> (Box<[BlockScaler.Event]>, Task<Void, Never>) {
        let events = Box<[BlockScaler.Event]>([])
        let task = Task {
            for await event in scaler.events { events.update { $0.append(event) } }
        }
        return (events, task)
    }

    @Test func initBlocksAreSubmittedOnTheFirstTickAtOnce() async throws {
        let provider = RecordingProvider()
        // A long strategy period: only the immediate first tick can have submitted them.
        let scaler = BlockScaler(provider: provider, configuration: configuration(initBlocks: 3, strategyPeriod: .seconds(60)), hooks: hooks())
        let (events, collector) = record(scaler)
        let started = ContinuousClock.now
        await scaler.start()
        #expect(await eventually { provider.submitted.count == 3 })
        // Far less than the 60 s period, with room for a loaded CI machine.
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(provider.submitted == ["submit 0 job-1", "submit 1 job-2", "submit 2 job-3"])
        #expect(provider.commands.get()["1"] == ["worker", "--block-id", "1"])
        #expect(provider.environments.get()["2"] == ["RUN_SECRET": "hush"])
        #expect(await scaler.blocks.map(\.blockID) == ["0", "1", "2"])
        await scaler.shutdown()
        await collector.value
        let submittedEvents = events.get().filter { if case .blockSubmitted = $0 { true } else { false } }
        #expect(
            submittedEvents == [
                .blockSubmitted(blockID: "0", jobID: "job-1"), .blockSubmitted(blockID: "1", jobID: "job-2"), .blockSubmitted(blockID: "2", jobID: "job-3"),
            ])
    }

    @Test func scalesOutWhenOutstandingTasksGrow() async throws {
        let provider = RecordingProvider()
        let outstanding = Box(0)
        let scaler = BlockScaler(provider: provider, configuration: configuration(initBlocks: 1, maxBlocks: 4), hooks: hooks(outstanding: outstanding))
        await scaler.start()
        #expect(await eventually { provider.submitted.count == 1 })
        outstanding.set(3)
        #expect(await eventually { provider.submitted.count == 3 })
        outstanding.set(100)
        #expect(await eventually { provider.submitted.count == 4 })
        try await Task.sleep(for: .milliseconds(50))
        #expect(provider.submitted.count == 4)  // max_blocks
        await scaler.shutdown()
    }

    @Test func scaleInDrainsBeforeCancelling() async throws {
        let log = Box<[String]>([])
        let provider = RecordingProvider(log: log)
        let workers = Box<[String: BlockScaler.BlockWorkers]>([:])
        let scaler = BlockScaler(
            provider: provider,
            configuration: configuration(initBlocks: 2, maxIdletime: 0.05),
            hooks: hooks(workers: workers) { blockID in
                log.update { $0.append("drain start \(blockID)") }
                try? await Task.sleep(for: .milliseconds(100))
                log.update { $0.append("drain end \(blockID)") }
            }
        )
        let (events, collector) = record(scaler)
        await scaler.start()
        #expect(await eventually { provider.submitted.count == 2 })
        let now = BlockScaler.monotonicSeconds()
        workers.set(["0": .init(connectedWorkers: 1, runningTasks: 0, idleSince: now), "1": .init(connectedWorkers: 1, runningTasks: 0, idleSince: now)])
        #expect(await eventually { provider.cancelled.count == 2 })
        let entries = log.get()
        for (block, job) in [("0", "job-1"), ("1", "job-2")] {
            let drainEnd = try #require(entries.firstIndex(of: "drain end \(block)"))
            let cancel = try #require(entries.firstIndex(of: "cancel \(job)"))
            #expect(drainEnd < cancel, "\(entries)")
        }
        #expect(await scaler.blocks.allSatisfy { $0.status.state == .scaledIn })
        try await Task.sleep(for: .milliseconds(50))
        #expect(provider.submitted.count == 2)  // no tasks: nothing new is started
        await scaler.shutdown()
        await collector.value
        let cancellations = events.get().compactMap { event -> String? in
            if case .blockCancelled(let id, let reason) = event { return "\(id): \(reason)" } else { return nil }
        }
        #expect(cancellations.count == 2)
        #expect(cancellations.allSatisfy { $0.contains("scaled in") && $0.contains("max_idletime") })
    }

    @Test func shutdownCancelsEveryBlockAndEndsTheEvents() async throws {
        let provider = RecordingProvider()
        let scaler = BlockScaler(provider: provider, configuration: configuration(initBlocks: 3), hooks: hooks())
        let (events, collector) = record(scaler)
        await scaler.start()
        #expect(await eventually { provider.submitted.count == 3 })
        await scaler.shutdown()
        await collector.value  // the stream finished
        #expect(provider.cancelled == ["cancel job-1,job-2,job-3"])
        #expect(await scaler.blocks.allSatisfy { $0.status.state == .cancelled })
        let cancelled = events.get().filter { if case .blockCancelled(_, "executor shutdown") = $0 { true } else { false } }
        #expect(cancelled.count == 3)
        // Nothing happens after shutdown.
        await scaler.tick()
        #expect(provider.submitted.count == 3)
    }

    @Test func shutdownDoesNotWaitForADrainInProgress() async throws {
        let provider = RecordingProvider()
        let workers = Box<[String: BlockScaler.BlockWorkers]>([:])
        let drainStarted = Box(false)
        let scaler = BlockScaler(
            provider: provider, configuration: configuration(initBlocks: 1, maxIdletime: 0),
            hooks: hooks(workers: workers) { _ in
                drainStarted.set(true)
                try? await Task.sleep(for: .seconds(30))
            })
        await scaler.start()
        #expect(await eventually { drainStarted.get() })
        let started = ContinuousClock.now
        await scaler.shutdown()
        #expect(ContinuousClock.now - started < .seconds(20))  // not the drain's 30 s
        #expect(provider.cancelled == ["cancel job-1"])
        #expect(await scaler.blocks.first?.status.state == .cancelled)
    }

    @Test func blocksThatNeverConnectAreReplaced() async throws {
        let provider = RecordingProvider()
        let scaler = BlockScaler(provider: provider, configuration: configuration(initBlocks: 1, connectTimeout: 0.05), hooks: hooks())
        let (events, collector) = record(scaler)
        await scaler.start()
        #expect(await eventually { provider.submitted.count >= 2 })
        await scaler.shutdown()
        await collector.value
        #expect(provider.cancelled.first == "cancel job-1")
        let first = events.get().first { if case .blockCancelled("0", _) = $0 { true } else { false } }
        guard case .blockCancelled(_, let reason) = try #require(first) else { return }
        #expect(reason.contains("connect_timeout"))
        #expect(await scaler.blocks.first?.status.state == .cancelled)
    }

    @Test func connectedBlocksAreNotReplaced() async throws {
        let provider = RecordingProvider()
        let workers = Box<[String: BlockScaler.BlockWorkers]>(["0": .init(connectedWorkers: 1, runningTasks: 1, idleSince: nil)])
        let scaler = BlockScaler(
            provider: provider, configuration: configuration(initBlocks: 1, connectTimeout: 0.05), hooks: hooks(outstanding: Box(1), workers: workers))
        await scaler.start()
        try await Task.sleep(for: .milliseconds(200))
        #expect(provider.submitted.count == 1)
        #expect(provider.cancelled.isEmpty)
        await scaler.shutdown()
    }

    @Test func providerStatusChangesAreReported() async throws {
        let provider = RecordingProvider()
        let scaler = BlockScaler(provider: provider, configuration: configuration(initBlocks: 1), hooks: hooks())
        let (events, collector) = record(scaler)
        await scaler.start()
        #expect(await eventually { await scaler.blocks.first?.status.state == .running })
        provider.states.update { $0["job-1"] = .failed }
        #expect(await eventually { await scaler.blocks.first?.status.state == .failed })
        await scaler.shutdown()
        await collector.value
        let states = events.get().compactMap { event -> JobState? in
            if case .blockStatusChanged("0", let status) = event { return status.state } else { return nil }
        }
        #expect(states == [.pending, .running, .failed])
        // It failed before any worker connected: whatever the provider has left of it is removed.
        #expect(provider.cancelled == ["cancel job-1"])
    }

    @Test func blocksThatKeepFailingBeforeAnyWorkerConnectsPutTheScalerInABadState() async throws {
        let provider = RecordingProvider()
        var c = configuration(initBlocks: 1, maxBlocks: 1)
        c.blockErrorThreshold = 3
        let scaler = BlockScaler(provider: provider, configuration: c, hooks: hooks(outstanding: Box(5)))
        let (events, collector) = record(scaler)
        await scaler.start()
        // Every block it starts fails at once, as one whose worker_init exits 3 would.
        for job in 1...3 {
            #expect(await eventually { provider.submitted.count >= job })
            provider.states.update { $0["job-\(job)"] = .failed }
        }
        #expect(await eventually { await scaler.badState != nil })
        let error = try #require(await scaler.badState)
        #expect(error.blocks.map(\.blockID) == ["0", "1", "2"])
        #expect(error.blocks.map(\.jobID) == ["job-1", "job-2", "job-3"])
        #expect(error.blocks.allSatisfy { $0.reason.hasPrefix("FAILED") })
        // No block is started after giving up.
        try await Task.sleep(for: .milliseconds(100))
        #expect(provider.submitted.count == 3)
        await scaler.shutdown()
        await collector.value
        #expect(events.get().contains(.badState(error)))
    }

    @Test func aWorkerConnectingResetsTheFailureCount() async throws {
        let provider = RecordingProvider()
        var c = configuration(initBlocks: 1, maxBlocks: 1)
        c.blockErrorThreshold = 2
        let scaler = BlockScaler(provider: provider, configuration: c, hooks: hooks(outstanding: Box(5)))
        await scaler.start()
        #expect(await eventually { provider.submitted.count >= 1 })
        provider.states.update { $0["job-1"] = .failed }
        #expect(await eventually { provider.submitted.count >= 2 })
        // Block 1's worker joins, then the block dies: that is not a block that could never start.
        await scaler.workerConnected(blockID: "1")
        provider.states.update { $0["job-2"] = .failed }
        #expect(await eventually { provider.submitted.count >= 3 })
        provider.states.update { $0["job-3"] = .failed }
        #expect(await eventually { provider.submitted.count >= 4 })
        #expect(await scaler.badState == nil)  // one failure in a row since the connect, threshold 2
        provider.states.update { $0["job-4"] = .failed }
        #expect(await eventually { await scaler.badState != nil })
        #expect(await scaler.badState?.blocks.map(\.blockID) == ["2", "3"])
        await scaler.shutdown()
    }

    @Test func withoutAThresholdTheScalerNeverGivesUp() async throws {
        let provider = RecordingProvider()
        var c = configuration(initBlocks: 1, maxBlocks: 1)
        c.blockErrorThreshold = nil
        let scaler = BlockScaler(provider: provider, configuration: c, hooks: hooks(outstanding: Box(5)))
        await scaler.start()
        for job in 1...5 {
            #expect(await eventually { provider.submitted.count >= job })
            provider.states.update { $0["job-\(job)"] = .failed }
        }
        #expect(await eventually { provider.submitted.count >= 6 })
        #expect(await scaler.badState == nil)
        await scaler.shutdown()
    }

    @Test func failedSubmitBecomesAFailedBlock() async throws {
        final class BrokenProvider: ExecutionProvider {
            let label = "broken"
            let blockLimits = BlockLimits()
            func submit(command: [String], environment: [String: String], blockID: String) async throws -> String {
                throw ProvidersError(.submitFailed, "no capacity")
            }
            func status(jobIDs: [String]) async throws -> [String: JobStatus] { [:] }
            func cancel(jobIDs: [String]) async throws {}
        }
        let scaler = BlockScaler(provider: BrokenProvider(), configuration: configuration(initBlocks: 1, strategyPeriod: .seconds(60)), hooks: hooks())
        await scaler.tick()
        let block = try #require(await scaler.blocks.first)
        #expect(block.jobID == nil)
        #expect(block.status.state == .failed)
        #expect(block.status.message?.contains("no capacity") == true)
        await scaler.shutdown()
    }

    @Test func runsLocalProcessesAndLeavesNoneBehind() async throws {
        try await withTemporaryDirectory { root in
            let local = LocalProvider(configuration: .init(logDirectory: "\(root)/local"))
            let scaler = BlockScaler(
                provider: local, configuration: configuration(initBlocks: 1),
                hooks: BlockScaler.Hooks(
                    outstandingTasks: { 0 }, workers: { [:] },
                    launchCommand: { ["/bin/sh", "-c", "echo block $0 $RUN_SECRET; exec sleep 30", $0] },
                    environment: ["RUN_SECRET": "hush"], drain: { _ in }))
            await scaler.start()
            let stdout = "\(root)/local/block-0/stdout"
            #expect(await eventually { (try? String(contentsOfFile: stdout, encoding: .utf8)) == "block 0 hush\n" })
            // The process can start before submit returns to the scaler, so wait for the block row too.
            #expect(await eventually { await scaler.blocks.first?.jobID != nil })
            let jobID = try #require(await scaler.blocks.first?.jobID)
            let pid = try #require(local.processIDs(jobID: jobID).first)
            await scaler.shutdown()
            await local.shutdown()
            #expect(!processExists(pid))
        }
    }
}
