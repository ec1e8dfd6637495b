import Foundation
import Testing

@testable import DataflowApps

struct CompactCodingTests {
    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case polygon([[Double]])
        case empty
    }

    struct Sample: Codable, Equatable {
        var id: Int
        var name: String
        var tags: [String]
        var weights: [String: Double]
        var shape: Shape
        var optional: Int?
        var missing: String?
        var nested: [Sample]
        var bytes: [UInt8]
        var data: Data
        var small: Int8
        var big: UInt64
        var flag: Bool
        var float: Float
    }

    func sample(depth: Int = 1) -> Sample {
        Sample(
            id: -42,
            name: "tile 13/1419/909 ✓",
            tags: ["a", "", "ü"],
            weights: ["x": 1.5, "y": -0.0, "z": .infinity],
            shape: .polygon([[0, 0], [1, 0], [1, 1]]),
            optional: 7,
            missing: nil,
            nested: depth > 0 ? [sample(depth: depth - 1)] : [],
            bytes: [0, 1, 255],
            data: Data([9, 8, 7]),
            small: -128,
            big: .max,
            flag: true,
            float: 0.1
        )
    }

    @Test func roundTripsNestedStructsEnumsOptionalsAndBytes() throws {
        let value = sample(depth: 2)
        let bytes = try CompactEncoder().encode(value)
        #expect(try CompactDecoder().decode(Sample.self, from: bytes) == value)
    }

    @Test(arguments: [0, 1, -1, Int.max, Int.min, 127, 128, -129])
    func roundTripsIntegerExtremes(_ n: Int) throws {
        #expect(try CompactDecoder().decode(Int.self, from: CompactEncoder().encode(n)) == n)
    }

    @Test func encodingIsIndependentOfDictionaryOrder() throws {
        var a: [String: Int] = [:]
        var b: [String: Int] = [:]
        for i in 0..<200 { a["k\(i)"] = i }
        for i in (0..<200).reversed() { b["k\(i)"] = i }
        #expect(try CompactEncoder().encode(a) == CompactEncoder().encode(b))
    }

    @Test func byteArraysAreStoredRawNotPerElement() throws {
        let payload = [UInt8](repeating: 200, count: 100_000)
        let encoded = try CompactEncoder().encode(payload)
        #expect(encoded.count < 100_010)
        #expect(try CompactDecoder().decode([UInt8].self, from: encoded) == payload)
    }

    @Test func typeMismatchIsADecodingErrorWithThePath() throws {
        let bytes = try CompactEncoder().encode(["id": "not a number"])
        #expect(throws: DecodingError.self) { try CompactDecoder().decode(Sample.self, from: bytes) }
    }

    @Test func truncatedAndGarbageBytesAreRejectedWithoutCrashing() throws {
        let good = try CompactEncoder().encode(sample())
        for cut in stride(from: 0, to: good.count, by: 7) {
            #expect(throws: (any Error).self) { try CompactDecoder().decode(Sample.self, from: Array(good[0..<cut])) }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var mutated = good
            for _ in 0..<3 { mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            _ = try? CompactDecoder().decode(Sample.self, from: mutated)
            let random = (0..<Int.random(in: 0..<64)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? CompactDecoder().decode(Sample.self, from: random)
        }
        // A length prefix claiming more bytes than exist is refused before allocating.
        #expect(throws: AppError.self) { try CompactDecoder().decode([UInt8].self, from: [7, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) }
    }
}
