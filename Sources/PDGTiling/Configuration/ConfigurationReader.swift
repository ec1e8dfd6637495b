/// Typed access to the keys of a JSON object, with errors that name the key (`statistics[1].val_range`).
struct ConfigurationReader {
    private(set) var object: [String: JSONValue]
    let path: String

    init(object: [String: JSONValue], path: String) {
        self.object = object
        self.path = path
    }

    private func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func typeError(_ key: String, expected: String, found: JSONValue) -> TilingError {
        TilingError(.invalidConfiguration, "config key \"\(keyPath(key))\" must be \(expected), found \(found.typeName)")
    }

    /// Removes and returns the raw value; nil if absent.
    mutating func take(_ key: String) -> JSONValue? {
        object.removeValue(forKey: key)
    }

    mutating func string(_ key: String, default value: String) throws(TilingError) -> String {
        guard let raw = take(key) else { return value }
        guard case .string(let text) = raw else { throw typeError(key, expected: "a string", found: raw) }
        return text
    }

    mutating func optionalString(_ key: String, default value: String?) throws(TilingError) -> String? {
        guard let raw = take(key) else { return value }
        switch raw {
        case .null: return nil
        case .string(let text): return text
        default: throw typeError(key, expected: "a string or null", found: raw)
        }
    }

    mutating func bool(_ key: String, default value: Bool) throws(TilingError) -> Bool {
        guard let raw = take(key) else { return value }
        guard case .bool(let flag) = raw else { throw typeError(key, expected: "true or false", found: raw) }
        return flag
    }

    mutating func optionalNumber(_ key: String, default value: Double?) throws(TilingError) -> Double? {
        guard let raw = take(key) else { return value }
        switch raw {
        case .null: return nil
        case .number(let number): return number
        default: throw typeError(key, expected: "a number or null", found: raw)
        }
    }

    mutating func integerPair(_ key: String, default value: [Int]) throws(TilingError) -> [Int] {
        guard let raw = take(key) else { return value }
        guard case .array(let items) = raw else {
            throw typeError(key, expected: "a list of two integers", found: raw)
        }
        guard items.count == 2 else {
            throw TilingError(.invalidConfiguration, "config key \"\(keyPath(key))\" must be a list of two integers, found \(items.count) element(s)")
        }
        var result: [Int] = []
        for item in items {
            guard case .number(let number) = item, number.rounded() == number, abs(number) < 1e9 else {
                throw TilingError(.invalidConfiguration, "config key \"\(keyPath(key))\" must be a list of two integers")
            }
            result.append(Int(number))
        }
        return result
    }

    mutating func stringList(_ key: String, default value: [String]) throws(TilingError) -> [String] {
        guard let raw = take(key) else { return value }
        guard case .array(let items) = raw else { throw typeError(key, expected: "a list of strings", found: raw) }
        var result: [String] = []
        for item in items {
            guard case .string(let text) = item else {
                throw TilingError(.invalidConfiguration, "config key \"\(keyPath(key))\" must be a list of strings, found a \(item.typeName) element")
            }
            result.append(text)
        }
        return result
    }

    func error(_ key: String, _ message: String) -> TilingError {
        TilingError(.invalidConfiguration, "config key \"\(keyPath(key))\" \(message)")
    }
}
