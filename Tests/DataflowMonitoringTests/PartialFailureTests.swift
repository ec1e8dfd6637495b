import DataflowMonitoring
import Foundation
import Testing

/// Items that failed inside tasks that succeeded: recorded, listed by `status` (text and JSON), limited, and
/// added to a version-2 database when a writer opens it.
struct PartialFailureTests {
    let runID = "run-partial-1"

    private func record(_ store: MonitoringStore) {
        store.workflowStarted(runID: runID, workflowName: "viz", workflowVersion: "1", runDirectory: "/runs/000", time: 1_000)
        for task in 0..<3 {
            store.taskSubmitted(
                runID: runID, taskID: task, appName: task == 2 ? "rasterize" : "stage", memoize: false, hashsum: nil, dependsOn: [],
                executor: "htex", time: 1_000)
            store.taskEnded(runID: runID, taskID: task, time: 1_001, failCount: 0, failCost: 0, finalState: .execDone, failure: nil)
        }
        store.partialFailure(runID: runID, taskID: 2, item: "/out/13/7/9.tif", message: "[geotiff] cannot write\nsecond line", time: 1_001)
        store.partialFailure(runID: runID, taskID: 0, item: "/in/a.shp", message: "[staging] not a shapefile", time: 1_001)
        store.partialFailure(runID: runID, taskID: 0, item: "/in/b.shp", message: "[staging] empty", time: 1_001)
    }

    @Test func statusListsItemsThatFailedInsideSuccessfulTasks() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        record(store)
        store.close()

        let report = try StatusReport.load(databasePath: directory.databasePath)
        #expect(report.totals == ["exec_done": 3])
        #expect(report.failureCount == 0)
        #expect(report.partialFailureCount == 3)
        #expect(
            report.partialFailures == [
                .init(taskID: 0, appName: "stage", item: "/in/a.shp", message: "[staging] not a shapefile"),
                .init(taskID: 0, appName: "stage", item: "/in/b.shp", message: "[staging] empty"),
                .init(taskID: 2, appName: "rasterize", item: "/out/13/7/9.tif", message: "[geotiff] cannot write\nsecond line"),
            ])
        let text = report.render()
        #expect(text.contains("items that failed inside tasks that succeeded (3 of 3 shown)"), "\(text)")
        #expect(text.contains("/out/13/7/9.tif  [geotiff] cannot write | second line"), "\(text)")
        let decoded = try JSONDecoder().decode(StatusReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)

        let limited = try StatusReport.load(databasePath: directory.databasePath, failureLimit: 1)
        #expect(limited.partialFailures.map(\.item) == ["/in/a.shp"])
        #expect(limited.partialFailureCount == 3)
        #expect(limited.render().contains("(1 of 3 shown)"))
    }

    @Test func aVersion2DatabaseGainsTheNewTablesWhenAWriterOpensIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try MonitoringStore(path: directory.databasePath)
        first.workflowStarted(runID: runID, workflowName: "viz", workflowVersion: "1", runDirectory: "/runs/000", time: 1_000)
        first.close()
        // As session 2's code left it: no file_check or partial_failure table, version 2.
        try RawDatabase(path: directory.databasePath, writable: true).execute(
            "DROP TABLE file_check; DROP TABLE partial_failure; PRAGMA user_version=2")
        // A reader of the old file does not fail on the missing tables.
        #expect(try StatusReport.load(databasePath: directory.databasePath, runID: nil).partialFailureCount == 0)

        let store = try MonitoringStore(path: directory.databasePath)
        record(store)
        store.fileCheck(runID: runID, taskID: 1, reason: "output_missing", path: "/out/x", time: 1_001)
        store.close()
        let report = try StatusReport.load(databasePath: directory.databasePath)
        #expect(report.partialFailureCount == 3)
        #expect(report.reruns == ["output_missing": 1])
        #expect(try RawDatabase(path: directory.databasePath).scalar("PRAGMA user_version") == "5")
    }
}
