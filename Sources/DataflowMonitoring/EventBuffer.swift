import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The hand-off between recording threads and the writer thread.
///
/// Producers append to one of a few shards, chosen by thread, each a `Mutex` around an array: with one
/// shared array the threads of a run (submitting, executing, checkpointing) spent ~15% of the process's CPU
/// spinning on its lock. Every event takes a number from one atomic counter inside its shard's lock, so
/// each shard is in number order, and an event recorded after another one's `append` returned has a higher
/// number; the writer merges the shards back into that order (see ``Merge``).
///
/// The writer empties every shard at the start of a *cycle*, swapping arrays so it never holds a shard's
/// lock while talking to SQLite. ``flush()`` waits for a cycle that started after it asked, which therefore
/// took everything recorded before. Coordination (close, flush requests, cycles, errors) is in `control`,
/// a `Mutex` producers take only to wait. Two condition variables carry the wake-ups a `Mutex` cannot:
/// `wake` (producers → writer: "batch full" or "flush now") and `progress` (writer → waiters: "cycle
/// started" or "cycle committed"). To avoid lost wake-ups, a waiter re-reads the state while holding the
/// condition's lock, and a signaller changes the state first and then signals while holding the same
/// condition's lock. Nobody takes a condition lock while holding a mutex: the lock order is condition →
/// mutex.
final class EventBuffer: Sendable {
    /// An event and its place in record order.
    struct Entry {
        var sequence: UInt64
        var event: MonitoringEvent
    }

    /// One producer-side array and its lock.
    final class Shard: Sendable {
        let entries = Mutex<[Entry]>([])
        /// Keeps the next shard's lock off this one's cache line.
        private let padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    struct Control: ~Copyable {
        var flushRequested = false
        /// Set by `close()`: recording is ignored from then on and the writer drains and exits.
        var closed = false
        /// Cycles the writer has started, and the last one it has finished (committed or dropped).
        var cyclesStarted: UInt64 = 0
        var cyclesFinished: UInt64 = 0
        var writerFinished = false
        var droppedEvents: UInt64 = 0
        var lastError: MonitoringError?
        /// CPU time of the writer thread, set when it finishes.
        var writerCPUSeconds: Double?
    }

    /// Shards; a power of two. More than the threads that usually record at once (a submitter, the
    /// executor's threads, the checkpoint writer), so two of them rarely share one.
    static let shardCount = 8

    let shards: [Shard]
    let control = Mutex(Control())
    /// `control.closed`, readable without the lock: producers check it first.
    private let closedFlag = Atomic<Bool>(false)
    /// The next event's number: also how many events were ever appended.
    private let nextSequence = Atomic<UInt64>(0)
    /// Events the writer has taken out of the shards; `nextSequence - taken` is about what is buffered.
    private let taken = Atomic<UInt64>(0)
    let wake = NSCondition()
    let progress = NSCondition()
    /// Producers block (backpressure) once about this many events are waiting.
    let capacity: Int
    /// Buffered events at which a producer wakes the writer early.
    let wakeThreshold: Int

