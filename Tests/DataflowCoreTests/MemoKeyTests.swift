import DataflowCore
import Testing

/// The memo key is SHA-256 of the app name, a zero byte and the encoded input: checkpoints written by
/// earlier versions are found only if the digest never changes, however it is computed.
struct MemoKeyTests {
    @Test func keysAreTheSHA256OfNameZeroAndInput() {
        // Known answers from an independent SHA-256 (Python's hashlib) over the same bytes.
        #expect(
            MemoKey(app: "noop", input: [1, 2, 3, 250]).description
                == "16b4e860d7aa0fec7d8004a0b1e1bfe04661addf695cf8bd5de79d02b6603b30")
        #expect(
            MemoKey(app: "", input: []).description == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
        let long = Array((0..<40).map { _ in (0...255).map { UInt8($0) } }.joined())
        #expect(
            MemoKey(app: "stage", input: long).description
                == "b36de08400fb64d3569376b41d1f6c25dff8dffb56b54af8b9719584b3de022b")
    }

    @Test func keysRoundTripThroughTheirBytesAndWorkAsDictionaryKeys() {
        var table: [MemoKey: Int] = [:]
        for value in 0..<5_000 {
            table[MemoKey(app: "noop", input: [UInt8(value & 0xFF), UInt8(value >> 8)])] = value
        }
        #expect(table.count == 5_000)
        for value in stride(from: 0, to: 5_000, by: 97) {
            let key = MemoKey(app: "noop", input: [UInt8(value & 0xFF), UInt8(value >> 8)])
            #expect(table[key] == value)
            #expect(MemoKey(bytes: key.bytes) == key)
            #expect(Set([key, MemoKey(bytes: key.bytes)!]).count == 1)
        }
        // The name and the input are separated: moving a byte from one to the other is another key.
        #expect(MemoKey(app: "ab", input: [0x63]) != MemoKey(app: "abc", input: []))
        #expect(table[MemoKey(app: "other", input: [0, 0])] == nil)
    }
}
