import DataflowMonitoring
import Foundation
import Testing

struct StatusReportTests {
    let runID = "run-report-1"

    /// Records a small run: 3 stage tasks done, 2 rasterize tasks (one retried then failed, one still
    /// running), and a dep_fail task that never ran.
    private func recordRun(_ store: MonitoringStore, ended: Bool) {
        let run = self.runID
        store.workflowStarted(
            runID: run,
            workflowName: "viz",
            workflowVersion: "2",
            runDirectory: "/runs/001",
            time: 1_000
        )
        // The kernel's calls: taskSubmitted implies `pending`, tryLaunched `launched`, tryRunning `running`,
        // and taskEnded the final state with the task's last try; only fail_retryable is recorded explicitly.
        func submit(_ task: Int, _ app: String, dependsOn: [Int] = []) {
            store.taskSubmitted(
                runID: run,
                taskID: task,
                appName: app,
                memoize: false,
                hashsum: nil,
                dependsOn: dependsOn,
                executor: "htex",
                time: 1_000
            )
        }
        for task in 0..<3 {
            submit(task, "stage")
            store.tryLaunched(runID: run, taskID: task, tryID: 0, executor: "htex", time: 1_001)
            store.tryRunning(runID: run, taskID: task, tryID: 0, hostname: "node-a", blockID: "0", time: 1_001)
            store.tryReturned(runID: run, taskID: task, tryID: 0, time: 1_002, failure: nil)
            store.taskEnded(
                runID: run,
                taskID: task,
                time: 1_002,
                failCount: 0,
                failCost: 0,
                finalState: .execDone,
                failure: nil
            )
        }
        // Task 3: fails on node-a, is retried, fails again on node-b.
        submit(3, "rasterize", dependsOn: [0])
        for tryID in 0..<2 {
            let host = tryID == 0 ? "node-a" : "node-b"
            store.tryLaunched(runID: run, taskID: 3, tryID: tryID, executor: "htex", time: 1_003)
            store.tryRunning(runID: run, taskID: 3, tryID: tryID, hostname: host, blockID: "0", time: 1_004)
            store.tryReturned(runID: run, taskID: 3, tryID: tryID, time: 1_005, failure: "MemoryError: try \(tryID)")
            if tryID == 0 {
                store.taskState(runID: run, taskID: 3, tryID: 0, state: .failRetryable, time: 1_005)
            }
        }
        store.taskEnded(
            runID: run,
            taskID: 3,
            time: 1_005,
            failCount: 2,
            failCost: 2,
            finalState: .failed,
            failure: "MemoryError: try 1"
        )
        // Task 4: still running.
        submit(4, "rasterize", dependsOn: [1])
        store.tryLaunched(runID: run, taskID: 4, tryID: 0, executor: "htex", time: 1_006)
        store.tryRunning(runID: run, taskID: 4, tryID: 0, hostname: "node-a", blockID: "0", time: 1_007)
        // Task 5: its dependency (task 3) failed.
        submit(5, "tile", dependsOn: [3])
        store.taskEnded(
            runID: run,
            taskID: 5,
            time: 1_008,
            failCount: 0,
            failCost: 0,
            finalState: .depFail,
            failure: "Dependency failure for task 5: task 3 failed"
        )
        if ended {
            store.workflowEnded(runID: run, time: 1_010, tasksCompleted: 3, tasksFailed: 2)
        }
    }

    @Test func countsTasksPerAppAndPerCurrentState() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        self.recordRun(store, ended: true)
        store.close()

