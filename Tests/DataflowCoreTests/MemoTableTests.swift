import Testing

@testable import DataflowCore

/// The sharded memo table keeps every output under its key, whatever shard the key falls in.
struct MemoTableTests {
    static func key(_ n: Int) -> MemoKey { MemoKey(app: "app", input: [UInt8(truncatingIfNeeded: n), UInt8(n >> 8)]) }

    @Test func outputsAreFoundUnderTheirKeysAcrossShards() {
        let table = MemoTable([Self.key(0): [1, 2]])
        #expect(table[Self.key(0)] == [1, 2])
        for n in stride(from: 2, to: 5_000, by: 2) { table.store([UInt8(truncatingIfNeeded: n), 1], for: Self.key(n)) }
        table.store([7], for: Self.key(0))
        #expect(table.count == 2_500)
        for n in 0..<5_000 {
            #expect(table[Self.key(n)] == (n == 0 ? [7] : n % 2 == 0 ? [UInt8(truncatingIfNeeded: n), 1] : nil))
        }
    }
}
