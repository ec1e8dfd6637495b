/// Reproducible `staging_identifier` values and input keys.
///
/// pdgstaging uses random UUID4s; here the identifier is derived from (filename, feature id, part), formatted
/// as an RFC 9562 version-8 ("custom") UUID, so re-runs and re-batching give identical files.
enum StableIdentifier {
    /// 64-bit FNV-1a of the bytes, with a seed.
    static func fnv1a(_ text: String, seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var hash = seed
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// The identifier of part `part` of feature `fid` of input `filename`.
    static func polygonIdentifier(filename: String, fid: Int64, part: Int) -> String {
        polygonIdentifier(prefix: Prefix(filename: filename), fid: fid, part: part)
    }

    /// The two hash states after the filename, computed once per input (hot path).
    struct Prefix {
        var high: UInt64
        var low: UInt64

        init(filename: String) {
            high = StableIdentifier.fnv1a(filename)
            low = StableIdentifier.fnv1a(filename, seed: 0x9e37_79b9_7f4a_7c15)
        }
    }

    /// Hot-path variant of ``polygonIdentifier(filename:fid:part:)``.
    static func polygonIdentifier(prefix: Prefix, fid: Int64, part: Int) -> String {
        var high = prefix.high
        var low = prefix.low
        for value in [UInt64(bitPattern: fid), UInt64(part)] {
            for shift in stride(from: 0, to: 64, by: 8) {
                let byte = (value >> UInt64(shift)) & 0xff
                high = (high ^ byte) &* 0x0000_0100_0000_01b3
                low = (low ^ byte) &* 0x0000_0100_0000_01b3
            }
        }
        high = (high & ~0x0000_0000_0000_f000) | 0x0000_0000_0000_8000  // version 8
        low = (low & ~0xc000_0000_0000_0000) | 0x8000_0000_0000_0000  // RFC variant
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var bytes = [UInt8](repeating: UInt8(ascii: "-"), count: 36)
        // 8-4-4 from the high word, 4-12 from the low word.
        let highPositions = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17]
        let lowPositions = [19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35]
        for index in 0..<16 {
            bytes[highPositions[index]] = digits[Int((high >> UInt64(60 - 4 * index)) & 0xf)]
            bytes[lowPositions[index]] = digits[Int((low >> UInt64(60 - 4 * index)) & 0xf)]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The shard file key of an input: 16 hex digits of the filename's hash.
    static func inputKey(filename: String) -> String {
        hex(fnv1a(filename), digits: 16)
    }

    static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