        let report = try StatusReport.load(databasePath: directory.databasePath)
        #expect(report.runID == self.runID)
        #expect(report.workflowName == "viz")
        #expect(report.workflowVersion == "2")
        #expect(report.runDirectory == "/runs/001")
        #expect(report.started == 1_000)
        #expect(report.ended == 1_010)
        #expect(!report.isRunning)
        #expect(report.taskCount == 6)
        #expect(
            report.countsByApp == [
                "stage": ["exec_done": 3],
                "rasterize": ["failed": 1, "running": 1],
                "tile": ["dep_fail": 1],
            ]
        )
        #expect(report.totals == ["exec_done": 3, "failed": 1, "running": 1, "dep_fail": 1])

        // The status rows the calls imply, in lifecycle order, with the try each belongs to.
        let rows = try RawDatabase(path: directory.databasePath).rows(
            "SELECT task_id, try_id, task_status_name FROM status WHERE run_id = '\(self.runID)' \(statusLifecycleOrder)"
        )
        let expected: [[String]] =
            (0..<3).flatMap {
                [
                    ["\($0)", "0", "pending"], ["\($0)", "0", "launched"], ["\($0)", "0", "running"],
                    ["\($0)", "0", "exec_done"],
                ]
            }
            + [
                ["3", "0", "pending"], ["3", "0", "launched"], ["3", "0", "running"], ["3", "0", "fail_retryable"],
                ["3", "1", "launched"], ["3", "1", "running"], ["3", "1", "failed"],
                ["4", "0", "pending"], ["4", "0", "launched"], ["4", "0", "running"],
                ["5", "0", "pending"], ["5", "0", "dep_fail"],
            ]
        #expect(rows == expected.map { $0.map { Optional($0) } })
    }

    @Test func failuresAreListedWithMessagesTriesAndHosts() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        self.recordRun(store, ended: true)
        store.close()

        let report = try StatusReport.load(databasePath: directory.databasePath, runID: self.runID)
        #expect(report.failureCount == 3)
        #expect(
            report.failures == [
                .init(
                    taskID: 3,
                    appName: "rasterize",
                    tryID: 0,
                    message: "MemoryError: try 0",
                    hostname: "node-a",
                    currentState: "failed"
                ),
                .init(
                    taskID: 3,
                    appName: "rasterize",
                    tryID: 1,
                    message: "MemoryError: try 1",
                    hostname: "node-b",
                    currentState: "failed"
                ),
                .init(
                    taskID: 5,
                    appName: "tile",
                    tryID: nil,
                    message: "Dependency failure for task 5: task 3 failed",
                    hostname: nil,
                    currentState: "dep_fail"
                ),
            ]
        )
        let limited = try StatusReport.load(databasePath: directory.databasePath, failureLimit: 1)
        #expect(limited.failures.count == 1)
        #expect(limited.failureCount == 3)
    }

    @Test func renderShowsRunAppsStatesAndFailures() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        self.recordRun(store, ended: false)
        store.close()

        let text = try StatusReport.load(databasePath: directory.databasePath).render()
        #expect(text.contains("run \(self.runID)"))
        #expect(text.contains("workflow viz 2"))
        #expect(text.contains("running"))
        for word in ["stage", "rasterize", "tile", "exec_done", "dep_fail", "MemoryError: try 1", "node-b", "total"] {
            #expect(text.contains(word), "render() lacks \(word):\n\(text)")
        }
        // States in lifecycle order, pending-side first.
        let header = try #require(text.split(separator: "\n").first { $0.hasPrefix("app") })
        #expect(header.split(separator: " ") == ["app", "running", "exec_done", "failed", "dep_fail", "total"])
    }

    @Test func reportRoundTripsThroughJSON() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        self.recordRun(store, ended: false)
        store.close()

        let report = try StatusReport.load(databasePath: directory.databasePath)
        #expect(report.ended == nil)
        let json = try JSONEncoder().encode(report)
        let decoded = try JSONDecoder().decode(StatusReport.self, from: json)
        #expect(decoded == report)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["runID"] as? String == self.runID)
        #expect((object["failures"] as? [Any])?.count == 3)
    }

    @Test func latestRunIsChosenWhenNoRunIDIsGiven() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(path: directory.databasePath)
        store.workflowStarted(runID: "old", workflowName: "a", workflowVersion: "1", runDirectory: "/r/000", time: 10)
        store.workflowStarted(runID: "new", workflowName: "b", workflowVersion: "1", runDirectory: "/r/001", time: 20)
        store.close()
        #expect(try StatusReport.load(databasePath: directory.databasePath).runID == "new")
        #expect(try StatusReport.load(databasePath: directory.databasePath, runID: "old").workflowName == "a")
        let error = try #require(throws: MonitoringError.self) {
            _ = try StatusReport.load(databasePath: directory.databasePath, runID: "nope")
        }
        #expect(error.code == .notFound)
    }

    @Test func reportIsReadableWhileTheStoreIsStillWriting() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try MonitoringStore(
            path: directory.databasePath,
            configuration: .init(flushInterval: .milliseconds(1))
        )
        let run = self.runID
        store.workflowStarted(runID: run, workflowName: "live", workflowVersion: "1", runDirectory: "/r", time: 1)
        store.flush()

        let tasks = 20_000
        let writer = Thread {
            for task in 0..<tasks {
                store.taskSubmitted(
                    runID: run,
                    taskID: task,
                    appName: "noop",
                    memoize: false,
                    hashsum: nil,
                    dependsOn: [],
                    executor: "local",
                    time: 2
                )
                store.taskEnded(
                    runID: run,
                    taskID: task,
                    time: 3,
                    failCount: 0,
                    failCost: 0,
                    finalState: .execDone,
                    failure: nil
                )
            }
            store.workflowEnded(runID: run, time: 4, tasksCompleted: tasks, tasksFailed: 0)
            store.flush()
        }
        writer.start()

        // Read repeatedly from a second connection while the writer commits batches.
        var reads = 0
        var lastCount = -1
        while true {
            let report = try StatusReport.load(databasePath: directory.databasePath)
            #expect(report.taskCount >= lastCount, "a later snapshot never has fewer tasks")
            #expect(report.totals.values.reduce(0, +) == report.taskCount)
            lastCount = report.taskCount
            reads += 1
            if !report.isRunning { break }
        }
        store.close()
        let final = try StatusReport.load(databasePath: directory.databasePath)
        #expect(final.totals == ["exec_done": tasks])
        #expect(reads >= 1)
    }
}
