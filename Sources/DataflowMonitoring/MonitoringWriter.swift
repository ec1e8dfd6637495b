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
    private let insertTaskSubmits: MultiRowInsert
    private let insertTaskEnds: MultiRowInsert
    private let insertTaskDones: MultiRowInsert
    private let insertPlainLives: MultiRowInsert
    private let upsertTryLaunches: MultiRowInsert
    private let upsertTryEnds: MultiRowInsert
    private let insertStatusEvents: MultiRowInsert
    private let insertBlock: SQLiteStatement
    private let insertFileCheck: SQLiteStatement
    private let insertPartialFailure: SQLiteStatement
    private let insertNode: SQLiteStatement

    /// Which events each cycle writes now and which it holds back (see `write`).
    private var prefix = RecordPrefix()
    /// The current cycle's rows; kept between cycles to reuse its storage and its last-try table.
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
        self.insertTaskSubmits = try MultiRowInsert(
            connection: connection,
            columns: Store.insertTaskSubmitColumns,
            rowsPerStatement: Store.rowsPerInsert,
            prefix: Store.insertTaskSubmitPrefix,
            suffix: ""
        )
        self.insertTaskEnds = try MultiRowInsert(
            connection: connection,
            columns: Store.insertTaskEndColumns,
            rowsPerStatement: Store.rowsPerInsert,
            prefix: Store.insertTaskEndPrefix,
            suffix: ""
        )
        self.insertTaskDones = try MultiRowInsert(
            connection: connection,
            columns: Store.insertTaskDoneColumns,
            rowsPerStatement: Store.rowsPerInsert,
            prefix: Store.insertTaskDonePrefix,
            suffix: ""
        )
        self.insertPlainLives = try MultiRowInsert(
            connection: connection,
            shared: Store.insertPlainLifeShared,
            columns: Store.insertPlainLifeColumns,
            rowsPerStatement: Store.rowsPerInsert,
            prefix: Store.insertPlainLifePrefix,
            row: Store.plainLifeRow
        )
        self.upsertTryLaunches = try MultiRowInsert(
            connection: connection,
            columns: Store.upsertTryLaunchColumns,
            rowsPerStatement: Store.rowsPerInsert,
            prefix: Store.upsertTryLaunchPrefix,
            suffix: Store.upsertTryLaunchSuffix
        )
        self.upsertTryEnds = try MultiRowInsert(
            connection: connection,
            columns: Store.upsertTryEndColumns,
            rowsPerStatement: Store.rowsPerInsert,
            prefix: Store.upsertTryEndPrefix,
            suffix: Store.upsertTryEndSuffix
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

    /// The thread body: sleep until there is work, take every shard of the buffer, write them, repeat until
    /// closed.
    func run() {
        // Swapped with the shards: the producers get the (empty, already sized) arrays back. The last array
        // is not a shard: it holds the events held back for the next cycle (see `write`).
        let shards = self.buffer.shards.count
        var batches = Array(repeating: [EventBuffer.Entry](), count: shards + 1)
        while true {
            self.buffer.waitForWork(until: Date(timeIntervalSinceNow: self.flushInterval))
            let (cycle, closing, flushing) = self.buffer.takeAll(into: &batches)
            if self.plan.hasCarried || batches.contains(where: { !$0.isEmpty }) {
                self.write(&batches, closing: closing, flushing: flushing)
            }
            for index in 0..<shards {
                batches[index].removeAll(keepingCapacity: true)
            }
            self.buffer.finishCycle(cycle)
            // `closing` was read before the shards were taken, so nothing recorded before close() is left.
            if closing { break }
        }
        self.connection.close()
        var cpu = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu)
        let cpuSeconds = Double(cpu.tv_sec) + Double(cpu.tv_nsec) * 1e-9
        self.buffer.control.withLock { $0.writerCPUSeconds = cpuSeconds }
        self.buffer.writerDidFinish()
    }

    // MARK: Writing

    /// Writes one cycle's events (in the shards of `batches`, and the events held back by the previous
    /// cycle in its last array) in one transaction, in record order, up to the first event still being
    /// appended when its shard was taken (see ``RecordPrefix``); what follows is held back in the last array.
    /// Unless the cycle is the last one or serves a `flush()`, the submissions of tasks that have not ended
    /// are held back one more cycle too (see ``WriteBatch/holdUnfinished()``).
    /// A failing statement loses its rows (counted) and the rest goes on; a failing commit drops the
    /// batch (retrying a full disk forever would stall every producer).
    private func write(_ batches: inout [[EventBuffer.Entry]], closing: Bool, flushing: Bool) {
        // Merge the whole cycle at once, on this thread and before the transaction starts: a task's
        // submission and end are often tens of thousands of events apart (a burst of submissions, then
        // their runs), and only when both are in the same merge is the task one `task_done` row instead of
        // four (a cycle is at most `maxBufferedEvents`, so this stays bounded). A try or task split across
        // cycles is still written correctly, as split rows and upserts.
        // A local copy (moved out and back, not copied) spares a dynamic exclusivity check per event.
        var plan = WriteBatch(indexCapacity: 1)
        swap(&plan, &self.plan)
        defer { swap(&plan, &self.plan) }
        plan.removeAll()
        var held: [EventBuffer.Entry] = []
        var count = 0
        var merge = EventBuffer.Merge(shards: batches.count)
        self.prefix.startCycle(closing: closing)
        while let (shard, index) = merge.next(in: batches) {
            if self.prefix.admit(batches[shard][index].sequence) {
                plan.add(batches[shard][index].event)
                count += 1
            } else {
                held.append(batches[shard][index])
            }
        }
        self.prefix.endCycle()
        swap(&batches[batches.count - 1], &held)
        // In record order the held-back submissions come before everything the next cycle takes (events
        // the prefix held back included), so carrying them as rows keeps each task's order.
        if !closing && !flushing { plan.holdUnfinished() }
        guard count > 0 || !plan.submissions.isEmpty else { return }
        var errors = WriteErrors()
        do {
            try self.begin.run()
        } catch {
            self.report(error, dropped: UInt64(count))
            return
        }
        for event in plan.others {
            do {
                try self.apply(event)
            } catch {
                errors.record(error, dropped: 1)
            }
        }
        self.writeLives(plan, &errors)
        self.writeTasks(plan, &errors)
        self.writeTries(plan, &errors)
        self.writeStatusEvents(plan, &errors)
        do {
            try self.commit.run()
        } catch {
            try? self.rollback.run()
            self.report(error, dropped: UInt64(count))
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

    /// Whole lives: one `task_done` row each, with the task's submission, end and try 0 (NULL try columns
    /// when it had no try).
    private func writeLives(_ plan: borrowing WriteBatch, _ errors: inout WriteErrors) {
        // The usual lives go through the statement that binds 7 parameters a row instead of 20.
        var plain: [WriteBatch.Life] = []
        var lives: [WriteBatch.Life] = []
        plain.reserveCapacity(plan.lives.count)
        for life in plan.lives {
            if Self.isPlain(life, plan) { plain.append(life) } else { lives.append(life) }
        }
        self.writePlainLives(plain, plan, &errors)
        let submissions = plan.submissions
        let endings = plan.endings
        let tries = plan.tries
        let runIDs = plan.runIDs
        Self.forEachRun(lives, run: { submissions[$0.submission].run }) { run, range in
            self.insertTaskDones.write(runID: runIDs[run], count: range.count, errors: &errors) { statement, first, index in
                let life = lives[range.lowerBound + index]
                let submission = life.submission
                let ending = life.ending
                statement.bind(first, submissions[submission].taskID)
                statement.bind(first + 1, submissions[submission].appName)
                statement.bind(first + 2, submissions[submission].memoize)
                statement.bind(first + 3, submissions[submission].hashsum)
                self.bindDepends(statement, first + 4, submissions[submission].dependsOn)
                statement.bind(first + 5, submissions[submission].executor)
                statement.bind(first + 6, submissions[submission].time)
                statement.bind(first + 7, endings[ending].time)
                statement.bind(first + 8, endings[ending].failCount)
                statement.bind(first + 9, endings[ending].failCost)
                statement.bind(first + 10, static: endings[ending].finalState.staticName)
                statement.bind(first + 11, endings[ending].failure)
                let row = life.tryRow
                if row >= 0 {
                    statement.bind(first + 12, 0)
                    statement.bind(first + 13, tries[row].executor)
                    statement.bind(first + 14, tries[row].launched)
                    statement.bind(first + 15, tries[row].hostname)
                    statement.bind(first + 16, tries[row].blockID)
                    statement.bind(first + 17, tries[row].running)
                    statement.bind(first + 18, tries[row].returned)
                    statement.bind(first + 19, tries[row].failure)
                } else {
                    for column in Int32(12)..<20 { statement.bindNull(first + column) }
                }
            }
        }
    }

    /// Whether a life is the usual one ``MonitoringStore/insertPlainLifePrefix`` writes.
    private static func isPlain(_ life: WriteBatch.Life, _ plan: borrowing WriteBatch) -> Bool {
        guard life.tryRow >= 0 else { return false }
        let submission = plan.submissions[life.submission]
        let ending = plan.endings[life.ending]
        let attempt = plan.tries[life.tryRow]
        return submission.hashsum == nil && submission.dependsOn.isEmpty && ending.failCount == 0 && ending.failCost == 0
            && ending.finalState == .execDone && ending.failure == nil && attempt.failure == nil && attempt.blockID == nil
            && attempt.executor == submission.executor
    }

    /// Usual lives, in stretches that share run, app, executor, hostname and memoize (bound once per statement).
    private func writePlainLives(_ lives: [WriteBatch.Life], _ plan: borrowing WriteBatch, _ errors: inout WriteErrors) {
        let submissions = plan.submissions
        let endings = plan.endings
        let tries = plan.tries
        let runIDs = plan.runIDs
        // Compared field by field (an array of shared values per life would cost an allocation each).
        func sameShared(_ a: WriteBatch.Life, _ b: WriteBatch.Life) -> Bool {
            let (x, y) = (submissions[a.submission], submissions[b.submission])
            return x.run == y.run && x.memoize == y.memoize && x.appName == y.appName && x.executor == y.executor
                && tries[a.tryRow].hostname == tries[b.tryRow].hostname
        }
        var start = 0
        while start < lives.count {
            var end = start + 1
            while end < lives.count && sameShared(lives[start], lives[end]) { end += 1 }
            let submission = submissions[lives[start].submission]
            let values: [MultiRowInsert.SharedValue] = [
                .text(runIDs[submission.run]), .text(submission.appName), .text(submission.executor),
                tries[lives[start].tryRow].hostname.map { .text($0) } ?? .null, .int(submission.memoize ? 1 : 0),
            ]
            let stretch = start..<end
            self.insertPlainLives.write(shared: values, count: stretch.count, errors: &errors) { statement, first, index in
                let life = lives[stretch.lowerBound + index]
                let attempt = tries[life.tryRow]
                statement.bind(first, submissions[life.submission].taskID)
                statement.bind(first + 1, submissions[life.submission].time)
                statement.bind(first + 2, endings[life.ending].time)
                statement.bind(first + 3, attempt.launched)
                statement.bind(first + 4, attempt.running)
                statement.bind(first + 5, attempt.returned)
            }
            start = end
        }
    }

    /// Submissions and ends are one insert each into their own table, in record order; never an update of
    /// an earlier row (an update of the submitted row, in a later batch, was half of the writer's time).
    private func writeTasks(_ plan: borrowing WriteBatch, _ errors: inout WriteErrors) {
        let runIDs = plan.runIDs
        let submissions = plan.submissions
        var rows: [Int] = []
        rows.reserveCapacity(submissions.count - plan.lives.count)
        for index in submissions.indices where !submissions[index].inLife && !submissions[index].held {
            rows.append(index)
        }
        Self.forEachRun(rows, run: { submissions[$0].run }) { run, range in
            self.insertTaskSubmits.write(runID: runIDs[run], count: range.count, errors: &errors) { statement, first, index in
                let row = rows[range.lowerBound + index]
                statement.bind(first, submissions[row].taskID)
                statement.bind(first + 1, submissions[row].appName)
                statement.bind(first + 2, submissions[row].memoize)
                statement.bind(first + 3, submissions[row].hashsum)
                self.bindDepends(statement, first + 4, submissions[row].dependsOn)
                statement.bind(first + 5, submissions[row].executor)
                statement.bind(first + 6, submissions[row].time)
            }
        }
        let endings = plan.endings
        rows.removeAll(keepingCapacity: true)
        for index in endings.indices where !endings[index].inLife { rows.append(index) }
        Self.forEachRun(rows, run: { endings[$0].run }) { run, range in
            self.insertTaskEnds.write(runID: runIDs[run], count: range.count, errors: &errors) { statement, first, index in
                let row = rows[range.lowerBound + index]
                statement.bind(first, endings[row].taskID)
                statement.bind(first + 1, endings[row].time)
                statement.bind(first + 2, endings[row].failCount)
                statement.bind(first + 3, endings[row].failCost)
                statement.bind(first + 4, static: endings[row].finalState.staticName)
                statement.bind(first + 5, endings[row].failure)
                statement.bind(first + 6, endings[row].tryID)
            }
        }
    }

    /// A try's launch (executor, time) and the rest (where, when it ran and returned, its failure) go to their
    /// own tables: the launch is recorded at submission and the rest after the try ran, usually in a later
    /// batch, and one row for both was an insert and then an update (the largest cost left after `task`'s
    /// split).
    private func writeTries(_ plan: borrowing WriteBatch, _ errors: inout WriteErrors) {
        let tries = plan.tries
        let runIDs = plan.runIDs
        var launches: [Int] = []
        var ends: [Int] = []
        launches.reserveCapacity(tries.count)
        ends.reserveCapacity(tries.count)
        for index in tries.indices where !tries[index].inLife && !tries[index].held {
            if tries[index].hasLaunch { launches.append(index) }
            if tries[index].hasEnd { ends.append(index) }
        }
        Self.forEachRun(launches, run: { tries[$0].run }) { run, range in
            self.upsertTryLaunches.write(runID: runIDs[run], count: range.count, errors: &errors) { statement, first, index in
                let row = launches[range.lowerBound + index]
                statement.bind(first, tries[row].taskID)
                statement.bind(first + 1, tries[row].tryID)
                statement.bind(first + 2, tries[row].executor)
                statement.bind(first + 3, tries[row].launched)
            }
        }
        Self.forEachRun(ends, run: { tries[$0].run }) { run, range in
            self.upsertTryEnds.write(runID: runIDs[run], count: range.count, errors: &errors) { statement, first, index in
                let row = ends[range.lowerBound + index]
                statement.bind(first, tries[row].taskID)
                statement.bind(first + 1, tries[row].tryID)
                statement.bind(first + 2, tries[row].hostname)
                statement.bind(first + 3, tries[row].blockID)
                statement.bind(first + 4, tries[row].running)
                statement.bind(first + 5, tries[row].returned)
                statement.bind(first + 6, tries[row].failure)
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
        let first = self.buffer.control.withLock { state in
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
            try self.insertWorkflow.run(binding: runID, workflowName, workflowVersion, time, self.host, self.user, runDirectory)

        case .workflowEnded(let runID, let time, let tasksCompleted, let tasksFailed):
            try self.endWorkflow.run(binding: runID, time, tasksCompleted, tasksFailed)

        case .block(let runID, let blockID, let executor, let jobID, let status, let reason, let time):
            try self.insertBlock.run(binding: runID, blockID, executor, jobID, status, reason, time)

        case .fileCheck(let runID, let taskID, let reason, let path, let time):
            try self.insertFileCheck.run(binding: runID, taskID, reason, path, time)

        case .partialFailure(let runID, let taskID, let item, let message, let time):
            try self.insertPartialFailure.run(binding: runID, taskID, item, message, time)

        case .node(let runID, let hostname, let blockID, let workerID, let workerCount, let active, let time):
            try self.insertNode.run(binding: runID, hostname, workerID, blockID, workerCount, active, time)
        }
    }
}
