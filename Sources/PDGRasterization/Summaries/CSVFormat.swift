import Foundation

/// Field formatting shared by the raster CSVs (Python-like float text, RFC 4180 quoting).
enum CSVFormat {
    /// Python `repr` of a float for the common cases (`0.0`, `1.5`, `-146.51367187500014`, `nan`).
    static func number(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        return "\(value)"
    }

    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func row(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") + "\n" }
}
