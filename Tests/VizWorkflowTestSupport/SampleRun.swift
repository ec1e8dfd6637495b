import Foundation

/// The bundled sample through the built `viz-workflow` binary, for the end-to-end tests of every test target
/// (local workers, Kubernetes pods, Slurm jobs): a run directory with `parameters/`, running the binary with
/// a time limit (optionally as the image's user), and reading the outputs back.
public enum SampleRun {
    /// The repository's root folder.
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The `viz-workflow` executable built next to the test bundle.
    public static let binary: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("viz-workflow").path) {
            url = url.deletingLastPathComponent()
        }
        return url.appendingPathComponent("viz-workflow").path
    }()

    /// Whether runs can be dropped to uid/gid 1000 (the image's `USER`): root, with `setpriv`.
    public static let canDropPrivileges = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

    /// A new folder holding `parameters/` for the sample: the shipped `workflow_config.json` reading the bundled
    /// input, and a `parsl_config.json` with `executor` (one JSON object), `retries` and one item per batch.
    public static func makeDirectory(prefix: String, executor: String, retries: Int = 2) throws -> String {
        let dir = NSTemporaryDirectory() + prefix + "-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/parameters", withIntermediateDirectories: true)
        let shipped = URL(fileURLWithPath: packageRoot + "/parameters/workflow_config.json")
        var workflow = try JSONSerialization.jsonObject(with: Data(contentsOf: shipped)) as! [String: Any]
        workflow["dir_input"] = packageRoot + "/Examples/sample-data/input"
        try JSONSerialization.data(withJSONObject: workflow).write(to: URL(fileURLWithPath: dir + "/parameters/workflow_config.json"))
        let runtime = """
            { "run_dir": "runinfo", "retries": \(retries), "executors": [ \(executor) ],
              "batches": { "stage_files_per_task": 1, "merge_tiles_per_task": 1, "rasterize_tiles_per_task": 1 } }
            """
        try runtime.write(toFile: dir + "/parameters/parsl_config.json", atomically: true, encoding: .utf8)
        return dir
    }

    /// Gives `dir` and everything in it to uid/gid 1000, as the data volume is in the cluster.
    public static func giveToImageUser(_ dir: String) {
        chown(dir, 1000, 1000)
        for case let relative as String in FileManager.default.enumerator(atPath: dir)! { chown(dir + "/" + relative, 1000, 1000) }
    }

    /// Starts `viz-workflow ARGS` in `dir`, as uid/gid 1000 (setpriv drops every capability) when `asImageUser`,
    /// with standard output and error going to `dir/<tag>.stdout` and `dir/<tag>.stderr`: files, not pipes, so
    /// that nobody has to block a thread reading them while the run goes on.
    public static func start(
        _ arguments: [String], in dir: String, tag: String, asImageUser: Bool = false, environment extra: [String: String] = [:]
    ) throws -> Process {
        let process = Process()
        if asImageUser {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=1000", "--regid=1000", "--clear-groups", binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        process.environment = ProcessInfo.processInfo.environment.merging(extra.merging(["HOME": dir]) { $1 }) { $1 }
        for stream in ["stdout", "stderr"] { _ = FileManager.default.createFile(atPath: "\(dir)/\(tag).\(stream)", contents: nil) }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(dir)/\(tag).stdout"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(dir)/\(tag).stderr"))
        try process.run()
        return process
    }

    /// Waits for `process` on a thread of its own (see ``onThread(_:)``), killing it with SIGKILL after `limit`;
    /// returns whether it was killed.
    public static func wait(for process: Process, limit: Duration) async throws -> Bool {
        try await onThread {
            let deadline = ContinuousClock.now + limit
            while process.isRunning {
                if ContinuousClock.now > deadline {
                    kill(process.processIdentifier, SIGKILL)
                    process.waitUntilExit()
                    return true
                }
                usleep(5_000)
            }
            process.waitUntilExit()
            return false
        }
    }

    /// Runs `viz-workflow ARGS` in `dir` to the end, killed after `limit`; as uid/gid 1000 when `asImageUser`.
    /// Returns the status (`nil` when killed), stdout and stderr.
    public static func run(
        _ arguments: [String], in dir: String, asImageUser: Bool = false, environment extra: [String: String] = [:],
        limit: Duration = .seconds(240)
    ) async throws -> (status: Int32?, stdout: String, stderr: String) {
        let tag = ".viz-workflow-\(UUID().uuidString.prefix(8))"
        let process = try start(arguments, in: dir, tag: tag, asImageUser: asImageUser, environment: extra)
        let killed = try await wait(for: process, limit: limit)
        let stdout = (try? String(contentsOfFile: "\(dir)/\(tag).stdout", encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: "\(dir)/\(tag).stderr", encoding: .utf8)) ?? ""
        for stream in ["stdout", "stderr"] { unlink("\(dir)/\(tag).\(stream)") }
        return (killed ? nil : process.terminationStatus, stdout, stderr)
    }

    /// Runs `viz-workflow ARGS` in `dir` to the end, blocking, for short commands such as `status`: the exit
    /// status and standard output and error together.
    public static func capture(_ arguments: [String], in dir: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// Runs the blocking `body` (waiting for a process, reading a pipe to its end, polling with `usleep`) on a
    /// thread of its own, so that it never holds one of the few threads of Swift's cooperative pool: the other
    /// suites of the test process, timing checks among them, run there at the same time.
    public static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    /// Every GeoTIFF and PNG of a run, by path relative to its output directory.
    public static func outputs(_ dir: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let root = dir + "/viz-output"
        guard let listing = FileManager.default.enumerator(atPath: root) else { return files }
        for case let relative as String in listing where relative.hasSuffix(".tif") || relative.hasSuffix(".png") {
            files[relative] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative))
        }
        return files
    }

    /// The owners (uids) of everything under `dir/viz-output`.
    public static func outputOwners(_ dir: String) -> Set<Int> {
        let root = dir + "/viz-output"
        return Set(
            (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).compactMap { relative in
                (try? FileManager.default.attributesOfItem(atPath: root + "/" + relative))?[.ownerAccountID] as? Int
            }
        )
    }
}
