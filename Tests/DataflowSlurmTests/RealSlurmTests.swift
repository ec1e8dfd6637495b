import DataflowCore
import DataflowInterchange
import DataflowProviders
import Foundation
import InterchangeTestApps
import Synchronization
import Testing

/// The worker binary of the interchange tests (the same registry as ``TestApps``), built next to this bundle.
let testWorkerBinary: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
    while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("InterchangeTestWorker").path) {
        url = url.deletingLastPathComponent()
    }
    return url.appendingPathComponent("InterchangeTestWorker").path
}()

/// Against the real one-node Slurm of `scripts/slurm-test-cluster.sh` (skipped when `sinfo` reaches no
/// controller). Serialized: the node has two CPUs, and some tests count the jobs on it. The `viz-workflow run`
/// tests are in this suite too (RealSlurmRunTests.swift).
@Suite(.serialized, .enabled(if: SlurmTestCluster.isRunning, "no Slurm controller: run scripts/slurm-test-cluster.sh start"))
struct RealSlurmTests {
    func makeProvider(root: String, _ configure: (inout SlurmProvider.Configuration) -> Void = { _ in }) -> SlurmProvider {
        var c = SlurmProvider.Configuration(
            exclusive: false, walltime: "00:05:00", jobName: SlurmTestCluster.uniqueJobName(), scriptDirectory: root + "/slurm",
            statusPollingInterval: 0.2, cancelTimeout: 20
        )
        configure(&c)
        let provider = SlurmProvider(configuration: c)
        provider.onMessage { _ in }
        return provider
    }

    /// Runs `body` with the provider, then shuts it down and cancels anything left under its job name.
    func withProvider(
        root: String, _ configure: (inout SlurmProvider.Configuration) -> Void = { _ in }, _ body: (SlurmProvider) async throws -> Void
    ) async throws {
        let provider = makeProvider(root: root, configure)
        do {
            try await body(provider)
        } catch {
            await provider.shutdown()
            await SlurmTestCluster.cancelAll(named: provider.configuration.jobName)
            throw error
        }
        await provider.shutdown()
        await SlurmTestCluster.cancelAll(named: provider.configuration.jobName)
    }

    func waitFor(_ provider: SlurmProvider, _ jobID: String, _ states: Set<JobState>, timeout: Duration = .seconds(30)) async throws -> JobStatus {
        var last: JobStatus?
        let reached = try await eventually(timeout: timeout) {
            last = try await provider.status(jobIDs: [jobID])[jobID]
            return last.map { states.contains($0.state) } ?? false
        }
        #expect(reached, "job \(jobID) never reached \(states); last \(String(describing: last))")
        return try #require(last)
    }

    // MARK: The provider alone

    @Test(arguments: [SlurmProvider.Configuration.SecretDelivery.file, .export])
    func aBlockGetsTheSecretThatNoSlurmCommandShows(delivery: SlurmProvider.Configuration.SecretDelivery) async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(root: root, { $0.secretDelivery = delivery }) { provider in
                let secret = "s3cret-\(UUID().uuidString)"
                let got = root + "/got"
                let jobID = try await provider.submit(
                    command: ["/bin/sh", "-c", "echo \"$DATAFLOW_RUN_SECRET\" > \"$0\"; exec sleep 60", got],
                    environment: ["DATAFLOW_RUN_SECRET": secret], blockID: "0")
                _ = try await waitFor(provider, jobID, [.running])
                #expect(await eventually { (try? String(contentsOfFile: got, encoding: .utf8)) == secret + "\n" })

                // squeue shows whose the job is; neither it, scontrol, the script Slurm keeps, nor any process's
                // command line shows the secret.
                let listed = try await SlurmTestCluster.jobs(named: provider.jobNamePrefix)
                #expect(listed.map(\.jobID) == [jobID])
                for argv in [
                    ["squeue", "--noheader", "--format=%all"], ["scontrol", "--oneliner", "--details", "show", "job", jobID],
                    ["scontrol", "write", "batch_script", jobID, "-"],
                ] {
                    let output = try await CommandRunner.run(argv, timeout: .seconds(10))
                    #expect(output.status == 0, "\(argv): \(output.stderr)")
                    #expect(!(output.stdout + output.stderr).contains(secret), "\(argv)")
                }
                let script = try String(contentsOfFile: "\(root)/slurm/\(provider.jobName(blockID: "0")).sbatch", encoding: .utf8)
                #expect(!script.contains(secret))
                for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
                    guard let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
                    #expect(!String(decoding: cmdline, as: UTF8.self).contains(secret), "process \(entry)")
                }

