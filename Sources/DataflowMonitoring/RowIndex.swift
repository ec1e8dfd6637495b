/// A map from a task or try (run slot, task id, try id) to its row in a ``WriteBatch``.
///
/// Why not `Dictionary`: the writer looks up every task event, and `Hasher` plus the dictionary's
/// bookkeeping were ~15% of its time. This is open addressing with a multiplicative hash over plain integers,
/// and ``removeAll()`` is O(1) (a generation counter), so the table is reused for every cycle without
/// clearing it.
///
/// A cycle's table has a slot for most of its tasks (hundreds of thousands: megabytes), so every lookup of a
/// randomly placed key was a cache miss (a fifth of the writer's time). Keys are hashed in blocks of 16
/// consecutive task ids, each to its own slot of one block: the kernel numbers tasks in order and records
/// them about in order, so neighbouring lookups share cache lines. Slots are 24 bytes for the same reason
/// (try ids and run slots are below 2^31, rows below 2^32).
struct RowIndex {
    private struct Slot {
        var taskID: Int
        var tryID: Int32
        var run: Int32
        var row: UInt32
        /// The slot is in use only if this equals the table's generation.
        var generation: UInt32
    }

    /// Task ids per block (a power of two).
    private static let blockBits = 4
    private var slots: [Slot]
    /// How far a 64-bit hash is shifted right to leave a block number.
    private var blockShift: Int
    private var generation: UInt32 = 1
    private var count = 0

    /// A table that holds `capacity` keys without growing.
    init(capacity: Int) {
        var bits = Self.blockBits + 1
        while (1 << bits) < 2 * max(1, capacity) { bits += 1 }
        self.slots = Array(repeating: Slot(taskID: 0, tryID: 0, run: 0, row: 0, generation: 0), count: 1 << bits)
        self.blockShift = 64 - (bits - Self.blockBits)
    }

    /// Forgets every key.
    mutating func removeAll() {
        self.count = 0
        self.generation &+= 1
        if self.generation == 0 {
            // Wrapped around: stale slots could look current, so clear them once in 4 billion cycles.
            for index in self.slots.indices { self.slots[index].generation = 0 }
            self.generation = 1
        }
    }

    /// The row stored for the key; if there is none, stores `newRow` and returns it.
    mutating func row(run: Int, taskID: Int, tryID: Int, orInsert newRow: Int) -> Int {
        if 2 * (self.count + 1) > self.slots.count { self.grow() }
        let run = Int32(truncatingIfNeeded: run)
        let tryID = Int32(truncatingIfNeeded: tryID)
        let (index, found) = self.probe(run: run, taskID: taskID, tryID: tryID)
        if let found { return found }
        self.slots[index] = Slot(
            taskID: taskID, tryID: tryID, run: run, row: UInt32(truncatingIfNeeded: newRow), generation: self.generation)
        self.count += 1
        return newRow
    }

    /// The row stored for the key, if any.
    func row(run: Int, taskID: Int, tryID: Int) -> Int? {
        self.probe(run: Int32(truncatingIfNeeded: run), taskID: taskID, tryID: Int32(truncatingIfNeeded: tryID)).row
    }

    /// The key's slot and its row, or the free slot where it would go (`row` nil).
    @inline(__always)
    private func probe(run: Int32, taskID: Int, tryID: Int32) -> (index: Int, row: Int?) {
        var index = self.home(run: run, taskID: taskID, tryID: tryID)
        let mask = self.slots.count - 1
        while true {
            let slot = self.slots[index]
            if slot.generation != self.generation { return (index, nil) }
            if slot.taskID == taskID && slot.tryID == tryID && slot.run == run { return (index, Int(slot.row)) }
            index = (index + 1) & mask
        }
    }

    /// The key's first slot: its block by a multiplicative hash, its place in the block by its low bits.
    @inline(__always)
    private func home(run: Int32, taskID: Int, tryID: Int32) -> Int {
        let block = (taskID >> Self.blockBits) &+ Int(tryID) &* 0x1F1F_1F1F &+ Int(run) &* 0x5851_F42D
        let mixed = UInt(bitPattern: block &* -7_046_029_254_386_353_131) >> UInt(self.blockShift)
        return Int(mixed) << Self.blockBits | (taskID & ((1 << Self.blockBits) - 1))
    }

    private mutating func grow() {
        let old = self.slots.filter { $0.generation == self.generation }
        self = RowIndex(capacity: self.slots.count)
        for slot in old {
            _ = self.row(run: Int(slot.run), taskID: slot.taskID, tryID: Int(slot.tryID), orInsert: Int(slot.row))
        }
    }
}
