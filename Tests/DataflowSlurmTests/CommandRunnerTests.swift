import DataflowProviders
import Foundation
import Testing
/// The runner of Slurm commands: output, exit status, timeouts, and no blocked cooperative thread.
struct CommandRunnerTests {
    @Test func capturesBothStreamsAndTheStatus() async throws {
        let output = try await CommandRunner.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 7"], timeout: .seconds(10))
        #expect(output == CommandRunner.Output(status: 7, stdout: "out\n", stderr: "err\n"))
        let big = try await CommandRunner.run(["/bin/sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x; head -c 200000 /dev/zero | tr '\\0' y >&2"], timeout: .seconds(10))
        #expect(big.stdout.count == 300_000 && big.stderr.count == 200_000)
    }

    @Test func theEnvironmentIsExactlyTheOneGiven() async throws {
        let output = try await CommandRunner.run(["/usr/bin/env"], environment: ["ONLY": "this"], timeout: .seconds(10))
        #expect(output.stdout == "ONLY=this\n")
    }

    @Test func aCommandThatHangsIsKilledAtTheTimeout() async throws {
        let start = ContinuousClock.now
        let error = await #expect(throws: SlurmError.self) {
            // The grandchild holds the pipes too: the whole process group goes.
            try await CommandRunner.run(["/bin/sh", "-c", "sleep 30 & sleep 30"], timeout: .milliseconds(300))
        }
        #expect(error?.code == .timedOut)
        #expect(error?.message.contains("did not finish within") == true)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func aMissingCommandSaysSo() async throws {
        let error = await #expect(throws: SlurmError.self) { try await CommandRunner.run(["no-such-sbatch-here"], timeout: .seconds(5)) }
        #expect(error?.code == .commandNotFound)
    }

    @Test func waitingCommandsHoldNoCooperativeThread() async throws {
        // Eight one-second commands at once finish together: each waits on a thread of its own, not on one of
        // the (two, here) threads of the cooperative pool, which would run them two at a time.
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<8 { group.addTask { try await CommandRunner.run(["/bin/sleep", "1"], timeout: .seconds(20)).status } }
            for try await status in group { #expect(status == 0) }
        }
        #expect(ContinuousClock.now - start < .seconds(3.5))
    }
}
