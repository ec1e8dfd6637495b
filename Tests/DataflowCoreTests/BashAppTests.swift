import DataflowCore
import Foundation
import Testing

struct BashAppTests {
    @Test func capturesStdoutAndStderrToFiles() async throws {
        try await withTemporaryDirectory { root in
            var apps = AppRegistry.Builder()
            let echo = apps.bashApp("echo") { (word: String) in BashCommand("echo out-\(word); echo err-\(word) >&2") }
            let kernel = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: apps.build())
            let result = try await kernel.submit(echo, "x").value
            await kernel.shutdown()
            #expect(result.exitCode == 0)
            #expect(try String(contentsOfFile: result.stdoutPath, encoding: .utf8) == "out-x\n")
            #expect(try String(contentsOfFile: result.stderrPath, encoding: .utf8) == "err-x\n")
            #expect(result.stdoutPath.hasPrefix(kernel.runDirectory + "/task_logs/echo/"))
        }
    }

    @Test func nonZeroExitReportsCodeAndStderrTail() async throws {
        try await withTemporaryDirectory { root in
            var apps = AppRegistry.Builder()
            let fail = apps.bashApp("fail") { (code: Int) in
                BashCommand("for i in $(seq 1 500); do echo line $i >&2; done; exit \(code)", workingDirectory: root)
            }
            let kernel = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: apps.build())
            await #expect {
                _ = try await kernel.submit(fail, 3).value
            } throws: { error in
                guard let failure = (error as? TaskError)?.underlying as? BashFailure else { return false }
                return failure.exitCode == 3 && failure.stderrTail.hasSuffix("line 500") && !failure.stderrTail.contains("line 1\n")
            }
            await kernel.shutdown()
        }
    }

    @Test func walltimeKillsTheWholeProcessGroup() async throws {
        try await withTemporaryDirectory { root in
            var apps = AppRegistry.Builder()
            let marker = "\(root)/child.pid"
            let sleeper = apps.bashApp("sleeper", options: AppOptions(walltime: .milliseconds(300))) { (_: Int) in
                BashCommand("sleep 30 & echo $! > \(marker); wait")
            }
            let kernel = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: apps.build())
            let started = ContinuousClock.now
            await #expect {
                _ = try await kernel.submit(sleeper, 0).value
            } throws: { ($0 as? TaskError)?.code == .walltimeExceeded }
            // Far below the command's 30 s, with room for a loaded CI machine.
            #expect(ContinuousClock.now - started < .seconds(20))
            await kernel.shutdown()
            // The grandchild `sleep 30` must be gone too.
            let pid = try #require(Int32(String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            var gone = false
            for _ in 0..<50 where !gone {
                gone = kill(pid, 0) != 0
                if !gone { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(gone)
        }
    }
}
