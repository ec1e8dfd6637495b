import DataflowProviders
import Foundation
import Testing
import VizWorkflowTestSupport

@testable import DataflowCore

/// `viz-workflow run --provider slurm` on the bundled sample, as a user runs it on a login node: the leader here,
/// its workers in batch jobs (in the serialized real-Slurm suite).
extension RealSlurmTests {
    /// A run directory for the bundled sample: the executor with a `slurm` section, or threads (the reference).
    func makeRun(slurm: String?, jobName: String, workers: Int = 1) throws -> String {
        let executor: String
        if let slurm {
            executor = """
                { "class": "HighThroughputExecutor", "max_workers_per_node": \(workers), "heartbeat_period": 1, "heartbeat_threshold": 5,
                  "strategy_period": 0.2, "max_idletime": 0.5,
                  "slurm": { "exclusive": false, "walltime": "00:05:00", "job_name": "\(jobName)", "status_polling_interval": 0.2,
                             "cancel_timeout": 20, \(slurm) } }
                """
        } else {
            executor = #"{ "class": "ThreadPoolExecutor", "max_threads": 2 }"#
        }
        return try SampleRun.makeDirectory(prefix: "viz-slurm", executor: executor)
    }

    /// The instance of the run's jobs, from the scripts it left in runinfo/slurm.
    func jobPrefixes(in dir: String, jobName: String) -> Set<String> {
        let scripts = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/runinfo/slurm")) ?? []
        return Set(
            scripts.filter { $0.hasSuffix(".sbatch") }.compactMap { file in
                guard let range = file.range(of: "-block-") else { return nil }
                return String(file[..<range.upperBound])
            }
        ).filter { $0.hasPrefix(jobName + "-") }
    }

