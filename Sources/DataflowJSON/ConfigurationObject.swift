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
        for key in values.keys.sorted() where !known.contains(key) && !key.hasPrefix("_") {
            let suggestion = known.min { Self.distance($0, key) < Self.distance($1, key) }
            var message = "\(source): unknown key '\(name(key))'"
            if let suggestion, Self.distance(suggestion, key) <= 3 { message += " (did you mean '\(suggestion)'?)" }
            message += "; known keys here: \(Set(known).sorted().joined(separator: ", "))"
            throw ConfigurationError(.invalidValue, message)
        }
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
