/// One JSON object of a configuration file, read key by key: every read names the file and key path in
/// its error, and ``finish()`` rejects keys nobody read (typos), suggesting the closest known key.
public final class ConfigurationObject {
    /// The file the object was read from, used as the prefix of every error message.
    public let source: String
    /// The object's key path in the file (e.g. `executors[0].provider`); empty for the top level.
    public let path: String
    private let values: [String: JSONValue]
    private var known: [String] = []

    /// Wraps a JSON value read from `source` at key path `path`; throws ``ConfigurationError`` `.invalidValue`
    /// unless the value is an object.
    public init(_ value: JSONValue, source: String, path: String = "") throws {
        guard case .object(let values) = value else {
            throw ConfigurationError(.invalidValue, "\(source): \(path.isEmpty ? "the top level" : "'\(path)'") must be an object, not \(value.kindName)")
        }
        self.source = source
        self.path = path
        self.values = values
    }

    private func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func bad(_ key: String, _ expected: String, _ found: JSONValue) -> ConfigurationError {
        ConfigurationError(.invalidValue, "\(source): '\(name(key))' must be \(expected), not \(found.kindName)")
    }

    /// The raw value of `key`, marking it known; `nil` when absent or null.
    public func value(_ key: String) -> JSONValue? {
        known.append(key)
        if case .null? = values[key] { return nil }
        return values[key]
    }

    /// Whether `key` is present with the value `null`.
    public func isNull(_ key: String) -> Bool {
        if case .null? = values[key] { return true }
        return false
    }

    /// The string at `key`; `nil` when absent or null, and an error naming the key for any other type.
    public func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw bad(key, "a string", v) }
        return s
    }

    /// The boolean at `key`; `nil` when absent or null, and an error naming the key for any other type.
    public func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw bad(key, "true or false", v) }
        return b
    }

    /// The number at `key` (integer or fractional); `nil` when absent or null, and an error for any other type.
    public func double(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        guard case .number(let n) = v else { throw bad(key, "a number", v) }
        return n
    }

    /// An integer, optionally at least `minimum`.
    public func int(_ key: String, minimum: Int? = nil) throws -> Int? {
        guard let v = value(key) else { return nil }
        guard case .number(let n) = v, n.rounded() == n, abs(n) < 1e15 else { throw bad(key, "an integer", v) }
        if let minimum, Int(n) < minimum {
            throw ConfigurationError(.invalidValue, "\(source): '\(name(key))' must be at least \(minimum), not \(Int(n))")
        }
        return Int(n)
    }

    /// The list of strings at `key`; `nil` when absent or null, and an error if it is not a list or holds a non-string.
    public func strings(_ key: String) throws -> [String]? {
        guard let v = value(key) else { return nil }
        guard case .array(let items) = v else { throw bad(key, "a list of strings", v) }
        return try items.map { item in
            guard case .string(let s) = item else { throw bad(key, "a list of strings", item) }
            return s
        }
    }

    /// A string that must be one of `choices`.
    public func choice(_ key: String, _ choices: [String]) throws -> String? {
        guard let s = try string(key) else { return nil }
        guard choices.contains(s) else {
            throw ConfigurationError(.invalidValue, "\(source): '\(name(key))' must be one of \(choices.map { "'\($0)'" }.joined(separator: ", ")), not '\(s)'")
        }
        return s
    }

    /// The nested object at `key`, whose errors name the full key path; `nil` when absent or null. Call its
    /// ``finish()`` too, so that typos inside it are caught.
    public func object(_ key: String) throws -> ConfigurationObject? {
        guard let v = value(key) else { return nil }
        return try ConfigurationObject(v, source: source, path: name(key))
    }

    /// The list of objects at `key` (e.g. `executors`), each with its index in its key path; `nil` when absent or null.
    public func objects(_ key: String) throws -> [ConfigurationObject]? {
        guard let v = value(key) else { return nil }
        guard case .array(let items) = v else { throw bad(key, "a list of objects", v) }
        return try items.enumerated().map { try ConfigurationObject($0.element, source: source, path: "\(name(key))[\($0.offset)]") }
    }

    /// Marks every key as known (a section that is present but not used this run).
    public func allowAll() { known.append(contentsOf: values.keys) }

    /// Marks keys as known without reading them (e.g. comments such as `"_comment"`).
    public func allow(_ keys: [String]) { known.append(contentsOf: keys) }

    /// Throws for the first key that was never read, naming the closest known key.
    public func finish() throws {
        if let first = unknownKeys().first {
            var message = "\(source): unknown key '\(first.path)'"
            if let suggestion = first.suggestion { message += " (did you mean '\(suggestion)'?)" }
            message += "; known keys here: \(Set(known).sorted().joined(separator: ", "))"
            throw ConfigurationError(.invalidValue, message)
        }
    }

    /// A key that no reader asked for, with the known key it probably meant.
    public struct UnknownKey: Sendable, Hashable, CustomStringConvertible {
        /// The key as written.
        public var key: String
        /// Its full key path (`statistics[0].palete`).
        public var path: String
        /// The closest known key, when one is close enough to be a likely typo or variant.
        public var suggestion: String?

        /// "`dir_staged_remote` is not a key; did you mean `dir_staged`?"
        public var description: String {
            "`\(path)` is not a key" + (suggestion.map { "; did you mean `\($0)`?" } ?? "")
        }
    }

    /// The keys never read (nor allowed), in key order, each with its suggestion; keys starting with `_` are
    /// comments and never reported. The warn-instead-of-refuse counterpart of ``finish()``.
    public func unknownKeys() -> [UnknownKey] {
        values.keys.sorted().filter { !known.contains($0) && !$0.hasPrefix("_") }.map { key in
            UnknownKey(key: key, path: name(key), suggestion: Self.suggestion(for: key, among: known))
        }
    }

    /// The raw values of the keys no reader asked for (comments included), to keep them when writing back.
    public func unreadValues() -> [String: JSONValue] {
        values.filter { !known.contains($0.key) }
    }

    /// The known key a misspelt or decorated key most likely meant: a known key that is a prefix or suffix of it
    /// (`dir_staged_remote` → `dir_staged`), or one within a small edit distance (`retires` → `retries`).
    static func suggestion(for key: String, among known: [String]) -> String? {
        let candidates = Set(known)
        let affixed = candidates.filter { $0.count >= 4 && (key.hasPrefix($0) || key.hasSuffix($0)) }
        if let longest = affixed.max(by: { ($0.count, $1) < ($1.count, $0) }) { return longest }
        let closest = candidates.min { (distance($0, key), $0) < (distance($1, key), $1) }
        guard let closest, distance(closest, key) <= max(3, key.count / 4) else { return nil }
        return closest
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where i <= a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where j <= b.count {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
