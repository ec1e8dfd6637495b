import DataflowProviders
import Foundation
import Testing

/// The one-node cluster of `scripts/slurm-test-cluster.sh start` (`.ci/run` starts it before the tests and
/// stops it after), as the real-Slurm tests use it.
enum SlurmTestCluster {
    /// Whether `sinfo` reaches a controller with a usable node; the real-Slurm suite is skipped otherwise.
    static let isRunning: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sinfo", "--noheader", "--Node", "--format=%T"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            return false
        }
        let states = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return process.terminationStatus == 0 && ["idle", "mixed", "allocated", "completing"].contains { states.contains($0) }
    }()

    /// A job name prefix no other test uses.
    static func uniqueJobName() -> String { "vt" + String(UUID().uuidString.prefix(6)).lowercased() }

    /// Every job `squeue` lists (finished ones too, for a few minutes) whose name starts with `prefix`.
    static func jobs(named prefix: String) async throws -> [SlurmJobRecord] {
        let output = try await CommandRunner.run(
            ["squeue", "--noheader", "--states=all", "--format=\(SlurmJobRecord.squeueFormat)"], timeout: .seconds(10))
        return SlurmJobRecord.parseSqueue(output.stdout).filter { ($0.name ?? "").hasPrefix(prefix) }
    }

    /// Jobs named `prefix…` that are queued or running (not finished).
    static func activeJobs(named prefix: String) async throws -> [SlurmJobRecord] {
        try await jobs(named: prefix).filter { !["COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"].contains($0.state) }
    }

    /// The state of one job as `scontrol` sees it.
    static func state(of jobID: String) async throws -> String? {
        let output = try await CommandRunner.run(["scontrol", "--oneliner", "show", "job", jobID], timeout: .seconds(10))
        return SlurmJobRecord.parseScontrol(output.stdout).first?.state
    }

    /// Submits a job by hand (as an earlier leader would have): `sleep` under `name`; returns its id.
    static func submitSleeper(named name: String, seconds: Int = 120) async throws -> String {
        let output = try await CommandRunner.run(
            ["sbatch", "--parsable", "--job-name=\(name)", "--output=/dev/null", "--wrap=sleep \(seconds)"], timeout: .seconds(10))
        return try #require(SlurmJobRecord.parseSbatch(output.stdout), "sbatch: \(output.stderr)")
    }

    /// Cancels every job whose name starts with `prefix` (cleanup after a failed test).
    static func cancelAll(named prefix: String) async {
        guard let jobs = try? await activeJobs(named: prefix), !jobs.isEmpty else { return }
        _ = try? await CommandRunner.run(["scancel"] + jobs.map(\.jobID), timeout: .seconds(10))
    }
}
