import Foundation
import Synchronization

/// The writer thread's side: owns the SQLite connection and the prepared statements, and turns each
/// swapped-out batch of events into one transaction.
///
/// `@unchecked Sendable` because the connection and statements are not thread-safe: the initializing
/// thread builds the writer, hands it to `Thread` (start happens-before the thread body), and from then on
/// only the writer thread touches it. Nothing else keeps a reference.
final class MonitoringWriter: @unchecked Sendable {
    private let buffer: EventBuffer
    private let connection: SQLiteConnection
    private let flushInterval: TimeInterval

    private let begin: SQLiteStatement
    private let commit: SQLiteStatement
    private let rollback: SQLiteStatement
    private let insertWorkflow: SQLiteStatement
    private let endWorkflow: SQLiteStatement
    private let endTask: SQLiteStatement
    private let insertTasks: MultiRowInsert
    private let upsertTries: MultiRowInsert
    private let insertStatusEvents: MultiRowInsert
    private let insertBlock: SQLiteStatement
    private let insertFileCheck: SQLiteStatement
    private let insertPartialFailure: SQLiteStatement
    private let insertNode: SQLiteStatement

    /// Events merged at a time (see `write`).
    private static let mergeWindow = 16_384
    /// The current window's rows; kept between batches to reuse its storage and its last-try table.
    private var plan = WriteBatch()
    /// Scratch for `task_depends` text, reused for every task.
    private var dependsText: [UInt8] = []
    private let host = ProcessInfo.processInfo.hostName
    private let user = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.userName

    init(connection: SQLiteConnection, buffer: EventBuffer, flushInterval: TimeInterval) throws(MonitoringError) {
        typealias Store = MonitoringStore
        self.connection = connection
        self.buffer = buffer
        self.flushInterval = max(0.001, flushInterval)
        self.begin = try connection.prepare("BEGIN IMMEDIATE", code: .schema)
        self.commit = try connection.prepare("COMMIT", code: .schema)
        self.rollback = try connection.prepare("ROLLBACK", code: .schema)
        self.insertWorkflow = try connection.prepare(Store.insertWorkflowSQL, code: .schema)
        self.endWorkflow = try connection.prepare(Store.endWorkflowSQL, code: .schema)
        self.endTask = try connection.prepare(Store.endTaskSQL, code: .schema)
        self.insertTasks = try MultiRowInsert(
            connection: connection,
            columns: Store.insertTaskColumns,
            rowsPerStatement: Store.rowsPerInsert,
            prefix: Store.insertTaskPrefix,
            suffix: Store.insertTaskSuffix
        )
        self.upsertTries = try MultiRowInsert(
            connection: connection,
            columns: Store.upsertTryColumns,
            rowsPerStatement: Store.rowsPerInsert,
            prefix: Store.upsertTryPrefix,
            suffix: Store.upsertTrySuffix
        )
        self.insertStatusEvents = try MultiRowInsert(
            connection: connection,
            columns: Store.insertStatusEventColumns,
            rowsPerStatement: Store.rowsPerInsert,
            prefix: Store.insertStatusEventPrefix,
            suffix: ""
        )
        self.insertBlock = try connection.prepare(Store.insertBlockSQL, code: .schema)
        self.insertFileCheck = try connection.prepare(Store.insertFileCheckSQL, code: .schema)
        self.insertPartialFailure = try connection.prepare(Store.insertPartialFailureSQL, code: .schema)
        self.insertNode = try connection.prepare(Store.insertNodeSQL, code: .schema)
    }

    // MARK: Thread loop

    /// The thread body: sleep until there is work, swap the buffer out, write it, repeat until closed.
    func run() {
        var batch: [MonitoringEvent] = []
        batch.reserveCapacity(self.buffer.wakeThreshold)
        while true {
            self.waitForWork()
            // Swap rather than copy: the producers get the (empty, already sized) array back.
            let closing = self.buffer.state.withLock { state in
                swap(&state.events, &batch)
                state.flushRequested = false
                state.swaps &+= 1
                return state.closed
            }
            self.buffer.broadcastProgress()  // backpressured producers may append again

            if !batch.isEmpty {
                self.write(batch)
            }
            let written = UInt64(batch.count)
            batch.removeAll(keepingCapacity: true)
            self.buffer.state.withLock { $0.processed &+= written }
            self.buffer.broadcastProgress()  // flush() waiters

            // `closed` was read in the same critical section as the swap, so nothing can follow it.
            if closing { break }
        }
        self.connection.close()
        self.buffer.state.withLock { $0.writerFinished = true }
        self.buffer.broadcastProgress()
    }

    /// Sleeps until the buffer reaches the wake threshold, a flush or close is requested, or
    /// `flushInterval` passes.
    private func waitForWork() {
        let deadline = Date(timeIntervalSinceNow: self.flushInterval)
        let threshold = self.buffer.wakeThreshold
        self.buffer.wake.lock()
        while !self.buffer.state.withLock({ $0.closed || $0.flushRequested || $0.events.count >= threshold }) {
            if !self.buffer.wake.wait(until: deadline) { break }
        }
        self.buffer.wake.unlock()
    }

