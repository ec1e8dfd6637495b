import DataflowStorage
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Writes checkpoint records on a background thread with group commit: every record queued while the
/// previous batch was being made durable goes out in the next batch, so durability costs one fsync (or one
/// object) per batch, not per task. Each record's task is handed to the ``onDurable(_:)`` handler once its
/// batch is durable.
///
/// Two targets, by ``StorageKind``:
/// - ``Target/appendLog(path:moreComing:)`` (POSIX): one file `checkpoint/tasks.ckpt`, appended with one
///   `write` + `fdatasync` per batch. A record is durable when its batch is fsynced. While `moreComing` says
///   other tries are still executing, a batch smaller than ``GroupCommit/records`` waits up to
///   ``GroupCommit/delay`` for company (as PostgreSQL's `commit_delay`): an fsync costs the machine ~60 µs of
///   CPU, and at hundreds of thousands of tasks a second batches of ~25 records made fsyncs a tenth of a
///   checkpointed task's cost. A task nothing else runs beside (a sequential chain) is written at once.
/// - ``Target/segments(directory:interval:maxBytes:isStalled:)`` (object storage): records are held in memory
///   and published as closed, never-appended segment files `checkpoint/segment-NNNNNN.ckpt`, each written with
///   one create-write-close (`O_EXCL`: a name is written once). A segment is published when its first record
///   has waited `interval`, when it reaches `maxBytes`, on ``flush()``, at ``close()``, and at once when
///   `isStalled` says nothing else is running (the run is waiting for these records: publishing now costs
///   one small object, waiting would cost every dependent `interval`). A record is durable when its segment
///   is published (gcsfuse has uploaded it at `close()`), so a killed leader loses at most the records of the
///   last `interval`, and none whose task a dependent or the user saw complete.
///
///   Segments are compacted as the run goes: once ``Compaction/segments`` of them (or ``Compaction/bytes``)
///   are published, a helper thread writes their records, in order, as one object
///   `segment-FIRST-LAST.ckpt` and then deletes them. That name sorts just before `segment-FIRST.ckpt` and
///   after every earlier segment, so a reader that takes `segment-*.ckpt` in name order sees the records in
///   their order; one killed between the write and the deletes sees some records twice, which loading
///   tolerates (the same key, the same result). A 10-hour run thus leaves about one object per 256 segments
///   instead of one every 2 s, and the next run starts by reading tens of objects, not tens of thousands.
final class CheckpointWriter: @unchecked Sendable {
    /// Where batches go.
    enum Target: Sendable {
        /// Append and fsync one file (POSIX); `moreComing` says whether other records are on their way (see
        /// ``GroupCommit``).
        case appendLog(path: String, moreComing: @Sendable () -> Bool)
        /// Publish write-once segment files into `directory` (object storage).
        case segments(directory: String, interval: Duration, maxBytes: Int, isStalled: @Sendable () -> Bool)
    }

    /// How long a small batch of the append log waits for more records while others are on their way.
    struct GroupCommit: Sendable {
        /// The longest wait. Default 1 ms: short against any real task, long enough to gather hundreds of
        /// records from a busy executor.
        var delay: Duration = .milliseconds(1)
        /// A batch this big is written without waiting. Default 512.
        var records = 512
    }

    /// When published segments are merged into one object (segments only).
    struct Compaction: Sendable {
        /// Merge once this many segments are waiting. Default 256 (about 8 minutes at one segment per 2 s).
        var segments = 256
        /// Or once their records take this many bytes: the writer keeps them in memory until then. A segment
        /// bigger than this is left alone. Default 32 MiB.
        var bytes = 32 << 20
    }

    // @unchecked: all mutable state is guarded by `condition` (an NSCondition, which is a lock).
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    /// Records in `pending`.
    private var pendingRecords = 0
    /// Whether the writer is waiting for a small batch to grow (see ``GroupCommit``): an append that makes it
    /// big enough wakes it.
    private var lingering = false
    private let groupCommit: GroupCommit
    /// Tasks of the records in `pending`, for the durable handler.
    private var waiting: [TaskRecord] = []
    /// Storage of the previous batch, emptied, swapped in for the next: no regrowth per batch.
    private var sparePending: [UInt8] = []
    private var spareWaiting: [TaskRecord] = []
    /// Completes the tasks of a durable batch (set by the kernel; the writer is made before the kernel is).
    private var durableHandler: (@Sendable ([TaskRecord]) -> Void)?
    private var writtenBatches = 0
    private var stopping = false
    private var stopped = false
    private var flushRequests = 0
    private var flushedGeneration = 0
    private var writeError: String?
    /// Whether the writer thread is asleep in `wait()`: appends signal only then (a futex call per record
    /// would cost more than the record).
    private var writerWaiting = false
    private let fd: Int32
    private let target: Target
    /// When the oldest record of the segment being gathered was queued (segments only).
    private var segmentStarted: ContinuousClock.Instant?
    private var nextSegment = 1
    private let compaction: Compaction
    /// Published segments not compacted yet (numbers, in order) and their records (without the magic): touched
    /// by the writer thread only.
    private var uncompacted: [Int] = []
    private var uncompactedRecords: [UInt8] = []
    /// The compaction running on its helper thread, if any; guarded by `condition`.
    private var compacting = false
    let path: String

