/// A map from a task or try (run slot, task id, try id) to its row in a ``WriteBatch``.
///
/// Why not `Dictionary`: the writer looks up every task event, and `Hasher` plus the dictionary's
/// bookkeeping were ~15% of its time. This is open addressing with a multiplicative hash over plain integers,
/// and ``removeAll()`` is O(1) (a generation counter), so the table is reused for every cycle without
/// clearing it.
struct RowIndex {
    private struct Slot {
        var run: Int
        var taskID: Int
        var tryID: Int
        var row: Int
        /// The slot is in use only if this equals the table's generation.
        var generation: UInt32
    }

    private var slots: [Slot]
    private var shift: Int
    private var generation: UInt32 = 1
    private var count = 0

    /// A table that holds `capacity` keys without growing.
    init(capacity: Int) {
        var bits = 4
        while (1 << bits) < 2 * max(1, capacity) { bits += 1 }
        self.slots = Array(repeating: Slot(run: 0, taskID: 0, tryID: 0, row: 0, generation: 0), count: 1 << bits)
        self.shift = 64 - bits
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
        var index = Int(UInt(bitPattern: Self.hash(run: run, taskID: taskID, tryID: tryID)) >> UInt(self.shift))
        let mask = self.slots.count - 1
        while true {
            let slot = self.slots[index]
            if slot.generation != self.generation {
                self.slots[index] = Slot(run: run, taskID: taskID, tryID: tryID, row: newRow, generation: self.generation)
                self.count += 1
                return newRow
            }
            if slot.taskID == taskID && slot.tryID == tryID && slot.run == run {
                return slot.row
            }
            index = (index + 1) & mask
        }
    }

    /// The row stored for the key, if any.
    func row(run: Int, taskID: Int, tryID: Int) -> Int? {
        var index = Int(UInt(bitPattern: Self.hash(run: run, taskID: taskID, tryID: tryID)) >> UInt(self.shift))
        let mask = self.slots.count - 1
        while true {
            let slot = self.slots[index]
            if slot.generation != self.generation { return nil }
            if slot.taskID == taskID && slot.tryID == tryID && slot.run == run { return slot.row }
            index = (index + 1) & mask
        }
    }

    @inline(__always)
    private static func hash(run: Int, taskID: Int, tryID: Int) -> Int {
        (taskID &+ tryID &* 0x1F1F_1F1F &+ run &* 0x5851_F42D) &* -7_046_029_254_386_353_131
    }

    private mutating func grow() {
        let old = self.slots.filter { $0.generation == self.generation }
        self = RowIndex(capacity: self.slots.count)
        for slot in old {
            _ = self.row(run: slot.run, taskID: slot.taskID, tryID: slot.tryID, orInsert: slot.row)
        }
    }
}
