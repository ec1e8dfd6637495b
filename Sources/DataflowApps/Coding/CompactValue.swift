/// The self-describing value tree behind ``CompactEncoder`` and ``CompactDecoder``.
///
/// Every value carries a one-byte tag, so optionals, enums with associated values and nested containers
/// round-trip without a schema. Keyed containers are written with their keys sorted, which makes the
/// encoding of a value independent of dictionary iteration order (Swift seeds hashing per process): the
/// same input always gives the same bytes, in every process, which memoization hashes rely on.
@usableFromInline
enum CompactValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case array([CompactValue])
    case map([(String, CompactValue)])

    enum Tag: UInt8 {
        case null = 0, `false` = 1, `true` = 2, int = 3, uint = 4, double = 5, string = 6, bytes = 7, array = 8, map = 9
    }
}

// MARK: - Serialization

extension CompactValue {
    func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(Tag.null.rawValue)
        case .bool(let b): out.append(b ? Tag.true.rawValue : Tag.false.rawValue)
        case .int(let v):
            out.append(Tag.int.rawValue)
            Self.writeVarint(UInt64(bitPattern: (v << 1) ^ (v >> 63)), to: &out)
        case .uint(let v):
            out.append(Tag.uint.rawValue)
            Self.writeVarint(v, to: &out)
        case .double(let d):
            out.append(Tag.double.rawValue)
            var bits = d.bitPattern.littleEndian
            withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
        case .string(let s):
            out.append(Tag.string.rawValue)
            var s = s
            s.withUTF8 { utf8 in
                Self.writeVarint(UInt64(utf8.count), to: &out)
                out.append(contentsOf: utf8)
            }
        case .bytes(let b):
            out.append(Tag.bytes.rawValue)
            Self.writeVarint(UInt64(b.count), to: &out)
            out.append(contentsOf: b)
        case .array(let items):
            out.append(Tag.array.rawValue)
            Self.writeVarint(UInt64(items.count), to: &out)
            for item in items { item.write(to: &out) }
        case .map(let entries):
            out.append(Tag.map.rawValue)
            Self.writeVarint(UInt64(entries.count), to: &out)
            let sorted = entries.count > 1 ? entries.sorted { $0.0 < $1.0 } : entries
            for (key, value) in sorted {
                var key = key
                key.withUTF8 { utf8 in
                    Self.writeVarint(UInt64(utf8.count), to: &out)
                    out.append(contentsOf: utf8)
                }
                value.write(to: &out)
            }
        }
    }

    @inline(__always)
    static func writeVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}

// MARK: - Parsing

/// Reads a ``CompactValue`` from bytes, refusing anything malformed instead of trapping: decoders face
/// bytes from the network and from files that may be torn.
struct CompactReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0
    private let maxDepth = 256

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    static func parse(_ data: [UInt8]) throws -> CompactValue {
        try data.withUnsafeBytes { raw in
            var reader = CompactReader(raw)
            let value = try reader.readValue(depth: 0)
            guard reader.offset == raw.count else {
                throw AppError(.malformedPayload, "\(raw.count - reader.offset) trailing bytes after the encoded value")
            }
            return value
        }
    }

    mutating func readValue(depth: Int) throws(AppError) -> CompactValue {
        guard depth < maxDepth else { throw AppError(.malformedPayload, "nesting deeper than \(maxDepth)") }
        let tagByte = try readByte()
        guard let tag = CompactValue.Tag(rawValue: tagByte) else {
            throw AppError(.malformedPayload, "unknown tag \(tagByte) at offset \(offset - 1)")
        }
        switch tag {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .int:
            let z = try readVarint()
            return .int(Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1))))
        case .uint: return .uint(try readVarint())
        case .double:
            let raw = try readRaw(8)
            var bits: UInt64 = 0
            for i in (0..<8).reversed() { bits = (bits << 8) | UInt64(raw[raw.startIndex + i]) }
            return .double(Double(bitPattern: bits))
        case .string: return .string(try readString())
        case .bytes:
            let count = try readCount()
            return .bytes(Array(try readRaw(count)))
        case .array:
            let count = try readCount()
            var items: [CompactValue] = []
            items.reserveCapacity(Swift.min(count, 4096))
            for _ in 0..<count { items.append(try readValue(depth: depth + 1)) }
            return .array(items)
        case .map:
            let count = try readCount()
            var entries: [(String, CompactValue)] = []
            entries.reserveCapacity(Swift.min(count, 4096))
            for _ in 0..<count {
                let key = try readString()
                entries.append((key, try readValue(depth: depth + 1)))
            }
            return .map(entries)
        }
    }

    private mutating func readByte() throws(AppError) -> UInt8 {
        guard offset < bytes.count else { throw AppError(.malformedPayload, "truncated value") }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func readVarint() throws(AppError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte()
            guard shift < 64 else { throw AppError(.malformedPayload, "varint longer than 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    private mutating func readCount() throws(AppError) -> Int {
        let n = try readVarint()
        // A count can never exceed the bytes left: each element takes at least one byte.
        guard n <= UInt64(bytes.count - offset) else {
            throw AppError(.malformedPayload, "length \(n) exceeds the \(bytes.count - offset) bytes left")
        }
        return Int(n)
    }

    private mutating func readRaw(_ count: Int) throws(AppError) -> Slice<UnsafeRawBufferPointer> {
        guard count <= bytes.count - offset else { throw AppError(.malformedPayload, "truncated value") }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    private mutating func readString() throws(AppError) -> String {
        let count = try readCount()
        let raw = try readRaw(count)
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw AppError(.malformedPayload, "invalid UTF-8 in a string")
        }
        return s
    }
}
