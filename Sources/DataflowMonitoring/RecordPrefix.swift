/// Which events of a cycle the writer writes now, so that every cycle writes a prefix of record order.
///
/// Why: a cycle takes the buffer's shards one after the other, so it may miss an event that was being
/// appended to a shard it had already taken while it takes a later-numbered event from a shard it took after
/// (a try's launch on one thread, its task's end on another). From the first missing number on, the cycle's
/// events are held back for the next cycle, which has the missing event; so a task's life is never cut in
/// two by the shards' timing, only by time. Everything recorded before a `flush()` was numbered before such
/// a gap (the gap's event was appended after the cycle started), so a flush still finds it committed.
/// The last cycle writes everything, and so does a cycle whose first gap a whole cycle did not fill (which
/// should not happen: numbers are taken inside the shard's lock, with the append).
/// The submissions of unfinished tasks that `WriteBatch.holdUnfinished()` keeps for the next cycle are not
/// held here: they are carried as rows, from the written prefix, so they precede every event of the next
/// cycle (the events held here included) and each task's order holds.
struct RecordPrefix {
    /// The number of the next event to write.
    private(set) var next: UInt64 = 0
    /// Whether this cycle met a gap: everything from it on is held back.
    private var holding = false
    /// Whether this is the last cycle.
    private var closing = false
    /// The missing number the previous cycle stopped at, if it held events back.
    private var previousGap: UInt64?

    /// Starts a cycle; `closing` (the last cycle) writes everything.
    mutating func startCycle(closing: Bool) {
        self.holding = false
        self.closing = closing
    }

    /// Whether the event numbered `sequence` (events are offered in number order) is written in this cycle;
    /// if not, it is held for the next one.
    mutating func admit(_ sequence: UInt64) -> Bool {
        if self.holding { return false }
        if sequence != self.next && !self.closing && self.previousGap != self.next {
            self.holding = true
            return false
        }
        self.next = sequence &+ 1
        return true
    }

    /// Ends a cycle: remembers where it stopped.
    mutating func endCycle() {
        self.previousGap = self.holding ? self.next : nil
    }
}
