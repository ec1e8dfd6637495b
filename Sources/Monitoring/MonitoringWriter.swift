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
    private let insertTask: SQLiteStatement
    private let endTask: SQLiteStatement
    private let insertStatus: SQLiteStatement
    private let tryLaunched: SQLiteStatement
    private let tryRunning: SQLiteStatement
    private let tryReturned: SQLiteStatement
    private let insertBlock: SQLiteStatement
    private let insertNode: SQLiteStatement

    /// The run id last bound to `insertStatus`: `sqlite3_reset` keeps bindings, so an unchanged run id
    /// (the common case) is not copied into SQLite again for every row.
    private var statusRunID: String?
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
        self.insertTask = try connection.prepare(Store.insertTaskSQL, code: .schema)
        self.endTask = try connection.prepare(Store.endTaskSQL, code: .schema)
        self.insertStatus = try connection.prepare(Store.insertStatusSQL, code: .schema)
        self.tryLaunched = try connection.prepare(Store.tryLaunchedSQL, code: .schema)
        self.tryRunning = try connection.prepare(Store.tryRunningSQL, code: .schema)
        self.tryReturned = try connection.prepare(Store.tryReturnedSQL, code: .schema)
        self.insertBlock = try connection.prepare(Store.insertBlockSQL, code: .schema)
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

    /// Writes one batch in one transaction. A failing event is counted and skipped; a failing commit
    /// drops the batch (retrying a full disk forever would stall every producer).
    private func write(_ batch: [MonitoringEvent]) {
        var failed: UInt64 = 0
        var firstError: MonitoringError?
        do {
            try self.begin.run()
        } catch {
            self.report(error, dropped: UInt64(batch.count))
            return
        }
        for event in batch {
            do {
                try self.apply(event)
            } catch {
                failed += 1
                if firstError == nil { firstError = error }
            }
        }
        do {
            try self.commit.run()
        } catch {
            try? self.rollback.run()
            self.report(error, dropped: UInt64(batch.count))
            return
        }
        if let firstError {
            self.report(firstError, dropped: failed)
        }
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

    private func apply(_ event: MonitoringEvent) throws(MonitoringError) {
        switch event {
        case .status(let runID, let taskID, let tryID, let state, let time):
            let statement = self.insertStatus
            if runID != self.statusRunID {
                statement.bind(1, runID)
                self.statusRunID = runID
            }
            statement.bind(2, taskID)
            statement.bind(3, tryID)
            statement.bind(4, static: state.staticName)
            statement.bind(5, time)
            try statement.run()

        case .taskSubmitted(
            let runID,
            let taskID,
            let appName,
            let memoize,
            let hashsum,
            let dependsOn,
            let executor,
            let time
        ):
            let statement = self.insertTask
            statement.bind(1, runID)
            statement.bind(2, taskID)
            statement.bind(3, appName)
            statement.bind(4, memoize)
            statement.bind(5, hashsum)
            // Parsl's format: comma-separated task ids.
            statement.bind(6, dependsOn.lazy.map(String.init).joined(separator: ","))
            statement.bind(7, executor)
            statement.bind(8, time)
            try statement.run()

        case .taskEnded(let runID, let taskID, let time, let failCount, let failCost, let finalState, let failure):
            let statement = self.endTask
            statement.bind(1, runID)
            statement.bind(2, taskID)
            statement.bind(3, time)
            statement.bind(4, failCount)
            statement.bind(5, failCost)
            statement.bind(6, static: finalState.staticName)
            statement.bind(7, failure)
            try statement.run()

        case .tryLaunched(let runID, let taskID, let tryID, let executor, let time):
            let statement = self.tryLaunched
            statement.bind(1, runID)
            statement.bind(2, taskID)
            statement.bind(3, tryID)
            statement.bind(4, executor)
            statement.bind(5, time)
            try statement.run()

        case .tryRunning(let runID, let taskID, let tryID, let hostname, let blockID, let time):
            let statement = self.tryRunning
            statement.bind(1, runID)
            statement.bind(2, taskID)
            statement.bind(3, tryID)
            statement.bind(4, hostname)
            statement.bind(5, blockID)
            statement.bind(6, time)
            try statement.run()

        case .tryReturned(let runID, let taskID, let tryID, let time, let failure):
            let statement = self.tryReturned
            statement.bind(1, runID)
            statement.bind(2, taskID)
            statement.bind(3, tryID)
            statement.bind(4, time)
            statement.bind(5, failure)
            try statement.run()

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
