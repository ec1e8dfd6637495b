import Foundation

/// Decodes values written by ``CompactEncoder``. Malformed bytes raise ``AppError`` with code
/// `.malformedPayload`; a value of the wrong shape raises the usual `DecodingError` with its coding path.
public struct CompactDecoder: Sendable {
    /// Creates a decoder; it has no options and keeps no state between calls.
    public init() {}

    /// Decodes a value of `type` from `bytes`.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let tree = try CompactReader.parse(bytes)
        return try decodeTree(type, from: tree)
    }

    func decodeTree<T: Decodable>(_ type: T.Type, from tree: CompactValue) throws -> T {
        if let fast: T = try TreeDecoder.fastPath(type, tree, codingPath: []) { return fast }
        return try T(from: TreeDecoder(value: tree, codingPath: []))
    }
}

struct TreeDecoder: Decoder {
    let value: CompactValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func mismatch(_ expected: Any.Type, _ value: CompactValue, _ path: [any CodingKey]) -> DecodingError {
        DecodingError.typeMismatch(
            expected,
            .init(codingPath: path, debugDescription: "Expected \(expected) but found \(value.kindName)")
        )
    }

    @inline(__always)
    static func fastPath<T: Decodable>(_ type: T.Type, _ value: CompactValue, codingPath: [any CodingKey]) throws -> T? {
        if T.self == [UInt8].self {
            guard case .bytes(let b) = value else { throw mismatch(type, value, codingPath) }
            return (b as! T)
        }
        if T.self == Data.self {
            guard case .bytes(let b) = value else { throw mismatch(type, value, codingPath) }
            return (Data(b) as! T)
        }
        if T.self == Int.self { return (try SingleContainer(value: value, codingPath: codingPath).decode(Int.self) as! T) }
        if T.self == String.self {
            guard case .string(let s) = value else { throw mismatch(type, value, codingPath) }
            return (s as! T)
        }
        return nil
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .map(let entries) = value else { throw Self.mismatch([String: Any].self, value, codingPath) }
        return KeyedDecodingContainer(KeyedContainer<Key>(entries: entries, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw Self.mismatch([Any].self, value, codingPath) }
        return UnkeyedContainer(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleContainer(value: value, codingPath: codingPath)
    }

    static func decodeChild<T: Decodable>(_ type: T.Type, _ value: CompactValue, path: [any CodingKey]) throws -> T {
        if let fast: T = try fastPath(type, value, codingPath: path) { return fast }
        return try T(from: TreeDecoder(value: value, codingPath: path))
    }

    // MARK: Containers

    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let entries: [(String, CompactValue)]
        let codingPath: [any CodingKey]
        /// Built only for large maps; small structs are searched linearly, which is faster for them.
        let index: [String: Int]?

        init(entries: [(String, CompactValue)], codingPath: [any CodingKey]) {
            self.entries = entries
            self.codingPath = codingPath
            if entries.count > 16 {
                var index: [String: Int] = [:]
                index.reserveCapacity(entries.count)
                for (i, e) in entries.enumerated() { index[e.0] = i }
                self.index = index
            } else {
                self.index = nil
            }
        }

        var allKeys: [Key] { entries.compactMap { Key(stringValue: $0.0) } }

        private func lookup(_ key: Key) -> CompactValue? {
            if let index { return index[key.stringValue].map { entries[$0].1 } }
            let name = key.stringValue
            for e in entries where e.0 == name { return e.1 }
            return nil
        }

        private func require(_ key: Key) throws -> CompactValue {
            guard let v = lookup(key) else {
                throw DecodingError.keyNotFound(
                    key,
                    .init(codingPath: codingPath, debugDescription: "No value for key '\(key.stringValue)'")
                )
            }
            return v
        }

        func contains(_ key: Key) -> Bool { lookup(key) != nil }
        func decodeNil(forKey key: Key) throws -> Bool {
            if case .null = try require(key) { return true }
            return false
        }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try TreeDecoder.decodeChild(type, require(key), path: codingPath + [key])
        }
        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type,
            forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try TreeDecoder(value: require(key), codingPath: codingPath + [key]).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try TreeDecoder(value: require(key), codingPath: codingPath + [key]).unkeyedContainer()
        }
        func superDecoder() throws -> any Decoder {
            TreeDecoder(value: lookup(Key(stringValue: "super")!) ?? .null, codingPath: codingPath)
        }
        func superDecoder(forKey key: Key) throws -> any Decoder {
            TreeDecoder(value: lookup(key) ?? .null, codingPath: codingPath + [key])
        }
    }

    struct IndexKey: CodingKey {
        var stringValue: String { "Index \(intValue ?? 0)" }
        var intValue: Int?
        init(_ i: Int) { intValue = i }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    struct UnkeyedContainer: UnkeyedDecodingContainer {
        let items: [CompactValue]
        let codingPath: [any CodingKey]
        var currentIndex = 0
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        init(items: [CompactValue], codingPath: [any CodingKey]) {
            self.items = items
            self.codingPath = codingPath
        }

        private mutating func next(_ type: Any.Type) throws -> CompactValue {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(
                    type,
                    .init(codingPath: codingPath, debugDescription: "Unkeyed container is at end")
                )
            }
            defer { currentIndex += 1 }
            return items[currentIndex]
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd else { return false }
            if case .null = items[currentIndex] {
                currentIndex += 1
                return true
            }
            return false
        }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let path = codingPath + [IndexKey(currentIndex)]
            return try TreeDecoder.decodeChild(type, next(type), path: path)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try TreeDecoder(value: next([String: Any].self), codingPath: codingPath).container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try TreeDecoder(value: next([Any].self), codingPath: codingPath).unkeyedContainer()
        }
        mutating func superDecoder() throws -> any Decoder {
            TreeDecoder(value: try next(Any.self), codingPath: codingPath)
        }
    }

    struct SingleContainer: SingleValueDecodingContainer {
        let value: CompactValue
        let codingPath: [any CodingKey]

        func decodeNil() -> Bool {
            if case .null = value { return true }
            return false
        }
        func decode(_ type: Bool.Type) throws -> Bool {
            guard case .bool(let b) = value else { throw TreeDecoder.mismatch(type, value, codingPath) }
            return b
        }
        func decode(_ type: String.Type) throws -> String {
            guard case .string(let s) = value else { throw TreeDecoder.mismatch(type, value, codingPath) }
            return s
        }
        func decode(_ type: Double.Type) throws -> Double {
            switch value {
            case .double(let d): return d
            case .int(let i): return Double(i)
            case .uint(let u): return Double(u)
            default: throw TreeDecoder.mismatch(type, value, codingPath)
            }
        }
        func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

        private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
            let result: T?
            switch value {
            case .int(let i): result = T(exactly: i)
            case .uint(let u): result = T(exactly: u)
            default: throw TreeDecoder.mismatch(type, value, codingPath)
            }
            guard let result else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath, debugDescription: "\(value) does not fit in \(type)")
                )
            }
            return result
        }
        func decode(_ type: Int.Type) throws -> Int { try integer(type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try TreeDecoder.decodeChild(type, value, path: codingPath)
        }
    }
}

extension CompactValue {
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .uint: "an integer"
        case .double: "a floating-point number"
        case .string: "a string"
        case .bytes: "a byte string"
        case .array: "an array"
        case .map: "a keyed container"
        }
    }
}