    init(capacity: Int, wakeThreshold: Int) {
        self.capacity = max(1, capacity)
        self.wakeThreshold = max(1, min(wakeThreshold, self.capacity))
        self.shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// About how many events wait in the shards.
    var buffered: Int {
        Int(truncatingIfNeeded: self.nextSequence.load(ordering: .relaxed) &- self.taken.load(ordering: .relaxed))
    }

    /// The calling thread's shard: its `pthread_t` (the address of its control block), hashed.
    @inline(__always)
    private func shardForCurrentThread() -> Shard {
        let thread = UInt64(UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))))
        let bits = Self.shardCount.trailingZeroBitCount
        return self.shards[Int(truncatingIfNeeded: (thread &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bits))]
    }

    /// Appends an event; blocks only while the buffer is at capacity. Ignored once the buffer is closed.
    @inline(__always)
    func append(_ event: MonitoringEvent) {
        if self.closedFlag.load(ordering: .relaxed) { return }
        if self.buffered >= self.capacity { self.waitForRoom() }
        let shard = self.shardForCurrentThread()
        let sequence = shard.entries.withLock { entries in
            // Numbered inside the lock: each shard's array stays in number order.
            let sequence = self.nextSequence.wrappingAdd(1, ordering: .relaxed).oldValue
            entries.append(Entry(sequence: sequence, event: event))
            return sequence
        }
        // Signal only on the crossing; a busy writer re-checks the length before it sleeps.
        if Int(truncatingIfNeeded: sequence &+ 1 &- self.taken.load(ordering: .relaxed)) == self.wakeThreshold {
            self.signalWriter()
        }
    }

    /// Backpressure: waits until the writer has started a cycle since the buffer was full (or it closed).
    private func waitForRoom() {
        while self.buffered >= self.capacity {
            let cycles = self.control.withLock { $0.cyclesStarted }
            guard self.buffered >= self.capacity else { return }
            self.signalWriter()
            self.waitForProgress { $0.cyclesStarted != cycles || $0.closed }
            if self.closedFlag.load(ordering: .relaxed) { return }
        }
    }

    // MARK: Writer side

    /// Starts a cycle: swaps every shard's array with the (empty) one in `batches` and says whether the buffer
    /// was closed before the swaps (then this is the last cycle: nothing recorded later is taken) and whether
    /// a `flush()` waits for this cycle (then it must write everything it took).
    func takeAll(into batches: inout [[Entry]]) -> (cycle: UInt64, closing: Bool, flushing: Bool) {
        let (cycle, closing, flushing) = self.control.withLock { control in
            defer { control.flushRequested = false }
            control.cyclesStarted &+= 1
            return (control.cyclesStarted, control.closed, control.flushRequested)
        }
        var count = 0
        for index in self.shards.indices {
            self.shards[index].entries.withLock { swap(&$0, &batches[index]) }
            count += batches[index].count
        }
        self.taken.wrappingAdd(UInt64(count), ordering: .relaxed)
        self.broadcastProgress()  // backpressured producers may append again
        return (cycle, closing, flushing)
    }

    /// Ends a cycle: everything it took is committed (or dropped and counted).
    func finishCycle(_ cycle: UInt64) {
        self.control.withLock { $0.cyclesFinished = cycle }
        self.broadcastProgress()  // flush() waiters
    }

    /// Sleeps until about `wakeThreshold` events wait, a flush or close is requested, or `deadline` passes.
    func waitForWork(until deadline: Date) {
        self.wake.lock()
        while self.buffered < self.wakeThreshold && !self.control.withLock({ $0.closed || $0.flushRequested }) {
            if !self.wake.wait(until: deadline) { break }
        }
        self.wake.unlock()
    }

    /// Records that the writer thread has exited.
    func writerDidFinish() {
        self.control.withLock { $0.writerFinished = true }
        self.broadcastProgress()
    }

    // MARK: Flush and close

    /// Blocks until everything appended before the call is committed (or dropped after an error).
    func flush() {
        let ticket = self.control.withLock { control -> UInt64? in
            if control.writerFinished { return nil }
            control.flushRequested = true
            return control.cyclesStarted
        }
        guard let ticket else { return }
        self.signalWriter()
        // The cycle after `ticket` started after the request, so it took every earlier event.
        self.waitForProgress { $0.cyclesFinished > ticket || $0.writerFinished }
    }

    /// Stops recording, lets the writer drain what was recorded and waits until it has exited.
    func close() {
        self.closedFlag.store(true, ordering: .relaxed)
        let first = self.control.withLock { control in
            defer { control.closed = true }
            return !control.closed
        }
        if first {
            self.signalWriter()
        }
        self.waitForProgress { $0.writerFinished }
    }

    // MARK: Wake-ups

    /// Wakes the writer thread if it is sleeping.
    func signalWriter() {
        self.wake.lock()
        self.wake.signal()
        self.wake.unlock()
    }

    /// Wakes every thread waiting for the writer (flush, backpressure, close).
    func broadcastProgress() {
        self.progress.lock()
        self.progress.broadcast()
        self.progress.unlock()
    }

    /// Blocks until `done` holds; `done` is evaluated under the control mutex.
    func waitForProgress(until done: (borrowing Control) -> Bool) {
        self.progress.lock()
        while !self.control.withLock({ done($0) }) {
            self.progress.wait()
        }
        self.progress.unlock()
    }
}

extension EventBuffer {
    /// Reads one cycle's shards back in record order: the entry with the lowest number first.
    ///
    /// Numbers are dense, so the next entry is nearly always the one numbered one more than the last, and
    /// usually in the same shard as the last (one thread records a stretch of events): that shard is looked
    /// at first, and only a miss scans the heads of all shards.
    struct Merge {
        private var cursors: [Int]
        private var current = 0
        private var expected: UInt64?

        init(shards: Int) {
            self.cursors = Array(repeating: 0, count: shards)
        }

        /// The shard and index of the next entry, or nil when every shard is read.
        mutating func next(in batches: borrowing [[Entry]]) -> (shard: Int, index: Int)? {
            let position = self.cursors[self.current]
            if let expected = self.expected, position < batches[self.current].count,
                batches[self.current][position].sequence == expected
            {
                self.cursors[self.current] = position + 1
                self.expected = expected &+ 1
                return (self.current, position)
            }
            var best = -1
            var bestSequence = UInt64.max
            for shard in batches.indices where self.cursors[shard] < batches[shard].count {
                let sequence = batches[shard][self.cursors[shard]].sequence
                if sequence < bestSequence {
                    bestSequence = sequence
                    best = shard
                }
            }
            guard best >= 0 else { return nil }
            let index = self.cursors[best]
            self.cursors[best] = index + 1
            self.current = best
            self.expected = bestSequence &+ 1
            return (best, index)
        }

        /// Starts over for the next cycle.
        mutating func reset() {
            for index in self.cursors.indices { self.cursors[index] = 0 }
            self.current = 0
            self.expected = nil
        }
    }
}
