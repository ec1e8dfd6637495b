/// One batch of events turned into the rows to write, built on the writer thread before the transaction.
///
/// Why: a task's five calls each used to be a statement (insert, upserts, update). Events of the same
/// try that arrive in one batch are merged here into one row (written as its launch and end parts, see
/// `MonitoringWriter.writeTries`), so the common case is a plain insert of each.
/// A task's submission and its end are separate rows (`task_submit`, `task_end`; the `task` view joins
/// them), each a plain insert whichever batch it arrives in. The state changes those calls imply are not
/// rows of their own (the `status` view derives them); only explicit `taskState` calls are collected, in
/// record order, for `status_event`. Try events that span batches still work: a `try` row is upserted
/// column by column (a value not seen in this batch is kept).
///
/// A task whose submission and end are both in the batch, with no try but try 0 (no retry), is a *life*:
/// one `task_done` row instead of its submission, end and try rows. Whether a task is one is known at its
/// end: its submission is found by key, and its final try id (see `lastTries`) says whether it retried.
/// Events of the task after its end (a worker's late `running`) merge into the life's try when they are in
/// the same batch, or become a `try_end` row that the `try` view joins to the life.
///
/// A task submitted in this batch that has not ended (and has not retried or recorded an explicit state) is
/// *held back* once (``holdUnfinished()``): its submission and try 0 are not written now but carried into the
/// next batch, ahead of its events, so that a task ending there is still one `task_done` row. A task held
/// once is written split if it has not ended by the end of the next batch.
struct WriteBatch {
    struct StatusRow {
        var run: Int
        var taskID: Int
        var tryID: Int
        var state: TaskState
        var time: Double
    }

    /// What `taskSubmitted` says about a task.
    struct Submission {
        var run: Int
        var taskID: Int
        var appName: String
        var memoize: Bool
        var hashsum: String?
        var dependsOn: [Int]
        var executor: String
        var time: Double
        /// Written as part of a life, not on its own.
        var inLife = false
        /// Its task ended in this batch but is not a life (it retried).
        var ended = false
        /// Held back by the previous batch: written by this one whatever happens.
        var heldOnce = false
        /// Held back for the next batch: not written by this one.
        var held = false
    }

    /// What `taskEnded` says about a task.
    struct Ending {
        var run: Int
        var taskID: Int
        var time: Double
        var failCount: Int
        var failCost: Double
        var finalState: TaskState
        var failure: String?
        /// The highest try id recorded for the task: the try of its final `status` row.
        var tryID: Int
        var inLife = false
    }

    /// A task whose whole life is in the batch: its submission, its end and its try 0 (-1: it had none), as
    /// indices into ``submissions``, ``endings`` and ``tries``.
    struct Life {
        var submission: Int
        var ending: Int
        var tryRow: Int
    }

    /// A try's columns seen in this batch; `nil` means "not seen: keep what the database has".
    struct TryRow {
        var run: Int
        var taskID: Int
        var tryID: Int
        var executor: String?
        var launched: Double?
        var hostname: String?
        var blockID: String?
        var running: Double?
        var returned: Double?
        var failure: String?
        /// Written as part of a life, not on its own.
        var inLife = false
        /// Held back with its task's submission for the next batch (see ``Submission/held``).
        var held = false

        /// Whether the batch saw the try's launch (a `try_launch` row).
        var hasLaunch: Bool { executor != nil || launched != nil }
        /// Whether the batch saw anything after the launch (a `try_end` row).
        var hasEnd: Bool { hostname != nil || blockID != nil || running != nil || returned != nil || failure != nil }
    }

    /// The run ids of this batch; rows refer to them by index (usually there is exactly one).
    private(set) var runIDs: [String] = []
    private(set) var statusRows: [StatusRow] = []
    private(set) var submissions: [Submission] = []
    private(set) var endings: [Ending] = []
    private(set) var tries: [TryRow] = []
    private(set) var lives: [Life] = []
    /// Workflow, block and node events, written one statement each, in record order.
    private(set) var others: [MonitoringEvent] = []

    /// Rows of `tries` by key.
    private var index: RowIndex
    /// Rows of `submissions` by key (try id -1).
    private var submissionIndex: RowIndex
    private var lastRun = -1
    /// Per run, the highest try id seen of each task that has not ended, kept across batches: `taskEnded`
    /// gets its final status row's try id from here. Only ids above 0 are stored (0 is the default), so tasks
    /// that never retry cost no dictionary work.
    private var lastTries: [String: [Int: Int]] = [:]
    /// Submissions and try rows held back by ``holdUnfinished()``, with their run ids, for the next batch.
    private var carriedSubmissions: [(runID: String, row: Submission)] = []
    private var carriedTries: [(runID: String, row: TryRow)] = []

