import Testing

@testable import DataflowMonitoring

/// ``RowIndex``: every key finds its own row whatever the pattern of task ids (consecutive ones share blocks;
/// strided ones must not pile up in one), across growth and cycles.
struct RowIndexTests {
    @Test(arguments: [1, 2, 16, 1_024, 65_536])
    func everyKeyFindsItsRow(stride: Int) {
        var index = RowIndex(capacity: 16)
        for cycle in 0..<2 {
            index.removeAll()
            var keys: [(run: Int, taskID: Int, tryID: Int)] = []
            for task in 0..<5_000 {
                keys.append((run: task % 3 == 0 ? 1 : 0, taskID: task * stride - 7 + cycle, tryID: task % 5 == 0 ? 1 : 0))
                if task % 7 == 0 { keys.append((run: 0, taskID: task * stride - 7 + cycle, tryID: -1)) }
            }
            for (row, key) in keys.enumerated() {
                #expect(index.row(run: key.run, taskID: key.taskID, tryID: key.tryID) == nil)
                #expect(index.row(run: key.run, taskID: key.taskID, tryID: key.tryID, orInsert: row) == row)
            }
            for (row, key) in keys.enumerated() {
                #expect(index.row(run: key.run, taskID: key.taskID, tryID: key.tryID) == row)
                #expect(index.row(run: key.run, taskID: key.taskID, tryID: key.tryID, orInsert: -5) == row)
            }
            #expect(index.row(run: 2, taskID: 0, tryID: 0) == nil)
        }
    }
}
