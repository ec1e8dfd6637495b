/// The type of an attribute column, reduced to what staged GeoPackages need.
public enum FieldType: String, Sendable, Hashable, Codable {
    /// 64-bit integer.
    case integer
    /// Double.
    case real
    /// Text (also used for dates and any other OGR type, read through `GetFieldAsString`).
    case string
    /// GPKG boolean (INTEGER with the boolean subtype).
    case boolean
}

/// A column: name and type.
public struct FieldDefinition: Sendable, Hashable, Codable {
    /// Column name as in the input.
    public var name: String
    /// Column type.
    public var type: FieldType

    /// Creates a column definition.
    public init(name: String, type: FieldType) {
        self.name = name
        self.type = type
    }
}

/// One attribute value.
public enum FieldValue: Sendable, Hashable, Codable {
    case null
    case integer(Int64)
    case real(Double)
    case string(String)

    /// Compares two values of one keep-rule column: numbers numerically, text lexicographically (by Unicode
    /// scalars, as Python compares `str`). Returns nil when either is null or the kinds differ.
    func compare(to other: FieldValue) -> Int? {
        switch (self, other) {
        case (.integer(let a), .integer(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        case (.real(let a), .real(let b)): return a < b ? -1 : (a > b ? 1 : 0)
        case (.integer(let a), .real(let b)): return Double(a) < b ? -1 : (Double(a) > b ? 1 : 0)
        case (.real(let a), .integer(let b)): return a < Double(b) ? -1 : (a > Double(b) ? 1 : 0)
        case (.string(let a), .string(let b)):
            if a == b { return 0 }
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : 1
        default: return nil
        }
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
