import DataflowProviders
import Foundation
import Synchronization
import Testing

/// The provider's logic against ``FakeSlurm``: what it runs, with which environment, what it reads back.
struct SlurmProviderTests {
    static let secret = "s3cret-" + UUID().uuidString
    static let worker = ["/opt/viz/viz-workflow", "worker", "--address", "login1:50001", "--block-id", "0"]

    func makeProvider(
        _ fake: FakeSlurm, root: String, _ configure: (inout SlurmProvider.Configuration) -> Void = { _ in },
        environment: [String: String] = ["PATH": "/usr/bin:/bin"]
    ) -> SlurmProvider {
        var c = SlurmProvider.Configuration(partition: "debug", exclusive: false, scriptDirectory: root + "/slurm", statusPollingInterval: 60)
        configure(&c)
        let provider = SlurmProvider(configuration: c, runner: fake.runner, environment: environment)
        provider.onMessage { _ in }
        return provider
    }

    @Test func theSecretIsInA0600FileNeverInTheScriptOrOnACommandLine() async throws {
        try await withTemporaryDirectory { root in
            let fake = FakeSlurm()
            let provider = makeProvider(fake, root: root)
            let jobID = try await provider.submit(command: Self.worker, environment: ["DATAFLOW_RUN_SECRET": Self.secret], blockID: "0")
            #expect(jobID == "101")

            let name = provider.jobName(blockID: "0")
            #expect(name.hasPrefix("viz-workflow-\(provider.instance)-block-0"))
            let scriptPath = "\(root)/slurm/\(name).sbatch"
            let script = try String(contentsOfFile: scriptPath, encoding: .utf8)
            #expect(fake.table.withLock { $0.scripts["101"] } == script)
            #expect(!script.contains(Self.secret))
            #expect(script.contains("#SBATCH --job-name=\(name)\n"))
            #expect(try FileManager.default.attributesOfItem(atPath: scriptPath)[.posixPermissions] as? Int == 0o644)

            let secretFile = "\(root)/slurm/viz-workflow-\(provider.instance).env"
            #expect(script.contains(". \(secretFile) ||"))
            #expect(try String(contentsOfFile: secretFile, encoding: .utf8) == "export DATAFLOW_RUN_SECRET=\(Self.secret)\n")
            #expect(try FileManager.default.attributesOfItem(atPath: secretFile)[.posixPermissions] as? Int == 0o600)

            for call in fake.invocations {
                #expect(!call.argv.joined(separator: " ").contains(Self.secret), "\(call.argv)")
                #expect(!call.environment.values.contains(Self.secret), "\(call.argv)")
            }
            #expect(fake.calls("sbatch") == [["sbatch", "--parsable", scriptPath]])
            await provider.shutdown()
            #expect(!FileManager.default.fileExists(atPath: secretFile))
        }
    }

