import Foundation
import Testing

@testable import PDGTiling

/// `DecimalText` must give `strtod`'s double to the bit: the shapefile reader uses it for dBase reals.
struct DecimalTextTests {
    static func strtodValue(_ text: String) -> Double { strtod(text, nil) }

    static func ours(_ text: String) -> Double? {
        Array(text.utf8).withUnsafeBytes { DecimalText.double($0) }
    }

    static func compare(_ texts: [String]) -> [String] {
        var mismatches: [String] = []
        for text in texts {
            guard let value = ours(text) else {
                mismatches.append("\(text): not handled")
                continue
            }
            let expected = strtodValue(text)
            if value.bitPattern != expected.bitPattern { mismatches.append("\(text): \(value) ≠ strtod \(expected)") }
            if mismatches.count > 5 { break }
        }
        return mismatches
    }

    @Test func fieldsAsTheIWPTablesWriteThemMatchStrtod() {
        var random = PolarStereographicInverseTests.Generator(state: 11)
        var texts: [String] = []
        // `%24.15f` (the generated and IWP tables), shorter precisions, magnitudes from 1e-6 to 1e9, both signs.
        for index in 0..<600_000 {
            let magnitude = Foundation.pow(10, random.next() * 15 - 6)
            let value = (random.next() < 0.5 ? -1 : 1) * magnitude * random.next()
            let decimals = index % 3 == 0 ? 15 : Int(random.next() * 21)
            texts.append(String(format: "%.\(decimals)f", value))
        }
        #expect(Self.compare(texts).isEmpty, "\(Self.compare(texts))")
    }

    @Test func randomDigitStringsAndTiesMatchStrtod() {
        var random = PolarStereographicInverseTests.Generator(state: 12)
        var texts: [String] = []
        // Up to 38 digits with the point anywhere that leaves at most 21 decimals.
        for _ in 0..<300_000 {
            let length = 1 + Int(random.next() * 38)
            var digits = (0..<length).map { _ in Character(String(Int(random.next() * 10))) }
            let decimals = Int(random.next() * Double(min(21, length) + 1))
            if decimals > 0 { digits.insert(".", at: length - decimals) }
            texts.append((random.next() < 0.3 ? "-" : "") + String(digits))
        }
        // Exact ties: odd 54-bit integers over 2^j lie halfway between two doubles (the decimal has j digits).
        for _ in 0..<100_000 {
            let odd = (UInt64(1) << 53) | (UInt64(random.next() * Double(UInt64(1) << 52)) << 1) | 1
            let j = Int(random.next() * 12)
            var text = String(odd / (UInt64(1) << j))
            if j > 0 {
                let fraction = Double(odd % (UInt64(1) << j)) / Double(UInt64(1) << j)  // exact: few bits
                var decimals = String(format: "%.\(j)f", fraction)
                decimals.removeFirst()  // "0"
                text += decimals
            }
            texts.append(text)
            // and the integers around 2^53 … 2^64, ties among them
            texts.append(String(UInt64(random.next() * Double(UInt64.max / 2)) | (UInt64(1) << 53)))
        }
        texts += [
            "0", "-0", "-0.000", "0.5", ".5", "-.5", "5.", "0000123.4500", "9007199254740993", "18446744073709551615",
            "123456789012345678901234567890.12345678", "0.000000000000000000001",
        ]
        #expect(Self.compare(texts).isEmpty, "\(Self.compare(texts))")
    }

    @Test func otherFormsAreLeftToStrtod() {
        for text in [
            "", "-", ".", "1e5", "+1", " 1", "1 ", "1.2.3", "0x10", "nan", "inf", "1,5", String(repeating: "1", count: 39),
            "1." + String(repeating: "1", count: 22),
        ] {
            #expect(Self.ours(text) == nil, "\(text)")
        }
    }
}
