import DataflowProviders
import Foundation
import Testing

struct LocalProviderTests {
    /// A provider logging under `root`, shut down after `body` even when it throws, so no test leaks processes.
    private func withProvider(
        _ root: String, nodes: Int = 1, workerInit: String? = nil, grace: Double = 5, _ body: (LocalProvider) async throws -> Void
    ) async throws {
        let local = LocalProvider(
            configuration: .init(nodesPerBlock: nodes, workerInit: workerInit, logDirectory: "\(root)/local", cancelGracePeriod: grace))
        do {
            try await body(local)
        } catch {
            await local.shutdown()
            throw error
        }
        await local.shutdown()
    }

    private func waitForState(_ provider: LocalProvider, _ jobID: String, _ state: JobState) async throws -> JobStatus {
        var last: JobStatus?
        let reached = try await eventually {
            last = try await provider.status(jobIDs: [jobID])[jobID]
            return last?.state == state
        }
        #expect(reached, "job \(jobID) never reached \(state); last \(String(describing: last))")
        return try #require(last)
    }

    @Test func environmentReachesTheBlockButNotItsArgv() async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(root) { local in
                let secret = "s3cret-\(UUID().uuidString)"
                let jobID = try await local.submit(
                    command: ["/bin/sh", "-c", "echo got=$SECRET_VAR; sleep 30"], environment: ["SECRET_VAR": secret], blockID: "0")
                let stdout = "\(root)/local/block-0/stdout"
                #expect(await eventually { (try? String(contentsOfFile: stdout, encoding: .utf8)) == "got=\(secret)\n" })
                let pid = try #require(local.processIDs(jobID: jobID).first)
                let cmdline = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))
                #expect(!String(decoding: cmdline, as: UTF8.self).contains(secret))
                #expect(try await local.status(jobIDs: [jobID])[jobID]?.state == .running)
                await local.shutdown()
            }
        }
    }

    @Test func cancelStopsTheWholeProcessGroup() async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(root, grace: 30) { local in
                let marker = "\(root)/grandchild.pid"
                let jobID = try await local.submit(
                    command: ["/bin/sh", "-c", "sleep 30 & echo $! > \(marker); wait"], environment: [:], blockID: "7")
                let leader = try #require(local.processIDs(jobID: jobID).first)
                #expect(
                    await eventually {
                        FileManager.default.fileExists(atPath: marker) && ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").hasSuffix("\n")
                    })
                let grandchild = try #require(Int32(String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
                #expect(try await local.status(jobIDs: [jobID])[jobID]?.state == .running)

                let started = ContinuousClock.now
                try await local.cancel(jobIDs: [jobID])
                #expect(ContinuousClock.now - started < .seconds(15))  // SIGTERM was enough: no 30 s grace wait
                #expect(!processExists(leader))
                #expect(await eventually { !processExists(grandchild) })
                let status = try #require(try await local.status(jobIDs: [jobID])[jobID])
                #expect(status.state == .cancelled)
                #expect(status.stdoutPath == "\(root)/local/block-7/stdout")
            }
        }
    }

    @Test func cancelEscalatesToSigkillAfterTheGracePeriod() async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(root, grace: 0.3) { local in
                let marker = "\(root)/ready"
                // Ignored signals are inherited: neither the shell nor its sleep reacts to SIGTERM.
                let jobID = try await local.submit(
                    command: ["/bin/sh", "-c", "trap '' TERM; sleep 30 & touch \(marker); wait"], environment: [:], blockID: "0")
                let leader = try #require(local.processIDs(jobID: jobID).first)
                #expect(await eventually { FileManager.default.fileExists(atPath: marker) })
                let started = ContinuousClock.now
                try await local.cancel(jobIDs: [jobID])
                let elapsed = ContinuousClock.now - started
                // It waited out the grace period (a process that ignores SIGTERM), then killed; not the sleep's 30 s.
                #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(20), "\(elapsed)")
                #expect(!processExists(leader))
                let status = try await local.status(jobIDs: [jobID])[jobID]
                #expect(status?.state == .cancelled)
                #expect(status?.exitCode == 128 + SIGKILL)
            }
        }
    }

    @Test func nonZeroExitIsFailedWithCodeAndStderrTail() async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(root) { local in
                let jobID = try await local.submit(
                    command: ["/bin/sh", "-c", "for i in $(seq 1 500); do echo line $i >&2; done; exit 3"], environment: [:], blockID: "2")
                let status = try await waitForState(local, jobID, .failed)
                #expect(status.exitCode == 3)
                let message = try #require(status.message)
                #expect(message.contains("exited with code 3"))
                #expect(message.hasSuffix("line 500") && !message.contains("line 1\n"))
                #expect(status.stderrPath == "\(root)/local/block-2/stderr")
                #expect(try String(contentsOfFile: "\(root)/local/block-2/stderr", encoding: .utf8).hasPrefix("line 1\n"))
                await local.shutdown()
            }
        }
    }

    @Test func signalledBlockIsFailedWith128PlusSignal() async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(root) { local in
                let jobID = try await local.submit(command: ["/bin/sh", "-c", "kill -9 $$"], environment: [:], blockID: "0")
                let status = try await waitForState(local, jobID, .failed)
                #expect(status.exitCode == Int32(128 + 9))
                #expect(status.message?.contains("signal 9") == true)
            }
        }
    }

    @Test func exitZeroIsCompleted() async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(root) { local in
                let jobID = try await local.submit(command: ["/bin/echo", "hello"], environment: [:], blockID: "0")
                let status = try await waitForState(local, jobID, .completed)
                #expect(status.exitCode == 0)
                #expect(try String(contentsOfFile: "\(root)/local/block-0/stdout", encoding: .utf8) == "hello\n")
            }
        }
    }

    @Test func workerInitRunsBeforeTheCommandAndArgumentsSurviveQuoting() async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(root, workerInit: "echo init; export FROM_INIT=yes") { local in
                let jobID = try await local.submit(
                    command: ["/bin/sh", "-c", "echo \"$FROM_INIT\" \"$0\"", "it's a \"test\""], environment: [:], blockID: "0")
                _ = try await waitForState(local, jobID, .completed)
                #expect(try String(contentsOfFile: "\(root)/local/block-0/stdout", encoding: .utf8) == "init\nyes it's a \"test\"\n")
            }
        }
    }

    @Test func everyNodeOfABlockIsAProcessWithItsOwnLogs() async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(root, nodes: 3) { local in
                let jobID = try await local.submit(command: ["/bin/sh", "-c", "echo node; sleep 30"], environment: [:], blockID: "4")
                let pids = local.processIDs(jobID: jobID)
                #expect(Set(pids).count == 3)
                for suffix in ["", ".1", ".2"] {
                    let path = "\(root)/local/block-4/stdout\(suffix)"
                    #expect(await eventually { (try? String(contentsOfFile: path, encoding: .utf8)) == "node\n" }, "\(path)")
                }
                // One node dying makes the block failed once the others are gone too; until then it runs.
                kill(pids[1], SIGKILL)
                #expect(await eventually { (try? await local.status(jobIDs: [jobID])[jobID]?.message?.contains("1 of 3")) == true })
                #expect(try await local.status(jobIDs: [jobID])[jobID]?.state == .running)
                await local.shutdown()
                for pid in pids { #expect(!processExists(pid)) }
                #expect(try await local.status(jobIDs: [jobID])[jobID]?.state == .cancelled)
            }
        }
    }

    @Test func unknownJobIsMissingAndCancellingItIsHarmless() async throws {
        let local = LocalProvider()
        #expect(try await local.status(jobIDs: ["nope"])["nope"]?.state == .missing)
        try await local.cancel(jobIDs: ["nope"])
    }

    @Test func commandThatCannotStartFailsTheSubmit() async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(root) { local in
                await #expect {
                    _ = try await local.submit(command: ["/nonexistent/worker"], environment: [:], blockID: "0")
                } throws: { ($0 as? ProvidersError)?.code == .submitFailed }
            }
        }
    }

    @Test func submitAfterShutdownIsRefused() async throws {
        try await withTemporaryDirectory { root in
            try await withProvider(root) { local in
                await local.shutdown()
                await #expect {
                    _ = try await local.submit(command: ["/bin/true"], environment: [:], blockID: "0")
                } throws: { ($0 as? ProvidersError)?.code == .shutDown }
            }
        }
    }

    @Test func configurationAdvertisesBlockLimits() {
        let local = LocalProvider(configuration: .init(label: "here", nodesPerBlock: 2, initBlocks: 3, minBlocks: 1, maxBlocks: 4, parallelism: 0.5))
        #expect(local.label == "here")
        #expect(local.blockLimits == BlockLimits(nodesPerBlock: 2, initBlocks: 3, minBlocks: 1, maxBlocks: 4, parallelism: 0.5))
    }
}