    @Test func theSampleThroughSbatchGivesTheSameTilesAsALocalRun() async throws {
        let jobName = SlurmTestCluster.uniqueJobName()
        let dir = try makeRun(slurm: #""max_blocks": 2"#, jobName: jobName)
        let reference = try makeRun(slurm: nil, jobName: jobName)
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: reference)
        }
        let (status, text, errors) = try await SampleRun.run(["run", "--provider", "slurm", "--address-interface", "lo"], in: dir)
        #expect(status == 0, "stdout:\n\(text)\nstderr:\n\(errors)")
        #expect(text.contains("polygons staged: 14281"))
        #expect(try await SampleRun.run(["run"], in: reference).0 == 0)
        let a = try SampleRun.outputs(dir)
        let b = try SampleRun.outputs(reference)
        #expect(a.count == 33)
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a.filter { b[$0.key] != $0.value }.keys.sorted() == [])

        // Four staging tasks for one worker slot: the scaler asked for a second job (the executor-level test
        // scalesOutToSeveralJobsAndBackIn checks that two run at once). Every job of the run is over, and the
        // scripts stay for the user to read, without the secret.
        let prefix = try #require(jobPrefixes(in: dir, jobName: jobName).first)
        #expect(try await SlurmTestCluster.jobs(named: prefix).count == 2)
        #expect(try await SlurmTestCluster.activeJobs(named: prefix).isEmpty)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/runinfo/slurm").sorted()
        #expect(files.contains("\(prefix)0.sbatch") && files.contains("\(prefix)1.sbatch"), "\(files)")
        #expect(!files.contains { $0.hasSuffix(".env") })  // the secret file goes at the end of the run
        let script = try String(contentsOfFile: "\(dir)/runinfo/slurm/\(prefix)0.sbatch", encoding: .utf8)
        #expect(script.contains("worker --address 127.0.0.1:"))  // --address-interface lo
        // viz-workflow status lists the blocks with their Slurm job ids.
        let (_, report, _) = try await SampleRun.run(["status"], in: dir, limit: .seconds(60))
        #expect(report.contains("blocks"), "\(report)")
        for job in try await SlurmTestCluster.jobs(named: prefix) { #expect(report.contains(" \(job.jobID) "), "\(report)") }
    }

    @Test func workersThatCanNeverStartEndTheRunWithTheReason() async throws {
        let jobName = SlurmTestCluster.uniqueJobName()
        let dir = try makeRun(slurm: #""worker_init": "echo 'module: gdal/9.9 not found' >&2; exit 3""#, jobName: jobName)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let start = ContinuousClock.now
        let (status, text, errors) = try await SampleRun.run(["run", "--provider", "slurm", "--address", "127.0.0.1"], in: dir)
        #expect(status != nil && status != 0, "the run did not end by itself")
        #expect(ContinuousClock.now - start < .seconds(60))
        // As it happens on stderr, with the job's exit status and the script's stderr ...
        #expect(errors.contains("block 0 FAILED (exit 3)"), "\(errors)")
        #expect(errors.contains("module: gdal/9.9 not found"), "\(errors)")
        #expect(errors.contains("giving up on workers"), "\(errors)")
        // ... in the summary ...
        #expect(text.contains("block(s) in a row failed before any worker connected"), "\(text)")
        // ... and in viz-workflow status.
        let (_, report, _) = try await SampleRun.run(["status"], in: dir, limit: .seconds(60))
        #expect(report.contains("FAILED"), "\(report)")
        #expect(report.contains("module: gdal/9.9 not found"), "\(report)")
        for prefix in jobPrefixes(in: dir, jobName: jobName) { #expect(try await SlurmTestCluster.activeJobs(named: prefix).isEmpty) }
    }

    @Test func aLeaderKilledWithSigkillLeavesJobsThatEndByThemselvesAndTheNextRunCancelsAnyLeft() async throws {
        let jobName = SlurmTestCluster.uniqueJobName()
        let dir = try makeRun(slurm: #""max_blocks": 1"#, jobName: jobName)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let leader = try SampleRun.start(["run", "--provider", "slurm", "--address", "127.0.0.1"], in: dir, tag: "first")
        // Kill -9 once its block runs and some tasks are durably checkpointed, before the run can end.
        let checkpoint = dir + "/runinfo/000/checkpoint/tasks.ckpt"
        // Polled on a thread of its own every millisecond: a poll on the shared pool can lag behind the run.
        let killedAfter = try await SampleRun.onThread {
            for _ in 0..<30_000 {
                // Three results: every slot has connected by then (one still dialling would wait out its connect
                // timeout after the kill), and the run is far from its end.
                if let read = try? CheckpointFile.read(path: checkpoint), read.entries.count >= 3 {
                    kill(leader.processIdentifier, SIGKILL)
                    return read.entries.count
                }
                usleep(1_000)
            }
            return 0
        }
        leader.waitUntilExit()
        #expect(killedAfter >= 3)
        #expect(leader.terminationReason == .uncaughtSignal, "the run ended before it could be killed")
        let killedAt = ContinuousClock.now
        let prefix = try #require(jobPrefixes(in: dir, jobName: jobName).first)
        #expect(try await !SlurmTestCluster.jobs(named: prefix).isEmpty)

        // The workers leave a leader that is gone (its connection closed; at the latest after heartbeat_threshold
        // = 5 s of silence), so their jobs end by themselves.
        #expect(await eventually(timeout: .seconds(20)) { (try? await SlurmTestCluster.activeJobs(named: prefix))?.isEmpty == true })
        #expect(ContinuousClock.now - killedAt < .seconds(5 + 10))

        // A job an earlier leader left queued (say it was killed before its workers could start) ...
        let leftover = try await SlurmTestCluster.submitSleeper(named: "\(jobName)-0badcafe-block-3")
        // ... is cancelled by the next run, which resumes from the checkpoints.
        let (status, text, errors) = try await SampleRun.run(["run", "--provider", "slurm", "--address", "127.0.0.1"], in: dir)
        #expect(status == 0, "stdout:\n\(text)\nstderr:\n\(errors)")
        #expect(errors.contains("cancelling 1 job(s) left by an earlier leader of '\(jobName)': \(leftover)"), "\(errors)")
        #expect(try await SlurmTestCluster.state(of: leftover) == "CANCELLED")
        #expect(text.contains("reused from checkpoints") && !text.contains(" 0 reused from checkpoints"), "\(text)")
        #expect(try SampleRun.outputs(dir).count == 33)
        await SlurmTestCluster.cancelAll(named: jobName)
    }
}