    init(target: Target, compaction: Compaction = Compaction(), groupCommit: GroupCommit = GroupCommit()) throws {
        self.target = target
        self.compaction = compaction
        self.groupCommit = groupCommit
        switch target {
        case .appendLog(let path, _):
            self.path = path
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            let existed = FileManager.default.fileExists(atPath: path)
            fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw DataflowError(.io, "cannot open checkpoint file \(path): \(String(cString: strerror(errno)))") }
            if !existed || lseek(fd, 0, SEEK_END) == 0 {
                pending.append(contentsOf: CheckpointFile.magic)
            }
        case .segments(let directory, _, _, _):
            self.path = directory
            fd = -1
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw DataflowError(.io, "cannot create checkpoint directory \(directory): \(error.localizedDescription)")
            }
        }
        let thread = Thread { [self] in loop() }
        thread.name = "checkpoint-writer"
        thread.start()
    }

    /// Sets what runs, on the writer thread, with the tasks of each batch once it is durable. Call before
    /// the first ``append(key:output:completing:)`` that names a task.
    func onDurable(_ handler: @escaping @Sendable ([TaskRecord]) -> Void) {
        condition.lock()
        durableHandler = handler
        condition.unlock()
    }

    /// Queues one record; `task` goes to the ``onDurable(_:)`` handler after the record is durable (or at
    /// once if writing failed, see ``error``). A closure per record cost an allocation per task.
    func append(key: MemoKey, output: [UInt8], completing task: TaskRecord?) {
        condition.lock()
        if pending.isEmpty, segmentStarted == nil, case .segments = target { segmentStarted = .now }
        CheckpointFile.encodeRecord(key: key, output: output, into: &pending)
        pendingRecords += 1
        if let task { waiting.append(task) }
        if writerWaiting || (lingering && pendingRecords == groupCommit.records) { condition.signal() }
        condition.unlock()
    }

    /// Blocks until everything queued so far is durable.
    func flush() {
        condition.lock()
        flushRequests += 1
        let target = flushRequests
        condition.broadcast()
        while flushedGeneration < target && !stopped { condition.wait() }
        condition.unlock()
    }

    /// Flushes and stops the thread.
    func close() {
        condition.lock()
        if stopping {
            condition.unlock()
            return
        }
        stopping = true
        condition.broadcast()
        while !stopped || compacting { condition.wait() }
        condition.unlock()
        if fd >= 0 { Glibc.close(fd) }
    }

    /// Blocks while a compaction runs (for tests: makes the merges deterministic).
    func waitForCompaction() {
        condition.lock()
        while compacting { condition.wait() }
        condition.unlock()
    }

    /// Batches of records written so far (each one fsync or one segment; the file's magic alone is not one).
    var batchesWritten: Int {
        condition.lock()
        defer { condition.unlock() }
        return writtenBatches
    }

    /// The first write error, if any: checkpointing stops being durable but the run goes on.
    var error: String? {
        condition.lock()
        defer { condition.unlock() }
        return writeError
    }

    /// Waits (lock held) until the gathered batch is due. Segments: old enough, big enough, flushed or
    /// stopping. Append log: big enough, or ``GroupCommit/delay`` passed, or nothing else is coming.
    private func waitUntilDue() {
        if case .appendLog(_, let moreComing) = target {
            guard pendingRecords > 0, pendingRecords < groupCommit.records, moreComing() else { return }
            let deadline = Date(timeIntervalSinceNow: Self.seconds(groupCommit.delay))
            lingering = true
            while pendingRecords < groupCommit.records, !stopping, flushedGeneration == flushRequests,
                condition.wait(until: deadline)
            {}
            lingering = false
            return
        }
        guard case .segments(_, let interval, let maxBytes, let isStalled) = target else { return }
        while !pending.isEmpty, !stopping, flushedGeneration == flushRequests, pending.count < maxBytes,
            let started = segmentStarted, ContinuousClock.now < started + interval, !isStalled()
        {
            let seconds = Self.seconds((started + interval) - ContinuousClock.now)
            // Look again every 20 ms: the run may stall without a new record to wake us.
            writerWaiting = true
            _ = condition.wait(until: Date(timeIntervalSinceNow: max(0.001, min(0.02, seconds))))
            writerWaiting = false
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    private func loop() {
        condition.lock()
        while true {
            while pending.isEmpty && waiting.isEmpty && flushedGeneration == flushRequests && !stopping {
                writerWaiting = true
                condition.wait()
                writerWaiting = false
            }
            waitUntilDue()
            var batch = sparePending
            var done = spareWaiting
            swap(&batch, &pending)
            swap(&done, &waiting)
            let handler = durableHandler
            let generation = flushRequests
            let records = pendingRecords
            pendingRecords = 0
            segmentStarted = nil
            let exiting = stopping
            condition.unlock()

            if !batch.isEmpty {
                switch target {
                case .appendLog: writeAll(batch)
                case .segments(let directory, _, _, _): publishSegment(batch, in: directory)
                }
            }

            condition.lock()
            if records > 0 { writtenBatches += 1 }
            flushedGeneration = generation
            condition.broadcast()
            condition.unlock()
            if !done.isEmpty, let handler { handler(done) }
            batch.removeAll(keepingCapacity: true)
            done.removeAll(keepingCapacity: true)
            condition.lock()
            sparePending = batch
            spareWaiting = done
            if exiting && pending.isEmpty && waiting.isEmpty {
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
        }
    }

    /// One segment: magic plus the batch's records, one create-write-close under a name never used before.
    /// A failed upload (gcsfuse reports it at `close()`) is tried again under the next name; after three
    /// failures the error is kept and the batch's tasks complete anyway, as with a failed fsync.
    private func publishSegment(_ batch: [UInt8], in directory: String) {
        var bytes = CheckpointFile.magic
        bytes.append(contentsOf: batch)
        var failure: String?
        for attempt in 0..<3 {
            let number = nextSegment
            let name = Self.segmentPath(directory, number)
            nextSegment += 1
            do {
                try FilePublisher().create(bytes, at: name)
                noteForCompaction(number, records: batch, in: directory)
                return
            } catch {
                failure = "\(error)"
                if attempt < 2 { Thread.sleep(forTimeInterval: 0.5) }
            }
        }
        condition.lock()
        if writeError == nil { writeError = failure }
        condition.unlock()
    }

    static func segmentPath(_ directory: String, _ number: Int) -> String {
        "\(directory)/segment-\(String(format: "%06d", number)).ckpt"
    }

    /// Keeps a published segment's records for the next compaction, and starts one when enough are waiting and
    /// none is running. Writer thread only.
    private func noteForCompaction(_ number: Int, records: [UInt8], in directory: String) {
        let fits = records.count <= compaction.bytes
        if !fits || uncompactedRecords.count + records.count > compaction.bytes {
            startCompaction(in: directory)
            // A merged range must hold every segment between its ends. What could not be handed over (a
            // compaction is still running) stays as separate segments, and so does a segment too big to keep.
            if !fits || uncompactedRecords.count + records.count > compaction.bytes {
                uncompacted = []
                uncompactedRecords = []
            }
            guard fits else { return }
        }
        uncompacted.append(number)
        uncompactedRecords.append(contentsOf: records)
        if uncompacted.count >= compaction.segments { startCompaction(in: directory) }
    }

    private func startCompaction(in directory: String) {
        guard uncompacted.count >= 2, let first = uncompacted.first, let last = uncompacted.last else { return }
        condition.lock()
        let busy = compacting
        compacting = true
        condition.unlock()
        // One at a time; the next try merges what gathered meanwhile too (up to the byte bound).
        guard !busy else { return }
        let numbers = uncompacted
        let bytes = CheckpointFile.magic + uncompactedRecords
        uncompacted = []
        uncompactedRecords = []
        // Deleting hundreds of objects takes seconds on a bucket: not on the thread that makes tasks durable.
        let thread = Thread { [self] in
            let name = "\(directory)/segment-\(String(format: "%06d", first))-\(String(format: "%06d", last)).ckpt"
            // Without the merged object the segments stay: they hold the same records.
            if (try? FilePublisher().create(bytes, at: name)) != nil {
                for number in numbers { unlink(Self.segmentPath(directory, number)) }
            }
            condition.lock()
            compacting = false
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "checkpoint-compaction"
        thread.start()
    }

    private func writeAll(_ bytes: [UInt8]) {
        var failure = bytes.withUnsafeBytes { FilePublisher.writeAll(fd, $0) }.map { "write to \(path) failed: \($0)" }
        if failure == nil, fdatasync(fd) != 0 { failure = "fsync of \(path) failed: \(String(cString: strerror(errno)))" }
        if let failure {
            condition.lock()
            if writeError == nil { writeError = failure }
            condition.unlock()
        }
    }
}
