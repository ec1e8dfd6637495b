import Foundation
import Testing
import VizWorkflowTestSupport

/// `viz-workflow run` as the cluster runs it: the image's user (uid 1000) for leader and workers, and
/// workers that can never start.
extension PipelineEndToEndTests {
    @Test(.enabled(if: SampleRun.canDropPrivileges))
    func theSampleRunsWithLeaderAndWorkersAsTheImagesUser() async throws {
        let dir = try makeRun(.htex(workers: 2))
        let reference = try makeRun(.threads)
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: reference)
        }
        // The data volume belongs to uid 1000 (fsGroup in the manifests); nothing else is writable.
        SampleRun.giveToImageUser(dir)
        let (status, text, errors) = try await SampleRun.run(["run"], in: dir, asImageUser: true)
        #expect(status == 0, "stdout:\n\(text)\nstderr:\n\(errors)")
        #expect(text.contains("polygons staged: 14281"))
        #expect(try await run(in: reference).0 == 0)
        let a = try SampleRun.outputs(dir)
        let b = try SampleRun.outputs(reference)
        #expect(a.count == 33)
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a.filter { b[$0.key] != $0.value }.keys.sorted() == [])
        // Everything the run wrote belongs to the image's user.
        let owners = SampleRun.outputOwners(dir)
        #expect(owners == [1000])
    }

    @Test func workersThatCanNeverStartEndTheRunWithTheReason() async throws {
        let dir = try makeRun(
            .htex(workers: 1),
            local: #"{ "init_blocks": 1, "max_blocks": 1, "worker_init": "echo 'cannot mount /scratch' >&2; exit 3" }"#
        )
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let start = ContinuousClock.now
        let (status, text, errors) = try await SampleRun.run(["run"], in: dir, limit: .seconds(120))
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
        let (_, report, _) = try await SampleRun.run(["status"], in: dir, limit: .seconds(60))
        #expect(report.contains("FAILED"), "\(report)")
        #expect(report.contains("cannot mount /scratch"), "\(report)")
    }
}
