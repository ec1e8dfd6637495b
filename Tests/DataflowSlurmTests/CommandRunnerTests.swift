import DataflowProviders
import Foundation
import Testing

/// The runner of Slurm commands: output, exit status, timeouts, and no blocked cooperative thread.
struct CommandRunnerTests {
    @Test func capturesBothStreamsAndTheStatus() async throws {
        let output = try await CommandRunner.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 7"], timeout: .seconds(10))
        #expect(output == CommandRunner.Output(status: 7, stdout: "out\n", stderr: "err\n"))
        let big = try await CommandRunner.run(
            ["/bin/sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x; head -c 200000 /dev/zero | tr '\\0' y >&2"], timeout: .seconds(10))
        #expect(big.stdout.count == 300_000 && big.stderr.count == 200_000)
    }

    @Test func theEnvironmentIsExactlyTheOneGiven() async throws {
        let output = try await CommandRunner.run(["/usr/bin/env"], environment: ["ONLY": "this"], timeout: .seconds(10))
        #expect(output.stdout == "ONLY=this\n")
    }

    @Test func aCommandThatHangsIsKilledAtTheTimeout() async throws {
        let start = ContinuousClock.now
        let error = await #expect(throws: ProvidersError.self) {
            // The grandchild holds the pipes too: the whole process group goes.
            try await CommandRunner.run(["/bin/sh", "-c", "sleep 30 & sleep 30"], timeout: .milliseconds(300))
        }
        #expect(error?.code == .timedOut)
        #expect(error?.message.contains("did not finish within") == true)
        #expect(ContinuousClock.now - start < .seconds(20))  // not the 30 s of the sleeps (and the task may start late)
    }

    @Test func aMissingCommandSaysSo() async throws {
        let error = await #expect(throws: ProvidersError.self) { try await CommandRunner.run(["no-such-sbatch-here"], timeout: .seconds(5)) }
        #expect(error?.code == .commandNotFound)
    }

    @Test func waitingCommandsHoldNoCooperativeThread() async throws {
        // Eight two-second commands at once, each printing when it starts and ends. Each waits on a thread of its
        // own, so more of them run at the same time than the cooperative pool has threads (one per core): a
        // runner that blocked a pool thread per command could not overlap more than that. (Overlap, not the
        // total time, is measured: other suites may keep the pool busy and start these tasks late.)
        let command = ["/bin/sh", "-c", "date +%s.%N; sleep 2; date +%s.%N"]
        let intervals = try await withThrowingTaskGroup(of: (Double, Double).self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let output = try await CommandRunner.run(command, timeout: .seconds(60))
                    let times = output.stdout.split(separator: "\n").compactMap { Double($0) }
                    return (times.first ?? 0, times.last ?? 0)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let mostAtOnce = intervals.map { probe in intervals.count { $0.0 <= probe.0 && probe.0 < $0.1 } }.max() ?? 0
        let pool = ProcessInfo.processInfo.activeProcessorCount
        #expect(mostAtOnce > min(pool, 7), "at most \(mostAtOnce) commands ran at once; the pool has \(pool) threads")
    }
}
