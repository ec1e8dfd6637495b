/// One entry of the `statistics` list: one GeoTIFF band and one web-tile layer (used by the raster steps; staging
/// only validates and keeps it).
public struct StatisticConfiguration: Sendable, Hashable {
    /// `name`: band description and web-tile `style` path component (required, unique).
    public var name: String
    /// `weight_by`: `"count"` or `"area"` (no default: PDG's shallow merge gives none).
    public var weightBy: String?
    /// `property`: an attribute or `centroids_per_pixel` / `area_per_pixel_area` / `area_within_pixel`.
    public var property: String?
    /// `aggregation_method`: pandas aggregation name.
    public var aggregationMethod: String?
    /// `resampling_method`: GDAL resampling name.
    public var resamplingMethod: String?
    /// `val_range`: `[min, max]`, each possibly null.
    public var valueRange: [Double?]?
    /// `palette`: a list of colours, or a colormap name.
    public var palette: JSONValue?
    /// `nodata_val`; null or absent = no nodata.
    public var nodataValue: Double?
    /// `nodata_color`; default transparent white when absent.
    public var nodataColor: String?
    /// `z_config`: per-zoom overrides, kept as written.
    public var zConfig: JSONValue?
    /// Keys this module does not interpret, kept for other tools.
    public var additionalKeys: [String: JSONValue]

    /// Parses one statistic object; keys it does not know are kept and reported in `unknownKeys`.
    init(json: JSONValue, path: String, unknownKeys: inout [ConfigurationObject.UnknownKey]) throws(TilingError) {
        guard case .object(let object) = json else {
            throw TilingError(.invalidConfiguration, "config key \"\(path)\" must be an object, found \(json.typeName)")
        }
        let reader = ConfigurationReader(object: object, path: path)
        guard let name = try reader.optionalString("name", default: nil), !name.isEmpty else {
            throw reader.error("name", "is required and must be a non-empty string")
        }
        self.name = name
        weightBy = try reader.optionalString("weight_by", default: nil)
        if let weightBy, !["count", "area"].contains(weightBy) {
            throw reader.error("weight_by", "must be \"count\" or \"area\", found \"\(weightBy)\"")
        }
        property = try reader.optionalString("property", default: nil)
        aggregationMethod = try reader.optionalString("aggregation_method", default: nil)
        resamplingMethod = try reader.optionalString("resampling_method", default: nil)
        if let raw = reader.take("val_range") {
            switch raw {
            case .null: valueRange = nil
            case .array(let items) where items.count == 2:
                var range: [Double?] = []
                for item in items {
                    switch item {
                    case .null: range.append(nil)
                    case .number(let value): range.append(value)
                    default: throw reader.error("val_range", "must be [min, max] with numbers or nulls")
                    }
                }
                valueRange = range
            default: throw reader.error("val_range", "must be [min, max] with numbers or nulls")
            }
        } else {
            valueRange = nil
        }
        if let raw = reader.take("palette") {
            switch raw {
            case .string, .null: palette = raw
            case .array(let items):
                for item in items {
                    guard case .string = item else { throw reader.error("palette", "must be a list of colour strings or a colormap name") }
                }
                palette = raw
            default: throw reader.error("palette", "must be a list of colour strings or a colormap name")
            }
        } else {
            palette = nil
        }
        nodataValue = try reader.optionalNumber("nodata_val", default: nil)
        nodataColor = try reader.optionalString("nodata_color", default: nil)
        if let raw = reader.take("z_config") {
            guard case .object = raw else { throw reader.error("z_config", "must be an object keyed by zoom level") }
            zConfig = raw
        } else {
            zConfig = nil
        }
        unknownKeys += reader.unknownKeys()
        additionalKeys = reader.unreadValues()
    }

    /// The statistic as a PDG JSON object.
    var json: JSONValue {
        var object = additionalKeys
        object["name"] = .string(name)
        if let weightBy { object["weight_by"] = .string(weightBy) }
        if let property { object["property"] = .string(property) }
        if let aggregationMethod { object["aggregation_method"] = .string(aggregationMethod) }
        if let resamplingMethod { object["resampling_method"] = .string(resamplingMethod) }
        if let valueRange { object["val_range"] = .array(valueRange.map { $0.map(JSONValue.number) ?? .null }) }
        if let palette { object["palette"] = palette }
        if let nodataValue { object["nodata_val"] = .number(nodataValue) }
        if let nodataColor { object["nodata_color"] = .string(nodataColor) }
        if let zConfig { object["z_config"] = zConfig }
        return .object(object)
    }

    /// PDG's two default statistics (`polygon_count`, `coverage`).
    static let defaults: [JSONValue] = [
        .object([
            "name": .string("polygon_count"), "weight_by": .string("count"), "property": .string("centroids_per_pixel"),
            "aggregation_method": .string("sum"), "resampling_method": .string("sum"),
            "val_range": .array([.number(0), .null]), "nodata_val": .number(0), "nodata_color": .string("#ffffff00"),
        ]),
        .object([
            "name": .string("coverage"), "weight_by": .string("area"), "property": .string("area_per_pixel_area"),
            "aggregation_method": .string("sum"), "resampling_method": .string("average"),
            "val_range": .array([.number(0), .number(1)]), "nodata_val": .number(0), "nodata_color": .string("#ffffff00"),
        ]),
    ]
}