    /// A batch whose indexes start with room for `indexCapacity` keys (they grow). The writer's own batch
    /// starts big; the empty one it swaps in while it works on its batch starts small (a big one would
    /// allocate and zero ~0.8 MB, page by page, every cycle).
    init(indexCapacity: Int = 16_384) {
        self.index = RowIndex(capacity: indexCapacity)
        self.submissionIndex = RowIndex(capacity: indexCapacity)
    }

    /// Whether the previous batch held rows back for this one (they are in it after ``removeAll()``).
    var hasCarried: Bool { !self.carriedSubmissions.isEmpty }

    /// Empties the batch, keeping its storage; the last-try table lives on, and the rows the previous batch
    /// held back become this batch's first rows (they precede every event it will be given).
    mutating func removeAll() {
        self.runIDs.removeAll(keepingCapacity: true)
        self.statusRows.removeAll(keepingCapacity: true)
        self.submissions.removeAll(keepingCapacity: true)
        self.endings.removeAll(keepingCapacity: true)
        self.tries.removeAll(keepingCapacity: true)
        self.lives.removeAll(keepingCapacity: true)
        self.others.removeAll(keepingCapacity: true)
        self.index.removeAll()
        self.submissionIndex.removeAll()
        self.lastRun = -1
        for (runID, var row) in self.carriedSubmissions {
            row.run = self.run(runID)
            row.held = false
            row.heldOnce = true
            let next = self.submissions.count
            _ = self.submissionIndex.row(run: row.run, taskID: row.taskID, tryID: -1, orInsert: next)
            self.submissions.append(row)
        }
        for (runID, var row) in self.carriedTries {
            row.run = self.run(runID)
            row.held = false
            let next = self.tries.count
            _ = self.index.row(run: row.run, taskID: row.taskID, tryID: row.tryID, orInsert: next)
            self.tries.append(row)
        }
        self.carriedSubmissions.removeAll(keepingCapacity: true)
        self.carriedTries.removeAll(keepingCapacity: true)
    }

    /// Holds back for the next batch each submission of this batch whose task has not ended, with its try 0:
    /// not one held back before (those are written now, split), nor one that retried or recorded an explicit
    /// state (its `status_event` rows are written now, so its submission is too).
    mutating func holdUnfinished() {
        var explicit = Set<TaskKey>()
        for row in self.statusRows { explicit.insert(TaskKey(run: row.run, taskID: row.taskID)) }
        for index in self.submissions.indices {
            let submission = self.submissions[index]
            if submission.inLife || submission.ended || submission.heldOnce { continue }
            let runID = self.runIDs[submission.run]
            if !self.lastTries.isEmpty && self.lastTries[runID]?[submission.taskID] != nil { continue }
            if !explicit.isEmpty && explicit.contains(TaskKey(run: submission.run, taskID: submission.taskID)) {
                continue
            }
            // The latest submission of a task submitted twice in the batch is the one indexed.
            guard self.submissionIndex.row(run: submission.run, taskID: submission.taskID, tryID: -1) == index else {
                continue
            }
            self.submissions[index].held = true
            self.carriedSubmissions.append((runID, submission))
            if let row = self.index.row(run: submission.run, taskID: submission.taskID, tryID: 0) {
                self.tries[row].held = true
                self.carriedTries.append((runID, self.tries[row]))
            }
        }
    }

    private struct TaskKey: Hashable {
        var run: Int
        var taskID: Int
    }

