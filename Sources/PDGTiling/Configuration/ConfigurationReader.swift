/// PDG's typed keys with defaults over DataflowJSON's ``ConfigurationObject``: the same type checks, key paths and
/// unknown-key suggestions as the runtime's configuration files, with errors as `TilingError`.
struct ConfigurationReader {
    let object: ConfigurationObject

    init(object: [String: JSONValue], path: String) {
        // A dictionary is always an object, so this cannot throw.
        self.object = try! ConfigurationObject(.object(object), source: "config", path: path)
    }

    private func keyPath(_ key: String) -> String { object.path.isEmpty ? key : "\(object.path).\(key)" }

    /// Runs a DataflowJSON read, turning its error into `TilingError.invalidConfiguration`.
    private func read<T>(_ body: () throws -> T) throws(TilingError) -> T {
        do {
            return try body()
        } catch let error as ConfigurationError {
            throw TilingError(.invalidConfiguration, Self.strippingSource(error.message))
        } catch {
            throw TilingError(.invalidConfiguration, "\(error)")
        }
    }

    /// `config: 'z_range' must be …` → `config key "z_range" must be …` (the file name is added by the caller).
    private static func strippingSource(_ message: String) -> String {
        var text = message.hasPrefix("config: ") ? String(message.dropFirst("config: ".count)) : message
        if text.hasPrefix("'"), let end = text.dropFirst().firstIndex(of: "'") {
            text = "config key \"\(text[text.index(after: text.startIndex)..<end])\"" + text[text.index(after: end)...]
        }
        return text
    }

    /// The raw value (null included) of a present key, marking it read; nil if absent.
    func take(_ key: String) -> JSONValue? {
        if object.isNull(key) {
            _ = object.value(key)
            return .null
        }
        return object.value(key)
    }

    func string(_ key: String, default value: String) throws(TilingError) -> String {
        if object.isNull(key) { throw error(key, "must be a string, found null") }
        return try read { try object.string(key) } ?? value
    }

    func optionalString(_ key: String, default value: String?) throws(TilingError) -> String? {
        if object.isNull(key) {
            _ = take(key)
            return nil
        }
        return try read { try object.string(key) } ?? value
    }

    func bool(_ key: String, default value: Bool) throws(TilingError) -> Bool {
        if object.isNull(key) { throw error(key, "must be true or false, found null") }
        return try read { try object.bool(key) } ?? value
    }

    func optionalNumber(_ key: String, default value: Double?) throws(TilingError) -> Double? {
        if object.isNull(key) {
            _ = take(key)
            return nil
        }
        return try read { try object.double(key) } ?? value
    }

    func integerPair(_ key: String, default value: [Int]) throws(TilingError) -> [Int] {
        guard let raw = take(key) else { return value }
        guard case .array(let items) = raw, items.count == 2 else {
            throw error(key, "must be a list of two integers, found \(raw.typeName)")
        }
        var result: [Int] = []
        for item in items {
            guard case .number(let number) = item, number.rounded() == number, abs(number) < 1e9 else {
                throw error(key, "must be a list of two integers")
            }
            result.append(Int(number))
        }
        return result
    }

    func stringList(_ key: String, default value: [String]) throws(TilingError) -> [String] {
        if object.isNull(key) { throw error(key, "must be a list of strings, found null") }
        return try read { try object.strings(key) } ?? value
    }

    /// Marks keys as recognised without reading them (keys of other tools this project answers with a warning).
    func allow(_ keys: [String]) { object.allow(keys) }

    /// The keys nobody read, with suggestions.
    func unknownKeys() -> [ConfigurationObject.UnknownKey] { object.unknownKeys() }

    /// The raw values nobody read (kept for writing the configuration back).
    func unreadValues() -> [String: JSONValue] { object.unreadValues() }

    func error(_ key: String, _ message: String) -> TilingError {
        TilingError(.invalidConfiguration, "config key \"\(keyPath(key))\" \(message)")
    }
}
