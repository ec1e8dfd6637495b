import Foundation
import Testing

/// `viz-workflow run` as the cluster runs it: the image's user (uid 1000) for leader and workers, and
/// workers that can never start.
extension PipelineEndToEndTests {
    /// Runs `viz-workflow ARGS` in `dir`, optionally as uid/gid 1000 (setpriv drops every capability);
    /// kills it after `limit`. Returns the status (nil when killed), stdout and stderr.
    func runCapturing(_ arguments: [String], in dir: String, asUnprivilegedUser: Bool = false, limit: Duration = .seconds(240)) async throws
        -> (Int32?, String, String)
    {
        let process = Process()
        if asUnprivilegedUser {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=1000", "--regid=1000", "--clear-groups", Self.binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = dir
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain both pipes while waiting, so a chatty run cannot block on a full pipe.
        async let stdout = Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
        async let stderr = Task.detached { err.fileHandleForReading.readDataToEndOfFile() }.value
        let deadline = ContinuousClock.now + limit
        var killed = false
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(-process.processIdentifier, SIGKILL)
                process.terminate()
                killed = true
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.waitUntilExit()
        let (o, e) = await (stdout, stderr)
        return (killed ? nil : process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    static let canDropPrivileges = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

    @Test(.enabled(if: canDropPrivileges))
    func theSampleRunsWithLeaderAndWorkersAsTheImagesUser() async throws {
        let dir = try makeRun(.htex(workers: 2))
        let reference = try makeRun(.threads)
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: reference)
        }
        // The data volume belongs to uid 1000 (fsGroup in the manifests); nothing else is writable.
        for case let relative as String in FileManager.default.enumerator(atPath: dir)! { chown(dir + "/" + relative, 1000, 1000) }
        chown(dir, 1000, 1000)
        let (status, text, errors) = try await runCapturing(["run"], in: dir, asUnprivilegedUser: true)
        #expect(status == 0, "stdout:\n\(text)\nstderr:\n\(errors)")
        #expect(text.contains("polygons staged: 14281"))
        #expect(try run(in: reference).0 == 0)
        let a = try outputs(dir)
        let b = try outputs(reference)
        #expect(a.count == 33)
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a.filter { b[$0.key] != $0.value }.keys.sorted() == [])
        // Everything the run wrote belongs to the image's user.
        let owners = Set(
            FileManager.default.enumerator(atPath: dir + "/viz-output")!.compactMap { relative -> Int? in
                (try? FileManager.default.attributesOfItem(atPath: dir + "/viz-output/" + (relative as! String)))?[.ownerAccountID] as? Int
            })
        #expect(owners == [1000])
    }

    @Test func workersThatCanNeverStartEndTheRunWithTheReason() async throws {
        let dir = try makeRun(
            .htex(workers: 1),
            local: #"{ "init_blocks": 1, "max_blocks": 1, "worker_init": "echo 'cannot mount /scratch' >&2; exit 3" }"#
        )
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let start = ContinuousClock.now
        let (status, text, errors) = try await runCapturing(["run"], in: dir, limit: .seconds(120))
        let took = ContinuousClock.now - start
        #expect(status != nil && status != 0, "the run did not end by itself")
        #expect(took < .seconds(90))
        // Said as it happens on stderr, with the block's exit status and stderr tail ...
        #expect(errors.contains("block 0 FAILED (exit 3)"), "\(errors)")
        #expect(errors.contains("cannot mount /scratch"), "\(errors)")
        #expect(errors.contains("giving up on workers"), "\(errors)")
        // ... in the summary's failures ...
        #expect(text.contains("block(s) in a row failed before any worker connected"), "\(text)")
        // ... and in viz-workflow status.
        let (_, report, _) = try await runCapturing(["status"], in: dir, limit: .seconds(60))
        #expect(report.contains("FAILED"), "\(report)")
        #expect(report.contains("cannot mount /scratch"), "\(report)")
    }
}
