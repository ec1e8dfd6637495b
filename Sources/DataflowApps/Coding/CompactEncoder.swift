import Foundation

/// Encodes `Encodable` values into the compact, self-describing binary form used for task inputs and
/// results (on the wire, in checkpoints and in memoization hashes).
///
/// The encoding is deterministic: equal values give equal bytes in every process, because keyed containers
/// are written with sorted keys. `[UInt8]` and `Data` are stored as raw byte strings, not element by element.
///
/// ```swift
/// let bytes = try CompactEncoder().encode(["a": 1, "b": 2])
/// let back = try CompactDecoder().decode([String: Int].self, from: bytes)
/// ```
public struct CompactEncoder: Sendable {
    /// Creates an encoder; it has no options and keeps no state between calls.
    public init() {}

    /// Encodes `value` and returns its bytes.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var out: [UInt8] = []
        try encodeTree(value).write(to: &out)
        return out
    }

    func encodeTree<T: Encodable>(_ value: T) throws -> CompactValue {
        if let fast = CompactEncoder.fastPath(value) { return fast }
        let encoder = TreeEncoder(codingPath: [])
        try value.encode(to: encoder)
        return encoder.storage.value
    }

    /// Values that need no container machinery; also what keeps `[UInt8]`/`Data` as byte strings.
    @inline(__always)
    static func fastPath<T: Encodable>(_ value: T) -> CompactValue? {
        // Compare types exactly: `as?` would also turn an empty `[Anything]` into `[UInt8]`.
        if T.self == Int.self { return .int(Int64(value as! Int)) }
        if T.self == String.self { return .string(value as! String) }
        if T.self == Double.self { return .double(value as! Double) }
        if T.self == Bool.self { return .bool(value as! Bool) }
        if T.self == [UInt8].self { return .bytes(value as! [UInt8]) }
        if T.self == Data.self { return .bytes([UInt8](value as! Data)) }
        return nil
    }
}

/// A mutable slot that a container writes into; containers hand out child slots for nested values.
final class CompactSlot {
    enum Content {
        case empty
        case leaf(CompactValue)
        case array([CompactSlot])
        case map([(String, CompactSlot)])
    }
    var content: Content = .empty

    var value: CompactValue {
        switch content {
        case .empty: return .null
        case .leaf(let v): return v
        case .array(let slots): return .array(slots.map(\.value))
        case .map(let entries): return .map(entries.map { ($0.0, $0.1.value) })
        }
    }
}

final class TreeEncoder: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    let storage: CompactSlot

    init(codingPath: [any CodingKey], storage: CompactSlot = CompactSlot()) {
        self.codingPath = codingPath
        self.storage = storage
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .map = storage.content {} else { storage.content = .map([]) }
        return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = storage.content {} else { storage.content = .array([]) }
        return UnkeyedContainer(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(encoder: self) }

    func encodeChild<T: Encodable>(_ value: T, into slot: CompactSlot, key: (any CodingKey)?) throws {
        if let fast = CompactEncoder.fastPath(value) {
            slot.content = .leaf(fast)
            return
        }
        let child = TreeEncoder(codingPath: key.map { codingPath + [$0] } ?? codingPath, storage: slot)
        try value.encode(to: child)
    }

    // MARK: Containers

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: TreeEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }

        private func slot(for key: Key) -> CompactSlot {
            let slot = CompactSlot()
            if case .map(var entries) = encoder.storage.content {
                encoder.storage.content = .empty  // keep the array uniquely referenced while appending
                entries.append((key.stringValue, slot))
                encoder.storage.content = .map(entries)
            }
            return slot
        }

        mutating func encodeNil(forKey key: Key) throws { slot(for: key).content = .leaf(.null) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try encoder.encodeChild(value, into: slot(for: key), key: key)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type,
            forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            TreeEncoder(codingPath: codingPath + [key], storage: slot(for: key)).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            TreeEncoder(codingPath: codingPath + [key], storage: slot(for: key)).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder {
            TreeEncoder(codingPath: codingPath, storage: slot(for: Key(stringValue: "super")!))
        }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            TreeEncoder(codingPath: codingPath + [key], storage: slot(for: key))
        }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let encoder: TreeEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }
        var count: Int {
            if case .array(let slots) = encoder.storage.content { return slots.count }
            return 0
        }

        private func nextSlot() -> CompactSlot {
            let slot = CompactSlot()
            if case .array(var slots) = encoder.storage.content {
                encoder.storage.content = .empty
                slots.append(slot)
                encoder.storage.content = .array(slots)
            }
            return slot
        }

        mutating func encodeNil() throws { nextSlot().content = .leaf(.null) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try encoder.encodeChild(value, into: nextSlot(), key: nil)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type
        ) -> KeyedEncodingContainer<NestedKey> {
            TreeEncoder(codingPath: codingPath, storage: nextSlot()).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            TreeEncoder(codingPath: codingPath, storage: nextSlot()).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { TreeEncoder(codingPath: codingPath, storage: nextSlot()) }
    }

    struct SingleContainer: SingleValueEncodingContainer {
        let encoder: TreeEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }

        private func set(_ v: CompactValue) { encoder.storage.content = .leaf(v) }
        mutating func encodeNil() throws { set(.null) }
        mutating func encode(_ value: Bool) throws { set(.bool(value)) }
        mutating func encode(_ value: String) throws { set(.string(value)) }
        mutating func encode(_ value: Double) throws { set(.double(value)) }
        mutating func encode(_ value: Float) throws { set(.double(Double(value))) }
        mutating func encode(_ value: Int) throws { set(.int(Int64(value))) }
        mutating func encode(_ value: Int8) throws { set(.int(Int64(value))) }
        mutating func encode(_ value: Int16) throws { set(.int(Int64(value))) }
        mutating func encode(_ value: Int32) throws { set(.int(Int64(value))) }
        mutating func encode(_ value: Int64) throws { set(.int(value)) }
        mutating func encode(_ value: UInt) throws { set(.uint(UInt64(value))) }
        mutating func encode(_ value: UInt8) throws { set(.uint(UInt64(value))) }
        mutating func encode(_ value: UInt16) throws { set(.uint(UInt64(value))) }
        mutating func encode(_ value: UInt32) throws { set(.uint(UInt64(value))) }
        mutating func encode(_ value: UInt64) throws { set(.uint(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try encoder.encodeChild(value, into: encoder.storage, key: nil)
        }
    }
}
