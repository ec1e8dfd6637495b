import DataflowCore
import Foundation
import PDGRasterization
import PDGTiling
import Testing
import VizWorkflowTestSupport

@testable import PDGTilingApps

/// A task that fails as a whole (a lost worker, a walltime) reports each item of its batch under the pipeline's
/// step vocabulary, with its tile, and the raster ones reach `rasterization_events.csv`.
@Suite struct WholeTaskFailureTests {
    struct WorkerLost: Error, Codable, CustomStringConvertible {
        var description: String { "worker lost" }
    }

    @Test("Whole-task failures of parent tiles reach the run report with their tiles and rasterization_events.csv")
    func wholeTaskFailuresAreEvents() async throws {
        let dir = NSTemporaryDirectory() + "viz-whole-task-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let shipped = try WorkflowConfiguration(contentsOf: SampleRun.packageRoot + "/parameters/workflow_config.json")
        var workflow = shipped.resolvingPaths(against: dir)
        workflow.dirInput = SampleRun.packageRoot + "/Examples/sample-data/input"
        workflow.zRange = [11, 13]

        var builder = AppRegistry.Builder()
        let real = TilingApps.register(in: &builder)
        // The parents' app fails as a whole task, as a lost worker or a walltime makes it fail.
        let broken = builder.register("make_parents_lost") { (_: TilingBatch<TileIndex>) -> TilingBatchResult<RasterTileSummary> in
            throw WorkerLost()
        }
        builder.register(error: WorkerLost.self)
        let apps = TilingApps(
            stageFiles: real.stageFiles, mergeTiles: real.mergeTiles, rasterizeTiles: real.rasterizeTiles, makeParents: broken,
            renderWebTiles: real.renderWebTiles)
        let kernel = try await DataFlowKernel(
            configuration: .init(executors: [ThreadPoolExecutor(configuration: .init(maxThreads: 2))], runDirectory: dir + "/runinfo"),
            apps: builder.build())
        let plan = TilingWorkflowPlan(kernel: kernel, apps: apps, workflow: workflow, configuration: .init(), progress: ProgressReporter())
        let report = try await plan.run()
        await kernel.shutdown()

        let parents = report.failures.filter { $0.step == .parent }
        #expect(!parents.isEmpty)
        #expect(parents.allSatisfy { $0.tile?.z == 12 && $0.message.contains("worker lost") && $0.path.hasSuffix(".tif") })
        #expect(report.failures.allSatisfy { $0.step == .parent })
        let events = try String(contentsOfFile: workflow.filenameRasterizationEvents, encoding: .utf8)
        let failedRows = events.split(separator: "\n").filter { $0.contains("geotiff_parent") && $0.contains("worker lost") }
        #expect(failedRows.count == parents.count)
        for failure in parents {
            #expect(failedRows.contains { $0.contains(failure.tile!.pdgDescription) })
        }
    }
}