    @Test func exportDeliveryPassesTheSecretInSbatchsEnvironmentOnly() async throws {
        try await withTemporaryDirectory { root in
            let fake = FakeSlurm()
            let provider = makeProvider(
                fake, root: root, { $0.secretDelivery = .export },
                environment: ["PATH": "/usr/bin", "SLURM_JOB_ID": "77", "SLURM_MEM_PER_CPU": "2000", "SLURM_CONF": "/etc/slurm/x.conf"])
            _ = try await provider.submit(command: Self.worker, environment: ["DATAFLOW_RUN_SECRET": Self.secret], blockID: "3")
            let sbatch = try #require(fake.invocations.first { $0.argv.first == "sbatch" })
            #expect(sbatch.argv.contains("--export=ALL"))
            #expect(!sbatch.argv.joined().contains(Self.secret))
            #expect(sbatch.environment["DATAFLOW_RUN_SECRET"] == Self.secret)
            // The leader's own allocation (if it runs in a job) does not leak into the block; SLURM_CONF does.
            #expect(sbatch.environment["SLURM_JOB_ID"] == nil && sbatch.environment["SLURM_MEM_PER_CPU"] == nil)
            #expect(sbatch.environment["SLURM_CONF"] == "/etc/slurm/x.conf")
            let script = try #require(fake.table.withLock { $0.scripts["101"] })
            #expect(!script.contains(Self.secret))
            #expect(!script.contains(".env"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/slurm").filter { $0.hasSuffix(".env") } == [])
            // Other commands never carry the secret.
            for call in fake.invocations where call.argv.first != "sbatch" { #expect(call.environment["DATAFLOW_RUN_SECRET"] == nil) }
            await provider.shutdown()
        }
    }

    @Test func statesComeWithSlurmsReasonsAndFinishedJobsFallBackToScontrol() async throws {
        try await withTemporaryDirectory { root in
            let fake = FakeSlurm()
            let provider = makeProvider(fake, root: root, { $0.statusPollingInterval = 0 })
            let a = try await provider.submit(command: Self.worker, environment: [:], blockID: "0")
            let b = try await provider.submit(command: Self.worker, environment: [:], blockID: "1")
            fake.set(a, state: "PENDING", reason: "QOSMaxJobsPerUserLimit")
            fake.set(b, state: "RUNNING")
            var statuses = try await provider.status(jobIDs: [a, b])
            #expect(statuses[a]?.state == .pending)
            #expect(statuses[a]?.message == "QOSMaxJobsPerUserLimit: the QOS allows no more running jobs for this user")
            #expect(statuses[b]?.state == .running)
            #expect(statuses[b]?.stderrPath == "\(root)/slurm/\(provider.jobName(blockID: "1")).err")

            // b fails: squeue says FAILED, sacct does not work here, scontrol gives the exit code; the .err tail goes
            // into the message.
            try "loading modules\nmodule: gdal/3.9 not found\n".write(
                toFile: "\(root)/slurm/\(provider.jobName(blockID: "1")).err", atomically: true, encoding: .utf8)
            fake.set(b, state: "FAILED", reason: "NonZeroExitCode", exitCode: "3:0")
            statuses = try await provider.status(jobIDs: [a, b])
            #expect(statuses[b]?.state == .failed)
            #expect(statuses[b]?.exitCode == 3)
            #expect(statuses[b]?.message?.contains("module: gdal/3.9 not found") == true)
            #expect(fake.calls("sacct").count == 1)
            #expect(fake.calls("scontrol").map { $0.last } == [b])

            // Final states are not asked for again, and sacct is not tried again.
            _ = try await provider.status(jobIDs: [a, b])
            #expect(fake.calls("scontrol").count == 1)
            #expect(fake.calls("sacct").count == 1)
            #expect(fake.calls("squeue").last?.contains("--jobs=\(a)") == true)

            // Cancelled behind the provider's back.
            fake.set(a, state: "CANCELLED", reason: "Priority")
            statuses = try await provider.status(jobIDs: [a])
            #expect(statuses[a]?.state == .cancelled)
            #expect(statuses[a]?.message == "cancelled with scancel")
            #expect(try await provider.status(jobIDs: ["999"])["999"]?.state == .missing)
            await provider.shutdown()
        }
    }

    @Test func sacctIsUsedWhereItWorks() async throws {
        try await withTemporaryDirectory { root in
            let fake = FakeSlurm()
            fake.table.withLock { $0.sacctWorks = true }
            let provider = makeProvider(fake, root: root, { $0.statusPollingInterval = 0 })
            let a = try await provider.submit(command: Self.worker, environment: [:], blockID: "0")
            fake.set(a, state: "OUT_OF_MEMORY", exitCode: "0:125")
            fake.table.withLock { $0.jobs[a]?.listed = false }  // purged from squeue; only accounting knows it
            let status = try #require(try await provider.status(jobIDs: [a])[a])
            #expect(status.state == .failed)
            #expect(status.message?.hasPrefix("OUT_OF_MEMORY") == true)
            #expect(fake.calls("scontrol").isEmpty)
            await provider.shutdown()
        }
    }

    @Test func statusIsAnsweredFromTheLastSqueueWithinThePollingInterval() async throws {
        try await withTemporaryDirectory { root in
            let fake = FakeSlurm()
            let provider = makeProvider(fake, root: root, { $0.statusPollingInterval = 60 })
            let a = try await provider.submit(command: Self.worker, environment: [:], blockID: "0")
            _ = try await provider.status(jobIDs: [a])
            _ = try await provider.status(jobIDs: [a])
            #expect(fake.calls("squeue").filter { $0.contains("--states=all") }.count == 1)
            // A job the last squeue did not cover is asked about at once.
            let b = try await provider.submit(command: Self.worker, environment: [:], blockID: "1")
            let statuses = try await provider.status(jobIDs: [a, b])
            #expect(statuses[b]?.state == .pending)
            #expect(fake.calls("squeue").filter { $0.contains("--states=all") }.count == 2)
            await provider.shutdown()
        }
    }

    @Test func jobsOfAnEarlierLeaderAreCancelledByName() async throws {
        try await withTemporaryDirectory { root in
            let fake = FakeSlurm()
            fake.table.withLock { t in
                t.foreign = [
                    ("51", "viz-workflow-0badcafe-block-0", "RUNNING"), ("52", "viz-workflow-0badcafe-block-1", "PENDING"),
                    ("53", "my-other-job", "RUNNING"), ("54", "viz-workflow-2-block-0", "RUNNING"), ("55", "viz-workflow-extra-0badcafe-block-0", "RUNNING"),
                ]
            }
            // A stale secret file of the earlier leader goes too.
            try FileManager.default.createDirectory(atPath: root + "/slurm", withIntermediateDirectories: true)
            try "export X=1\n".write(toFile: root + "/slurm/viz-workflow-0badcafe.env", atomically: true, encoding: .utf8)
            try "export Y=1\n".write(toFile: root + "/slurm/viz-workflow-tiles.env", atomically: true, encoding: .utf8)
            let messages = Box<[String]>([])
            let provider = makeProvider(fake, root: root)
            provider.onMessage { m in messages.update { $0.append(m) } }
            _ = try await provider.submit(command: Self.worker, environment: [:], blockID: "0")
            #expect(provider.orphans == ["51", "52"])
            #expect(fake.calls("scancel").first == ["scancel", "51", "52"])
            #expect(messages.get().contains { $0.contains("cancelling 2 job(s) left by an earlier leader") })
            #expect(!FileManager.default.fileExists(atPath: root + "/slurm/viz-workflow-0badcafe.env"))
            #expect(FileManager.default.fileExists(atPath: root + "/slurm/viz-workflow-tiles.env"))  // not a leader's
            await provider.shutdown()
        }
    }

    @Test func theReportPolicyOnlyReports() async throws {
        try await withTemporaryDirectory { root in
            let fake = FakeSlurm()
            fake.table.withLock { $0.foreign = [("51", "viz-workflow-0badcafe-block-0", "RUNNING")] }
            let provider = makeProvider(fake, root: root, { $0.orphanPolicy = .report })
            _ = try await provider.submit(command: Self.worker, environment: [:], blockID: "0")
            #expect(provider.orphans == ["51"])
            #expect(fake.calls("scancel").isEmpty)
            await provider.shutdown()
        }
    }

    @Test func shutdownCancelsEveryJobOfThisInstanceAlsoOnesFoundOnlyByName() async throws {
        try await withTemporaryDirectory { root in
            let fake = FakeSlurm()
            let provider = makeProvider(fake, root: root)
            let a = try await provider.submit(command: Self.worker, environment: [:], blockID: "0")
            let b = try await provider.submit(command: Self.worker, environment: [:], blockID: "1")
            try await provider.cancel(jobIDs: [b])
            #expect(fake.calls("scancel").last == ["scancel", b])
            // A job of ours that sbatch submitted but never reported (a timeout, say).
            fake.table.withLock { $0.foreign = [("90", provider.jobName(blockID: "7"), "RUNNING"), ("91", "someone-else", "RUNNING")] }
            await provider.shutdown()
            let cancelled = fake.calls("scancel").flatMap { $0.dropFirst() }
            #expect(Set(cancelled) == [a, b, "90"])
            #expect(fake.table.withLock { $0.jobs[a]?.state } == "CANCELLED")
            await #expect(throws: ProvidersError.self) { try await provider.submit(command: Self.worker, environment: [:], blockID: "2") }
            #expect(try await provider.status(jobIDs: [b])[b]?.state == .cancelled)
        }
    }

    @Test func sbatchErrorsSayWhatSbatchSaid() async throws {
        try await withTemporaryDirectory { root in
            let fake = FakeSlurm()
            fake.table.withLock {
                $0.sbatchFailure = .init(
                    status: 1, stderr: "sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified\n")
            }
            let provider = makeProvider(fake, root: root)
            let error = await #expect(throws: ProvidersError.self) { try await provider.submit(command: Self.worker, environment: [:], blockID: "0") }
            #expect(error?.code == .commandFailed)
            #expect(error?.description.contains("Invalid account or account/partition combination") == true)
            #expect(error?.description.contains("sbatch --parsable") == true)
            await provider.shutdown()
        }
    }

    @Test func aTimedOutSbatchLeavesNoJobBehind() async throws {
        try await withTemporaryDirectory { root in
            let fake = FakeSlurm()
            fake.table.withLock { $0.sbatchHangs = true }
            let provider = makeProvider(fake, root: root)
            let error = await #expect(throws: ProvidersError.self) { try await provider.submit(command: Self.worker, environment: [:], blockID: "4") }
            #expect(error?.code == .timedOut)
            #expect(fake.calls("scancel").contains { $0.contains("--name=\(provider.jobName(blockID: "4"))") })
            await provider.shutdown()
        }
    }

    @Test func aBadConfigurationFailsTheSubmissionWithTheReason() async throws {
        try await withTemporaryDirectory { root in
            let fake = FakeSlurm()
            let provider = makeProvider(fake, root: root, { $0.walltime = "ten minutes" })
            let error = await #expect(throws: ProvidersError.self) { try await provider.submit(command: Self.worker, environment: [:], blockID: "0") }
            #expect(error?.code == .invalidConfiguration)
            #expect(error?.message.contains("walltime 'ten minutes'") == true)
            #expect(fake.calls("sbatch").isEmpty)
        }
    }

    @Test func theConnectTimeoutWaitsForAQueuedJobToStart() {
        #expect(SlurmProvider(configuration: .init()).blocksMayQueue)
        #expect(!LocalProvider().blocksMayQueue)
    }
}

/// A thread-safe value box for closures.
final class Box<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func get() -> Value { value.withLock { $0 } }
    func update<R>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}