    // MARK: Writing

    /// Writes one batch in one transaction. A failing statement loses its rows (counted) and the rest goes
    /// on; a failing commit drops the batch (retrying a full disk forever would stall every producer).
    private func write(_ batch: [MonitoringEvent]) {
        // Merge on this thread, outside the transaction: readers and the WAL see only the final rows.
        var errors = WriteErrors()
        do {
            try self.begin.run()
        } catch {
            self.report(error, dropped: UInt64(batch.count))
            return
        }
        // Merge in windows: a task's events are close together in record order, so a window catches most
        // of them while its tables stay small and in cache; a task split across windows (or batches) is
        // still written correctly, as an insert plus an update.
        // A local copy (moved out and back, not copied) spares a dynamic exclusivity check per event.
        var plan = WriteBatch()
        swap(&plan, &self.plan)
        defer { swap(&plan, &self.plan) }
        var start = batch.startIndex
        while start < batch.endIndex {
            let end = min(start + Self.mergeWindow, batch.endIndex)
            plan.removeAll()
            for index in start..<end {
                plan.add(batch[index])
            }
            for event in plan.others {
                do {
                    try self.apply(event)
                } catch {
                    errors.record(error, dropped: 1)
                }
            }
            self.writeTasks(plan, &errors)
            self.writeTries(plan, &errors)
            self.writeStatusEvents(plan, &errors)
            start = end
        }
        do {
            try self.commit.run()
        } catch {
            try? self.rollback.run()
            self.report(error, dropped: UInt64(batch.count))
            return
        }
        if let first = errors.first {
            self.report(first, dropped: errors.dropped)
        }
    }

    /// Calls `body(run, range)` for each stretch of consecutive rows of one run (usually the whole array).
    private static func forEachRun<Row>(
        _ rows: [Row],
        run: (Row) -> Int,
        _ body: (Int, Range<Int>) -> Void
    ) {
        var start = 0
        while start < rows.count {
            let current = run(rows[start])
            var end = start + 1
            while end < rows.count && run(rows[end]) == current { end += 1 }
            body(current, start..<end)
            start = end
        }
    }

    /// Explicit `taskState` rows only; the `status` view derives the others from `task` and `try`.
    private func writeStatusEvents(_ plan: borrowing WriteBatch, _ errors: inout WriteErrors) {
        let rows = plan.statusRows
        let runIDs = plan.runIDs
        Self.forEachRun(rows, run: \.run) { run, range in
            self.insertStatusEvents.write(runID: runIDs[run], count: range.count, errors: &errors) { statement, first, index in
                let row = range.lowerBound + index
                statement.bind(first, rows[row].taskID)
                statement.bind(first + 1, rows[row].tryID)
                statement.bind(first + 2, static: rows[row].state.staticName)
                statement.bind(first + 3, rows[row].time)
            }
        }
    }

    /// Submitted tasks become one insert each (with their end if it is in this batch too); tasks that only
    /// ended here update the row an earlier batch wrote.
    private func writeTasks(_ plan: borrowing WriteBatch, _ errors: inout WriteErrors) {
        let tasks = plan.tasks
        let runIDs = plan.runIDs
        var inserts: [Int] = []
        inserts.reserveCapacity(tasks.count)
        // A single-row UPDATE per ended task: an `UPDATE ... FROM (VALUES ...)` of 128 rows measured ~35%
        // slower (SQLite materializes the join before it updates).
        for index in tasks.indices where tasks[index].submission != nil || tasks[index].ending != nil {
            if tasks[index].submission != nil {
                inserts.append(index)
            } else if let ending = tasks[index].ending {
                let statement = self.endTask
                statement.bind(1, runIDs[tasks[index].run])
                statement.bind(2, tasks[index].taskID)
                statement.bind(3, ending.time)
                statement.bind(4, ending.failCount)
                statement.bind(5, ending.failCost)
                statement.bind(6, static: ending.finalState.staticName)
                statement.bind(7, ending.failure)
                statement.bind(8, ending.tryID)
                do {
                    try statement.run()
                } catch {
                    errors.record(error, dropped: 1)
                }
            }
        }
        Self.forEachRun(inserts, run: { tasks[$0].run }) { run, range in
            self.insertTasks.write(runID: runIDs[run], count: range.count, errors: &errors) { statement, first, index in
                let row = inserts[range.lowerBound + index]
                guard let submission = tasks[row].submission else { return }
                statement.bind(first, tasks[row].taskID)
                statement.bind(first + 1, submission.appName)
                statement.bind(first + 2, submission.memoize)
                statement.bind(first + 3, submission.hashsum)
                self.bindDepends(statement, first + 4, submission.dependsOn)
                statement.bind(first + 5, submission.executor)
                statement.bind(first + 6, submission.time)
                if let ending = tasks[row].ending {
                    statement.bind(first + 7, ending.time)
                    statement.bind(first + 8, ending.failCount)
                    statement.bind(first + 9, ending.failCost)
                    statement.bind(first + 10, static: ending.finalState.staticName)
                    statement.bind(first + 11, ending.failure)
                    statement.bind(first + 12, ending.tryID)
                } else {
                    // A NULL state tells the upsert to keep an existing row's end columns.
                    statement.bindNull(first + 7)
                    statement.bind(first + 8, 0)
                    statement.bind(first + 9, 0.0)
                    statement.bindNull(first + 10)
                    statement.bindNull(first + 11)
                    statement.bindNull(first + 12)
                }
            }
        }
    }

