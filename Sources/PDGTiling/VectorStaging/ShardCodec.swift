import Foundation

/// The binary format of staging shards (`<dir_staged>/.shards/<tile>/<input key>.shard`).
///
/// Layout, little-endian: magic `PDGSHRD1`, `u32` header length, JSON ``ShardHeader``, then records until the end
/// of the file. A record is `u32` byte length of the rest of the record (so readers can stream), then: `u64` sequence; per field a tag byte (0 null, 1 integer `i64`, 2 real `f64`, 3 string
/// `u32` length + UTF-8); `f64` area, centroid x, centroid y; 16-byte identifier text length-prefixed as a
/// string; `i32` centroid tile x, y; `u8` duplicated (0 none, 1 false, 2 true); `u32` ring count, then per ring
/// `u32` point count and the interleaved `f64` coordinates.
///
/// The format is private to staging: shards are written by one task and read by the merge of one tile.
enum ShardCodec {
    static let magic = Array("PDGSHRD1".utf8)
    static let version = 2

    static func encodeHeader(_ header: ShardHeader) -> [UInt8] {
        var bytes = magic
        // Sorted keys: the same header gives the same bytes, so a re-staging that changes nothing keeps the file.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a plain struct of strings and integers cannot fail.
        let json = try! encoder.encode(header)
        append(UInt32(json.count), to: &bytes)
        bytes.append(contentsOf: json)
        return bytes
    }

    @inline(__always)
    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    static func append(_ value: Double, to bytes: inout [UInt8]) {
        append(value.bitPattern, to: &bytes)
    }

    static func append(_ text: String, to bytes: inout [UInt8]) {
        let utf8 = text.utf8
        append(UInt32(utf8.count), to: &bytes)
        bytes.append(contentsOf: utf8)
    }

    static func encode(_ row: StagedRow, to bytes: inout [UInt8]) {
        let lengthOffset = bytes.count
        append(UInt32(0), to: &bytes)
        append(row.sequence, to: &bytes)
        for value in row.values {
            switch value {
            case .null: bytes.append(0)
            case .integer(let number):
                bytes.append(1)
                append(number, to: &bytes)
            case .real(let number):
                bytes.append(2)
                append(number, to: &bytes)
            case .string(let text):
                bytes.append(3)
                append(text, to: &bytes)
            }
        }
        append(row.area, to: &bytes)
        append(row.centroidX, to: &bytes)
        append(row.centroidY, to: &bytes)
        append(row.identifier, to: &bytes)
        append(Int32(row.centroidTile.x), to: &bytes)
        append(Int32(row.centroidTile.y), to: &bytes)
        bytes.append(row.duplicated.map { $0 ? 2 : 1 } ?? 0)
        append(UInt32(row.polygon.rings.count), to: &bytes)
        for ring in row.polygon.rings {
            append(UInt32(ring.count / 2), to: &bytes)
            ring.withUnsafeBytes { raw in
                // Doubles are stored in host order; every supported platform is little-endian.
                bytes.append(contentsOf: raw)
            }
        }
        let length = UInt32(bytes.count - lengthOffset - 4).littleEndian
        withUnsafeBytes(of: length) { raw in
            for index in 0..<4 { bytes[lengthOffset + index] = raw[index] }
        }
    }

    /// Reads a whole shard file (deduplication needs the whole tile in memory anyway).
    static func read(path: String) throws(TilingError) -> (header: ShardHeader, rows: [StagedRow]) {
        let stream = try ShardStream(path: path)
        var rows: [StagedRow] = []
        while let row = try stream.next() {
            rows.append(row)
        }
        return (stream.header, rows)
    }
}

/// A cursor over shard bytes.
struct ShardReader {
    let bytes: [UInt8]
    let path: String
    var offset = 0

    init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    var atEnd: Bool { offset >= bytes.count }

    private func truncated() -> TilingError {
        TilingError(.shardCorrupt, "\(path): truncated or corrupt shard at byte \(offset)")
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(TilingError) -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else { throw truncated() }
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { target in
            bytes.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + size)]))
            }
        }
        offset += size
        return T(littleEndian: value)
    }

    mutating func double() throws(TilingError) -> Double {
        Double(bitPattern: try integer(UInt64.self))
    }

    mutating func string() throws(TilingError) -> String {
        let count = Int(try integer(UInt32.self))
        guard offset + count <= bytes.count else { throw truncated() }
        let text = String(decoding: bytes[offset..<(offset + count)], as: UTF8.self)
        offset += count
        return text
    }

    mutating func header() throws(TilingError) -> ShardHeader {
        guard bytes.count >= 12, Array(bytes[0..<8]) == ShardCodec.magic else {
            throw TilingError(.shardCorrupt, "\(path): not a staging shard (bad magic)")
        }
        offset = 8
        let length = Int(try integer(UInt32.self))
        guard offset + length <= bytes.count else { throw truncated() }
        let header: ShardHeader
        do {
            header = try JSONDecoder().decode(ShardHeader.self, from: Data(bytes[offset..<(offset + length)]))
        } catch {
            throw TilingError(.shardCorrupt, "\(path): bad shard header: \(error)")
        }
        guard header.version == ShardCodec.version else {
            throw TilingError(.shardCorrupt, "\(path): shard format version \(header.version), expected \(ShardCodec.version)")
        }
        offset += length
        return header
    }

    mutating func row(fieldCount: Int, zoom: Int) throws(TilingError) -> StagedRow {
        _ = try integer(UInt32.self)  // record length, used by streaming readers
        let sequence = try integer(UInt64.self)
        var values: [FieldValue] = []
        values.reserveCapacity(fieldCount)
        for _ in 0..<fieldCount {
            let tag = try integer(UInt8.self)
            switch tag {
            case 0: values.append(.null)
            case 1: values.append(.integer(try integer(Int64.self)))
            case 2: values.append(.real(try double()))
            case 3: values.append(.string(try string()))
            default: throw TilingError(.shardCorrupt, "\(path): unknown value tag \(tag) at byte \(offset)")
            }
        }
        let area = try double()
        let centroidX = try double()
        let centroidY = try double()
        let identifier = try string()
        let tileX = Int(try integer(Int32.self))
        let tileY = Int(try integer(Int32.self))
        let duplicatedTag = try integer(UInt8.self)
        let ringCount = Int(try integer(UInt32.self))
        var rings: [[Double]] = []
        rings.reserveCapacity(ringCount)
        for _ in 0..<ringCount {
            let points = Int(try integer(UInt32.self))
            let byteCount = points * 16
            guard offset + byteCount <= bytes.count else { throw truncated() }
            var ring = [Double](repeating: 0, count: points * 2)
            ring.withUnsafeMutableBytes { target in
                bytes.withUnsafeBytes { source in
                    target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + byteCount)]))
                }
            }
            offset += byteCount
            rings.append(ring)
        }
        return StagedRow(
            sequence: sequence,
            values: values,
            area: area,
            centroidX: centroidX,
            centroidY: centroidY,
            identifier: identifier,
            centroidTile: TileIndex(x: tileX, y: tileY, z: zoom),
            duplicated: duplicatedTag == 0 ? nil : duplicatedTag == 2,
            polygon: Polygon(rings: rings)
        )
    }
}
