import Foundation

extension JSONValue {
    /// Parses JSON text; the error names `source` and what was wrong.
    public static func parse(_ data: Data, source: String) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ConfigurationError(.invalidJSON, "\(source): not valid JSON: \(error)")
        }
    }
}
