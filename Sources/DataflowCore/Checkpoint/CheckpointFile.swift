import Foundation

/// The on-disk format of checkpoints: an append-only log of (memo key, encoded output) records.
///
/// Layout: the 8-byte magic `VZCKPT01`, then records of `[payload length: UInt32 LE][checksum: UInt64 LE]
/// [payload]`, where the payload is the 32-byte ``MemoKey`` followed by the compact-encoded output and the
/// checksum is FNV-1a 64 of the payload. A record is only ever appended whole and then fsynced, so a
/// `kill -9` can leave at most one torn record at the end; reading stops there, and earlier records are
/// never touched.
enum CheckpointFile {
    static let magic: [UInt8] = Array("VZCKPT01".utf8)
    static let recordHeaderSize = 12
    /// A record larger than this is treated as corruption, not allocated.
    static let maxPayload = 1 << 30

    static func encodeRecord(key: MemoKey, output: [UInt8], into out: inout [UInt8]) {
        let payloadCount = 32 + output.count
        var length = UInt32(payloadCount).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        let checksumIndex = out.count
        out.append(contentsOf: repeatElement(0, count: 8))
        let payloadStart = out.count
        key.append(to: &out)
        out.append(contentsOf: output)
        var checksum = FNV1a64()
        checksum.update(out[payloadStart...])
        var sum = checksum.value.littleEndian
        withUnsafeBytes(of: &sum) { raw in
            for i in 0..<8 { out[checksumIndex + i] = raw[i] }
        }
    }

    /// What reading one checkpoint file found.
    struct ReadResult {
        var entries: [(MemoKey, [UInt8])] = []
        /// Bytes after the last whole record (a torn write), if any.
        var tornBytes = 0
    }

    static func read(path: String) throws -> ReadResult {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataflowError(.io, "cannot read checkpoint file \(path)")
        }
        var result = ReadResult()
        let bytes = [UInt8](data)
        guard bytes.count >= magic.count else {
            result.tornBytes = bytes.count
            return result
        }
        guard Array(bytes[0..<magic.count]) == magic else {
            throw DataflowError(.io, "\(path) is not a checkpoint file (bad magic)")
        }
        var offset = magic.count
        while offset < bytes.count {
            guard bytes.count - offset >= recordHeaderSize else { break }
            let length = Int(readLE(bytes, offset, 4))
            let checksum = readLE(bytes, offset + 4, 8)
            let start = offset + recordHeaderSize
            guard length >= 32, length <= maxPayload, bytes.count - start >= length else { break }
            var fnv = FNV1a64()
            fnv.update(bytes[start..<(start + length)])
            guard fnv.value == checksum else { break }
            let key = MemoKey(bytes: bytes[start..<(start + 32)])!
            result.entries.append((key, Array(bytes[(start + 32)..<(start + length)])))
            offset = start + length
        }
        result.tornBytes = bytes.count - offset
        return result
    }

    private static func readLE(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in (0..<count).reversed() { v = (v << 8) | UInt64(bytes[offset + i]) }
        return v
    }
}

/// FNV-1a, 64-bit: a cheap checksum that detects torn and garbled records.
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func update(_ bytes: some Sequence<UInt8>) {
        var v = value
        for byte in bytes {
            v ^= UInt64(byte)
            v = v &* 0x100_0000_01b3
        }
        value = v
    }
}
