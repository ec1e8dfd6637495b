import DataflowProviders
import Foundation
import Synchronization

/// A fresh directory under the system temporary directory, removed after `body`.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = NSTemporaryDirectory() + "slurm-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// Stands in for the Slurm commands: answers `sbatch`, `squeue`, `sacct`, `scontrol` and `scancel` from a job
/// table the test controls, and records every invocation (argv and environment) and every submitted script.
final class FakeSlurm: Sendable {
    struct Invocation: Sendable {
        var argv: [String]
        var environment: [String: String]
    }

    struct FakeJob: Sendable {
        var name: String
        var state: String
        var reason: String = "None"
        var exitCode = "0:0"
        /// Still listed by squeue (false: purged from the controller, only scontrol/sacct may know it).
        var listed = true
    }

    struct Table: Sendable {
        var jobs: [String: FakeJob] = [:]
        var nextID = 100
        var invocations: [Invocation] = []
        var scripts: [String: String] = [:]
        /// Jobs of other leaders that `squeue --user` lists besides the table's.
        var foreign: [(id: String, name: String, state: String)] = []
        var sbatchFailure: CommandRunner.Output?
        var sacctWorks = false
        var sbatchHangs = false
    }

    let table = Mutex(Table())

    var runner: CommandRunner.Run {
        { [self] argv, environment, timeout in try await answer(argv, environment ?? [:], timeout) }
    }

    var invocations: [Invocation] { table.withLock { $0.invocations } }
    func calls(_ command: String) -> [[String]] { invocations.map(\.argv).filter { $0.first == command } }

    func set(_ id: String, state: String, reason: String = "None", exitCode: String = "0:0") {
        table.withLock { t in
            t.jobs[id]?.state = state
            t.jobs[id]?.reason = reason
            t.jobs[id]?.exitCode = exitCode
        }
    }

    private func answer(_ argv: [String], _ environment: [String: String], _ timeout: Duration) async throws -> CommandRunner.Output {
        table.withLock { $0.invocations.append(Invocation(argv: argv, environment: environment)) }
        switch argv.first {
        case "sbatch":
            if table.withLock({ $0.sbatchHangs }) { throw ProvidersError(.timedOut, "`sbatch` did not finish within \(timeout) (cmd_timeout); it was killed") }
            if let failure = table.withLock({ $0.sbatchFailure }) { return failure }
            let script = try String(contentsOfFile: argv.last!, encoding: .utf8)
            let name =
                script.split(separator: "\n").first { $0.hasPrefix("#SBATCH --job-name=") }.map { String($0.dropFirst("#SBATCH --job-name=".count)) } ?? "?"
            let id = table.withLock { t -> String in
                t.nextID += 1
                let id = String(t.nextID)
                t.jobs[id] = FakeJob(name: name, state: "PENDING", reason: "Priority")
                t.scripts[id] = script
                return id
            }
            return .init(status: 0, stdout: "\(id)\n")
        case "squeue":
            let options = Self.options(argv)
            let t = table.withLock { $0 }
            var rows: [(String, String, String, String)] = []
            if let ids = options["--jobs"] {
                let wanted = ids.split(separator: ",").map(String.init)
                let all = options["--states"] == "all"
                for id in wanted {
                    guard let job = t.jobs[id], job.listed else { continue }
                    let active = ["PENDING", "RUNNING", "COMPLETING", "CONFIGURING"].contains(job.state)
                    if all || active { rows.append((id, job.state, job.reason, job.name)) }
                }
                if rows.isEmpty && !wanted.contains(where: { t.jobs[$0]?.listed ?? false }) {
                    return .init(status: 1, stderr: "slurm_load_jobs error: Invalid job id specified\n")
                }
            } else {
                for (id, job) in t.jobs.sorted(by: { $0.key < $1.key }) where job.listed && ["PENDING", "RUNNING", "COMPLETING"].contains(job.state) {
                    rows.append((id, job.state, job.reason, job.name))
                }
                for job in t.foreign { rows.append((job.id, job.state, "None", job.name)) }
            }
            if options["--format"] == "%i" { return .init(status: 0, stdout: rows.map { "\($0.0)\n" }.joined()) }
            return .init(status: 0, stdout: rows.map { "\($0.0)|\($0.1)|\($0.2)|\($0.3)\n" }.joined())
        case "sacct":
            let t = table.withLock { $0 }
            guard t.sacctWorks else { return .init(status: 1, stderr: "Slurm accounting storage is disabled\n") }
            let ids = Self.options(argv)["--jobs"]?.split(separator: ",").map(String.init) ?? []
            return .init(status: 0, stdout: ids.compactMap { id in t.jobs[id].map { "\(id)|\($0.state)|\($0.exitCode)|\($0.name)\n" } }.joined())
        case "scontrol":
            let id = argv.last!
            guard let job = table.withLock({ $0.jobs[id] }) else { return .init(status: 1, stderr: "slurm_load_jobs error: Invalid job id specified\n") }
            return .init(
                status: 0,
                stdout:
                    "JobId=\(id) JobName=\(job.name) UserId=u(1) JobState=\(job.state) Reason=\(job.reason) Dependency=(null) ExitCode=\(job.exitCode) Command=/x y.sbatch Power= \n"
            )
        case "scancel":
            let options = Self.options(argv)
            table.withLock { t in
                if let name = options["--name"] {
                    for (id, job) in t.jobs where job.name == name { t.jobs[id]?.state = "CANCELLED" }
                }
                for id in argv.dropFirst() where !id.hasPrefix("--") {
                    if t.jobs[id] != nil { t.jobs[id]?.state = "CANCELLED" }
                    t.foreign.removeAll { $0.id == id }
                }
            }
            return .init(status: 0)
        default:
            return .init(status: 127, stderr: "\(argv[0]): command not found\n")
        }
    }

    private static func options(_ argv: [String]) -> [String: String] {
        var result: [String: String] = [:]
        for word in argv where word.hasPrefix("--") {
            let parts = word.split(separator: "=", maxSplits: 1)
            result[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return result
    }
}
