import DataflowCore
import DataflowMonitoring
import Foundation
import Testing

/// What a batch that skipped bad items reports (``ReportsPartialFailures``).
struct ConvertedBatch: Codable, Sendable, ReportsPartialFailures {
    var converted: [String]
    var skipped: [String]
    var partialFailures: [PartialFailure] { skipped.map { PartialFailure(item: $0, message: "cannot convert \($0): not a number") } }
}

/// The kernel records the items a successful task says failed, for this run's `status`, also when the task's
/// result is reused from a checkpoint (the items are still not done).
struct PartialFailureTests {
    static func registry(_ counter: CallCounter) -> (AppRegistry, App<[String], ConvertedBatch>) {
        var builder = AppRegistry.Builder()
        let convert = builder.register("convert", options: AppOptions(cacheable: true)) { (items: [String]) in
            counter.hit()
            return ConvertedBatch(converted: items.filter { Int($0) != nil }, skipped: items.filter { Int($0) == nil })
        }
        return (try! builder.build(), convert)
    }

    @Test func itemsThatFailedInsideASuccessfulTaskReachStatusInEveryRun() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            let (registry, convert) = Self.registry(counter)
            var runIDs: [String] = []
            for _ in 0..<2 {
                // Defaults: task_exit checkpoints, every earlier run's checkpoint loaded.
                let configuration = DataFlowKernel.Configuration.testing(runRoot: "\(root)/runinfo", monitoring: true)
                let kernel = try await DataFlowKernel(configuration: configuration, apps: registry)
                let first = kernel.submit(convert, ["1", "x", "2"])
                let second = kernel.submit(convert, ["3", "4"])
                #expect(try await first.value.converted == ["1", "2"])
                #expect(try await second.value.skipped.isEmpty)
                runIDs.append(kernel.runID)
                await kernel.shutdown()
            }
            #expect(counter.total == 2, "the second run reuses both results")
            for runID in runIDs {
                let report = try StatusReport.load(databasePath: "\(root)/runinfo/monitoring.db", runID: runID)
                #expect(report.failureCount == 0)
                #expect(report.partialFailureCount == 1)
                #expect(report.partialFailures.first?.item == "x")
                #expect(report.partialFailures.first?.appName == "convert")
                #expect(report.partialFailures.first?.message == "cannot convert x: not a number")
            }
        }
    }

    @Test func appsWithoutTheProtocolRecordNothing() throws {
        var builder = AppRegistry.Builder()
        let plain = builder.register("plain") { (items: [String]) in items.count }
        let registry = try builder.build()
        #expect(registry["plain"]?.reportsPartialFailures == false)
        #expect(registry["plain"]?.partialFailures(of: 3) == [])
        _ = plain
    }
}
