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
        let key = "\(filename)\u{0}\(fid)\u{0}\(part)"
        var high = fnv1a(key)
        var low = fnv1a(key, seed: 0x9e37_79b9_7f4a_7c15)
        high = (high & ~0x0000_0000_0000_f000) | 0x0000_0000_0000_8000  // version 8
        low = (low & ~0xc000_0000_0000_0000) | 0x8000_0000_0000_0000  // RFC variant
        let h = hex(high, digits: 16)
        let l = hex(low, digits: 16)
        let hChars = Array(h)
        let lChars = Array(l)
        return String(hChars[0..<8]) + "-" + String(hChars[8..<12]) + "-" + String(hChars[12..<16]) + "-"
            + String(lChars[0..<4]) + "-" + String(lChars[4..<16])
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