    /// Adds one event, merging it with earlier events of the same task or try.
    mutating func add(_ event: MonitoringEvent) {
        switch event {
        case .status(let runID, let taskID, let tryID, let state, let time):
            let run = self.run(runID)
            self.noteTry(runID, taskID: taskID, tryID: tryID)
            self.statusRows.append(StatusRow(run: run, taskID: taskID, tryID: tryID, state: state, time: time))

        case .taskSubmitted(
            let runID, let taskID, let appName, let memoize, let launched, let hashsum, let dependsOn, let executor, let time):
            let run = self.run(runID)
            let submission = Submission(
                run: run,
                taskID: taskID,
                appName: appName,
                memoize: memoize,
                hashsum: hashsum,
                dependsOn: dependsOn,
                executor: executor,
                time: time
            )
            let next = self.submissions.count
            let row = self.submissionIndex.row(run: run, taskID: taskID, tryID: -1, orInsert: next)
            if row == next {
                self.submissions.append(submission)
            } else if !self.submissions[row].inLife {
                // Submitted again (not done by the kernel): the latest values, as `OR REPLACE` would keep.
                self.submissions[row] = submission
            } else {
                self.submissions.append(submission)
            }
            if launched {
                // Try 0's launch, recorded with the submission (as a `tryLaunched` at the same time would be).
                let row = self.try(run: run, taskID: taskID, tryID: 0)
                self.tries[row].executor = executor
                self.tries[row].launched = time
            }

        case .taskEnded(
            let runID, let taskID, let time, let failCount, let failCost, let finalState, let failure, let returned):
            let run = self.run(runID)
            var tryID = 0
            if !self.lastTries.isEmpty {
                tryID = self.lastTries[runID]?.removeValue(forKey: taskID) ?? 0
            }
            if let returned {
                // The final try's `tryReturned`, folded into its task's end.
                let row = self.try(run: run, taskID: taskID, tryID: tryID)
                self.tries[row].returned = returned
            }
            var ending = Ending(
                run: run,
                taskID: taskID,
                time: time,
                failCount: failCount,
                failCost: failCost,
                finalState: finalState,
                failure: failure,
                tryID: tryID
            )
            if let submission = self.submissionIndex.row(run: run, taskID: taskID, tryID: -1),
                !self.submissions[submission].inLife
            {
                guard tryID == 0 else {
                    self.submissions[submission].ended = true
                    self.endings.append(ending)
                    return
                }
                self.submissions[submission].inLife = true
                ending.inLife = true
                let tryRow = self.index.row(run: run, taskID: taskID, tryID: 0) ?? -1
                if tryRow >= 0 { self.tries[tryRow].inLife = true }
                self.lives.append(Life(submission: submission, ending: self.endings.count, tryRow: tryRow))
            }
            self.endings.append(ending)

        case .tryLaunched(let runID, let taskID, let tryID, let executor, let time):
            let run = self.run(runID)
            self.noteTry(runID, taskID: taskID, tryID: tryID)
            let row = self.try(run: run, taskID: taskID, tryID: tryID)
            self.tries[row].executor = executor
            self.tries[row].launched = time

        case .tryRunning(let runID, let taskID, let tryID, let hostname, let blockID, let time):
            let run = self.run(runID)
            self.noteTry(runID, taskID: taskID, tryID: tryID)
            let row = self.try(run: run, taskID: taskID, tryID: tryID)
            if let hostname { self.tries[row].hostname = hostname }
            if let blockID { self.tries[row].blockID = blockID }
            self.tries[row].running = time

        case .tryReturned(let runID, let taskID, let tryID, let time, let failure):
            let run = self.run(runID)
            self.noteTry(runID, taskID: taskID, tryID: tryID)
            let row = self.try(run: run, taskID: taskID, tryID: tryID)
            self.tries[row].returned = time
            if let failure { self.tries[row].failure = failure }

        case .workflowEnded(let runID, _, _, _):
            // Tasks that never ended (an aborted run) would otherwise stay in the table forever.
            self.lastTries[runID] = nil
            self.others.append(event)

        case .workflowStarted, .block, .node, .fileCheck, .partialFailure:
            self.others.append(event)
        }
    }

    /// The index of `runID` in ``runIDs``; the previous event's run is checked first (a pointer compare
    /// when the caller passes the same string every time, as the kernel does).
    private mutating func run(_ runID: String) -> Int {
        if self.lastRun >= 0 && self.runIDs[self.lastRun] == runID {
            return self.lastRun
        }
        let index =
            self.runIDs.firstIndex(of: runID)
            ?? {
                self.runIDs.append(runID)
                return self.runIDs.count - 1
            }()
        self.lastRun = index
        return index
    }

    private mutating func noteTry(_ runID: String, taskID: Int, tryID: Int) {
        guard tryID > 0 else { return }
        self.lastTries[runID, default: [:]][taskID] = max(tryID, self.lastTries[runID]?[taskID] ?? 0)
    }

    /// The index in `tries` of the try's row, appending an empty row the first time.
    private mutating func `try`(run: Int, taskID: Int, tryID: Int) -> Int {
        let next = self.tries.count
        let row = self.index.row(run: run, taskID: taskID, tryID: tryID, orInsert: next)
        if row == next {
            self.tries.append(TryRow(run: run, taskID: taskID, tryID: tryID))
        }
        return row
    }
}