    private func writeTries(_ plan: borrowing WriteBatch, _ errors: inout WriteErrors) {
        let tries = plan.tries
        let runIDs = plan.runIDs
        Self.forEachRun(tries, run: \.run) { run, range in
            self.upsertTries.write(runID: runIDs[run], count: range.count, errors: &errors) { statement, first, index in
                let row = range.lowerBound + index
                statement.bind(first, tries[row].taskID)
                statement.bind(first + 1, tries[row].tryID)
                statement.bind(first + 2, tries[row].executor)
                statement.bind(first + 3, tries[row].launched)
                statement.bind(first + 4, tries[row].hostname)
                statement.bind(first + 5, tries[row].blockID)
                statement.bind(first + 6, tries[row].running)
                statement.bind(first + 7, tries[row].returned)
                statement.bind(first + 8, tries[row].failure)
            }
        }
    }

    /// Binds Parsl's `task_depends` format, comma-separated task ids, without building a `String`.
    private func bindDepends(_ statement: SQLiteStatement, _ index: Int32, _ dependsOn: [Int]) {
        self.dependsText.removeAll(keepingCapacity: true)
        for (position, id) in dependsOn.enumerated() {
            if position > 0 { self.dependsText.append(UInt8(ascii: ",")) }
            Self.appendDecimal(id, to: &self.dependsText)
        }
        self.dependsText.withUnsafeBufferPointer { statement.bind(index, utf8: $0) }
    }

    private static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    private func report(_ error: MonitoringError, dropped: UInt64) {
        let error = MonitoringError(
            code: .write,
            message: "dropped \(dropped) monitoring event(s): \(error.message)",
            sqliteResultCode: error.sqliteResultCode
        )
        let first = self.buffer.state.withLock { state in
            defer {
                state.lastError = error
                state.droppedEvents &+= dropped
            }
            return state.lastError == nil
        }
        // Say it once on stderr; the count and the latest error stay available on the store.
        if first {
            FileHandle.standardError.write(Data("monitoring: \(error)\n".utf8))
        }
    }

    /// Writes a workflow, block or node event (task events go through ``WriteBatch``).
    private func apply(_ event: MonitoringEvent) throws(MonitoringError) {
        switch event {
        case .status, .taskSubmitted, .taskEnded, .tryLaunched, .tryRunning, .tryReturned:
            assertionFailure("task events are merged by WriteBatch")

        case .workflowStarted(let runID, let workflowName, let workflowVersion, let runDirectory, let time):
            let statement = self.insertWorkflow
            statement.bind(1, runID)
            statement.bind(2, workflowName)
            statement.bind(3, workflowVersion)
            statement.bind(4, time)
            statement.bind(5, self.host)
            statement.bind(6, self.user)
            statement.bind(7, runDirectory)
            try statement.run()

        case .workflowEnded(let runID, let time, let tasksCompleted, let tasksFailed):
            let statement = self.endWorkflow
            statement.bind(1, runID)
            statement.bind(2, time)
            statement.bind(3, tasksCompleted)
            statement.bind(4, tasksFailed)
            try statement.run()

        case .block(let runID, let blockID, let executor, let jobID, let status, let reason, let time):
            let statement = self.insertBlock
            statement.bind(1, runID)
            statement.bind(2, blockID)
            statement.bind(3, executor)
            statement.bind(4, jobID)
            statement.bind(5, status)
            statement.bind(6, reason)
            statement.bind(7, time)
            try statement.run()

        case .fileCheck(let runID, let taskID, let reason, let path, let time):
            let statement = self.insertFileCheck
            statement.bind(1, runID)
            statement.bind(2, taskID)
            statement.bind(3, reason)
            statement.bind(4, path)
            statement.bind(5, time)
            try statement.run()

        case .partialFailure(let runID, let taskID, let item, let message, let time):
            let statement = self.insertPartialFailure
            statement.bind(1, runID)
            statement.bind(2, taskID)
            statement.bind(3, item)
            statement.bind(4, message)
            statement.bind(5, time)
            try statement.run()

        case .node(let runID, let hostname, let blockID, let workerID, let workerCount, let active, let time):
            let statement = self.insertNode
            statement.bind(1, runID)
            statement.bind(2, hostname)
            statement.bind(3, workerID)
            statement.bind(4, blockID)
            statement.bind(5, workerCount)
            statement.bind(6, active)
            statement.bind(7, time)
            try statement.run()
        }
    }
}
