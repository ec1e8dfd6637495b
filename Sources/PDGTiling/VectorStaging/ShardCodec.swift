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

    /// One attribute value: tag byte (0 null, 1 integer `i64`, 2 real `f64`, 3 string `u32` length + UTF-8), payload.
    @inline(__always)
    static func append(_ value: FieldValue, to bytes: inout [UInt8]) {
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

    /// `u32` ring count, then per ring `u32` point count and the interleaved `f64` coordinates: the body of a
    /// little-endian WKB Polygon after its type.
    static func appendPolygonBody(_ polygon: Polygon, to bytes: inout [UInt8]) {
        append(UInt32(polygon.rings.count), to: &bytes)
        for ring in polygon.rings {
            append(UInt32(ring.count / 2), to: &bytes)
            ring.withUnsafeBytes { raw in
                // Doubles are stored in host order; every supported platform is little-endian.
                bytes.append(contentsOf: raw)
            }
        }
    }

    /// Appends one record. Its size is known in advance, so it is written with raw stores into one temporary
    /// buffer and appended with one copy: a byte-array append per field cost more than the rest of staging's
    /// shard writing.
    static func encode(_ row: StagedRow, to bytes: inout [UInt8]) {
        var size = 4 + 8 + 3 * 8 + 4 + row.identifier.utf8.count + 4 + 4 + 1 + 4
        for value in row.values {
            switch value {
            case .null: size += 1
            case .integer, .real: size += 9
            case .string(let text): size += 5 + text.utf8.count
            }
        }
        for ring in row.polygon.rings { size += 4 + 8 * ring.count }
        withUnsafeTemporaryAllocation(byteCount: size, alignment: 8) { buffer in
            var writer = RawWriter(base: buffer.baseAddress!)
            writer.put(UInt32(size - 4))
            writer.put(row.sequence)
            for value in row.values {
                switch value {
                case .null: writer.put(UInt8(0))
                case .integer(let number):
                    writer.put(UInt8(1))
                    writer.put(number)
                case .real(let number):
                    writer.put(UInt8(2))
                    writer.put(number.bitPattern)
                case .string(let text):
                    writer.put(UInt8(3))
                    writer.put(text)
                }
            }
            writer.put(row.area.bitPattern)
            writer.put(row.centroidX.bitPattern)
            writer.put(row.centroidY.bitPattern)
            writer.put(row.identifier)
            writer.put(Int32(row.centroidTile.x))
            writer.put(Int32(row.centroidTile.y))
            writer.put(UInt8(row.duplicated.map { $0 ? 2 : 1 } ?? 0))
            writer.put(UInt32(row.polygon.rings.count))
            for ring in row.polygon.rings {
                writer.put(UInt32(ring.count / 2))
                // Doubles are stored in host order; every supported platform is little-endian.
                ring.withUnsafeBytes { writer.put(raw: $0) }
            }
            precondition(writer.offset == size, "ShardCodec.encode: record size mismatch")
            bytes.append(contentsOf: UnsafeRawBufferPointer(buffer))
        }
    }

    /// Little-endian stores at a moving offset into memory the caller sized.
    private struct RawWriter {
        let base: UnsafeMutableRawPointer
        var offset = 0

        @inline(__always)
        mutating func put<T: FixedWidthInteger>(_ value: T) {
            base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
            offset += MemoryLayout<T>.size
        }

        @inline(__always)
        mutating func put(raw: UnsafeRawBufferPointer) {
            if let source = raw.baseAddress, raw.count > 0 {
                (base + offset).copyMemory(from: source, byteCount: raw.count)
            }
            offset += raw.count
        }

        mutating func put(_ text: String) {
            var text = text
            text.withUTF8 { utf8 in
                put(UInt32(utf8.count))
                put(raw: UnsafeRawBufferPointer(utf8))
            }
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

/// One encoded shard record (the bytes after its length prefix), located in place without decoding it: the
/// merge's streaming path copies its attribute cells, identifier and polygon straight into the GeoPackage rows.
/// Every length is checked against the record's size.
struct ShardRecordView {
    /// The record.
    let bytes: UnsafeRawBufferPointer
    /// Position of the polygon in its input.
    let sequence: UInt64
    /// The attribute values, one tagged cell per shard field, as `ShardCodec` encodes values.
    let values: Range<Int>
    /// `staging_area`, `staging_centroid_x`, `staging_centroid_y`.
    let area: Double
    let centroidX: Double
    let centroidY: Double
    /// The UTF-8 bytes of `staging_identifier`.
    let identifier: Range<Int>
    /// `staging_centroid_tile` (its zoom is the shard's).
    let centroidTileX: Int
    let centroidTileY: Int
    /// The polygon as a WKB body, as `ShardCodec.appendPolygonBody` writes it.
    let polygonBody: Range<Int>
    /// The box of the polygon's shell, as ``Polygon/boundingBox`` computes it.
    let box: BoundingBox

    init(_ bytes: UnsafeRawBufferPointer, fieldCount: Int, path: String) throws(TilingError) {
        self.bytes = bytes
        let count = bytes.count
        var offset = 0
        func need(_ size: Int) throws(TilingError) {
            guard size >= 0, offset + size <= count else {
                throw TilingError(.shardCorrupt, "\(path): truncated or corrupt shard record")
            }
        }
        func u32() throws(TilingError) -> Int {
            try need(4)
            defer { offset += 4 }
            return Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        }
        func f64() throws(TilingError) -> Double {
            try need(8)
            defer { offset += 8 }
            return Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
        }
        try need(8)
        sequence = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        offset = 8
        let valuesStart = offset
        for _ in 0..<fieldCount {
            try need(1)
            let tag = bytes[offset]
            offset += 1
            switch tag {
            case 0: break
            case 1, 2:
                try need(8)
                offset += 8
            case 3:
                let length = try u32()
                try need(length)
                offset += length
            default:
                throw TilingError(.shardCorrupt, "\(path): unknown value tag \(tag) in a shard record")
            }
        }
        values = valuesStart..<offset
        area = try f64()
        centroidX = try f64()
        centroidY = try f64()
        let identifierLength = try u32()
        try need(identifierLength)
        identifier = offset..<(offset + identifierLength)
        offset += identifierLength
        try need(9)
        centroidTileX = Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
        centroidTileY = Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: Int32.self)))
        offset += 9  // tile x, y and the duplicated tag (the merge labels rows itself)
        let bodyStart = offset
        let rings = try u32()
        var box = BoundingBox.empty
        for ring in 0..<rings {
            let points = try u32()
            try need(points * 16)
            if ring == 0 {
                for point in 0..<points {
                    box.extend(
                        x: Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 16 * point, as: UInt64.self))),
                        y: Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 16 * point + 8, as: UInt64.self))))
                }
            }
            offset += points * 16
        }
        guard offset == count else { throw TilingError(.shardCorrupt, "\(path): shard record longer than its polygon") }
        polygonBody = bodyStart..<offset
        self.box = box
    }

    /// A part of the record.
    @inline(__always)
    subscript(range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[range])
    }
}