                // Cancelled behind the provider's back: a cancelled block, not a failed one.
                _ = try await CommandRunner.run(["scancel", jobID], timeout: .seconds(10))
                let status = try await waitFor(provider, jobID, [.cancelled])
                #expect(status.message == "cancelled with scancel")
            }
        }
    }

    @Test func aFailingWorkerInitFailsTheBlockWithItsExitStatusAndStderr() async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(root: root, { $0.workerInit = "echo 'module: gdal/9.9 not found' >&2; exit 3" }) { provider in
                let jobID = try await provider.submit(command: ["/bin/true"], environment: ["DATAFLOW_RUN_SECRET": "x"], blockID: "0")
                let status = try await waitFor(provider, jobID, [.failed, .completed])
                #expect(status.state == .failed)
                #expect(status.exitCode == 3)
                #expect(status.message?.contains("module: gdal/9.9 not found") == true, "\(status)")
                #expect(status.stderrPath == "\(root)/slurm/\(provider.jobName(blockID: "0")).err")
            }
        }
    }

    @Test func aJobThatCannotStartYetIsPendingWithTheReasonAndShutdownCancelsEverything() async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(root: root, { $0.exclusive = true }) { provider in
                let first = try await provider.submit(command: ["/bin/sleep", "60"], environment: [:], blockID: "0")
                _ = try await waitFor(provider, first, [.running])
                let second = try await provider.submit(command: ["/bin/sleep", "60"], environment: [:], blockID: "1")
                let waiting = try await waitFor(provider, second, [.pending], timeout: .seconds(10))
                #expect(
                    await eventually(timeout: .seconds(10)) {
                        (try? await provider.status(jobIDs: [second])[second]?.message) == "Resources: waiting for nodes to become free"
                    })
                #expect(waiting.state == .pending)

                await provider.shutdown()
                #expect(try await SlurmTestCluster.activeJobs(named: provider.jobNamePrefix).isEmpty)
                #expect(try await SlurmTestCluster.state(of: first) == "CANCELLED")
                #expect(try await SlurmTestCluster.state(of: second) == "CANCELLED")
            }
        }
    }

    @Test func jobsLeftByAnEarlierLeaderAreCancelledByName() async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(root: root) { provider in
                let leftover = try await SlurmTestCluster.submitSleeper(named: "\(provider.configuration.jobName)-0badcafe-block-0")
                let unrelated = try await SlurmTestCluster.submitSleeper(named: "\(provider.configuration.jobName)-notours")
                let jobID = try await provider.submit(command: ["/bin/sleep", "60"], environment: [:], blockID: "0")
                #expect(provider.orphans == [leftover])
                #expect(try await SlurmTestCluster.state(of: leftover) == "CANCELLED")
                #expect(try await SlurmTestCluster.state(of: unrelated) != "CANCELLED")
                _ = try await CommandRunner.run(["scancel", unrelated], timeout: .seconds(10))
                try await provider.cancel(jobIDs: [jobID])
                #expect(try await SlurmTestCluster.state(of: jobID) == "CANCELLED")
            }
        }
    }

    // MARK: With an executor and real workers

    func makeExecutor(_ provider: SlurmProvider) -> HighThroughputExecutor {
        HighThroughputExecutor(
            configuration: .init(
                maxWorkersPerNode: 1, heartbeatPeriod: .seconds(1), heartbeatThreshold: .seconds(5), workerCommand: [testWorkerBinary, "worker"],
                strategy: .htexAutoScale, maxIdletime: 0.5, strategyPeriod: .milliseconds(200), drainTimeout: .seconds(10)
            ),
            provider: provider
        )
    }

    @Test func scalesOutToSeveralJobsAndBackIn() async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(root: root, { $0.maxBlocks = 2 }) { provider in
                let executor = makeExecutor(provider)
                let kernel = try await DataFlowKernel(
                    configuration: .init(executors: [executor], runDirectory: root + "/run", retries: 1, monitoring: false), apps: TestApps.registry())
                let sleep = TestApps.app("sleep_ms", Int.self, Int.self, in: TestApps.registry())
                let futures = (0..<10).map { _ in kernel.submit(sleep, 700) }
                // Out: two jobs, each with its worker.
                #expect(await eventually { executor.connectedWorkers == 2 })
                let running = try await SlurmTestCluster.activeJobs(named: provider.jobNamePrefix)
                #expect(running.count == 2, "\(running)")
                #expect(running.allSatisfy { $0.state == "RUNNING" })
                for future in futures { #expect(try await future.value == 700) }
                // Back in: idle blocks drained and cancelled, down to min_blocks = 0, while the kernel still runs.
                #expect(await eventually { (try? await SlurmTestCluster.activeJobs(named: provider.jobNamePrefix))?.isEmpty == true })
                #expect(executor.connectedWorkers == 0)
                await kernel.shutdown()
            }
        }
    }

    @Test func aJobCancelledBehindTheLeadersBackLosesNoTask() async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(
                root: root,
                {
                    $0.initBlocks = 2
                    $0.maxBlocks = 2
                }
            ) { provider in
                let executor = makeExecutor(provider)
                // The last status of each job, as the scaler saw it.
                let last = Box<[String: JobStatus]>([:])
                let jobOfBlock = Box<[String: String]>([:])
                executor.onEvent { event in
                    switch event {
                    case .block(.blockSubmitted(let block, let job)): jobOfBlock.update { $0[block] = job }
                    case .block(.blockStatusChanged(let block, let status)): last.update { $0[block] = status }
                    default: break
                    }
                }
                let kernel = try await DataFlowKernel(
                    configuration: .init(executors: [executor], runDirectory: root + "/run", retries: 2, monitoring: false), apps: TestApps.registry())
                let sleep = TestApps.app("sleep_ms", Int.self, Int.self, in: TestApps.registry())
                let futures = (0..<12).map { _ in kernel.submit(sleep, 800) }
                #expect(await eventually { executor.connectedWorkers == 2 })
                let victim = try #require(try await SlurmTestCluster.activeJobs(named: provider.jobNamePrefix).first)
                let cancel = try await CommandRunner.run(["scancel", victim.jobID], timeout: .seconds(10))
                #expect(cancel.status == 0)
                // Every task finishes: those of the cancelled job are retried on the other (or a new) block.
                for future in futures { #expect(try await future.value == 800) }
                // Not a block failure: the victim ends cancelled (by scancel, or by the scaler once its workers are
                // gone while Slurm still cleans up the job as COMPLETING), and the executor stays healthy.
                let victimBlock = try #require(jobOfBlock.get().first { $0.value == victim.jobID }?.key)
                #expect(await eventually { [.cancelled, .scaledIn].contains(last.get()[victimBlock]?.state) }, "\(last.get())")
                #expect(executor.blockFailure == nil)
                await kernel.shutdown()
                #expect(try await SlurmTestCluster.activeJobs(named: provider.jobNamePrefix).isEmpty)
            }
        }
    }
}
