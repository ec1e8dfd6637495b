import Testing

@testable import DataflowCore

/// The sharded memo table: a lookup that misses reserves the key, and a reserved key is no result.
struct MemoTableTests {
    static func key(_ n: Int) -> MemoKey { MemoKey(app: "app", input: [UInt8(truncatingIfNeeded: n), UInt8(n >> 8)]) }

    @Test func aMissReservesTheKeyWithoutMakingItAResult() {
        let table = MemoTable([Self.key(0): [1, 2]])
        #expect(table.lookupOrReserve(Self.key(0)) == [1, 2])
        #expect(table.lookupOrReserve(Self.key(1)) == nil)
        // Reserved, still no result: for a lookup, for another miss and in the count.
        #expect(table[Self.key(1)] == nil)
        #expect(table.lookupOrReserve(Self.key(1)) == nil)
        #expect(table.count == 1)
        table.store([9], for: Self.key(1))
        #expect(table[Self.key(1)] == [9])
        #expect(table.lookupOrReserve(Self.key(1)) == [9])
        #expect(table.count == 2)
    }

    @Test func manyKeysAcrossShards() {
        let table = MemoTable()
        for n in 0..<5_000 { #expect(table.lookupOrReserve(Self.key(n)) == nil) }
        for n in stride(from: 0, to: 5_000, by: 2) { table.store([UInt8(truncatingIfNeeded: n), 1], for: Self.key(n)) }
        #expect(table.count == 2_500)
        for n in 0..<5_000 {
            #expect(table[Self.key(n)] == (n % 2 == 0 ? [UInt8(truncatingIfNeeded: n), 1] : nil))
        }
    }
}
