import Foundation

/// A PDG workflow configuration (the JSON files pdgstaging/pdgraster read), with PDG's keys and defaults.
///
/// Unknown keys (3D tiles settings, `_comment`, keys of later PDG versions) are accepted and kept in
/// ``additionalKeys``, so that writing the configuration back loses nothing. Ill-typed or unsupported values throw
/// `TilingError.invalidConfiguration` naming the key.
///
/// ```swift
/// let config = try WorkflowConfiguration(contentsOf: "workflow_config.json")
/// print(config.tmsID, config.maxZoom)   // WorldCRS84Quad 13
/// ```
public struct WorkflowConfiguration: Sendable, Hashable, Codable {
    /// Where a deduplication method's labels take effect (`deduplicate_at`).
    public enum DeduplicationStage: String, Sendable, Hashable, Codable, CaseIterable {
        case staging, raster
        case threeDTiles = "3dtiles"
    }

    /// The deduplication method (`deduplicate_method`).
    public enum DeduplicationMethod: String, Sendable, Hashable, Codable {
        case neighbor, footprints
    }

    /// One keep rule: `[property, "larger" | "smaller"]`.
    public struct KeepRule: Sendable, Hashable, Codable {
        /// The attribute compared.
        public var property: String
        /// True for `"larger"` (the larger value is kept), false for `"smaller"`.
        public var keepsLarger: Bool

        /// Creates a keep rule.
        public init(property: String, keepsLarger: Bool) {
            self.property = property
            self.keepsLarger = keepsLarger
        }
    }

    /// The names of the properties staging adds (`prop_*` keys).
    public struct PropertyNames: Sendable, Hashable, Codable {
        /// `prop_area`, default `staging_area`.
        public var area = "staging_area"
        /// `prop_centroid_x`, default `staging_centroid_x`.
        public var centroidX = "staging_centroid_x"
        /// `prop_centroid_y`, default `staging_centroid_y`.
        public var centroidY = "staging_centroid_y"
        /// `prop_filename`, default `staging_filename`.
        public var filename = "staging_filename"
        /// `prop_identifier`, default `staging_identifier`.
        public var identifier = "staging_identifier"
        /// `prop_centroid_tile`, default `staging_centroid_tile`.
        public var centroidTile = "staging_centroid_tile"
        /// `prop_tile`, default `staging_tile`.
        public var tile = "staging_tile"
        /// `prop_centroid_within_tile`, default `staging_centroid_within_tile`.
        public var centroidWithinTile = "staging_centroid_within_tile"
        /// `prop_duplicated`, default `staging_duplicated`.
        public var duplicated = "staging_duplicated"

        /// The defaults.
        public init() {}

        /// All names, in the column order of staged files.
        public var all: [String] {
            [area, centroidX, centroidY, filename, identifier, centroidTile, tile, centroidWithinTile, duplicated]
        }
    }

    /// `dir_input`, default `input`: root searched recursively for inputs.
    public var dirInput = "input"
    /// `ext_input`, default `.shp`: inputs are files whose name ends with this.
    public var extInput = ".shp"
    /// `dir_staged`, default `staged`.
    public var dirStaged = "staged"
    /// `ext_staged`, default `.gpkg`.
    public var extStaged = ".gpkg"
    /// `dir_geotiff`, default `geotiff`.
    public var dirGeotiff = "geotiff"
    /// `dir_web_tiles`, default `web_tiles`.
    public var dirWebTiles = "web_tiles"
    /// `ext_web_tiles`, default `.png`.
    public var extWebTiles = ".png"
    /// `dir_3dtiles`, default `3dtiles`.
    public var dir3DTiles = "3dtiles"
    /// `dir_footprints`, default `footprints`.
    public var dirFootprints = "footprints"
    /// `ext_footprints`, default `.gpkg`.
    public var extFootprints = ".gpkg"
    /// `filename_staging_summary`, default `staging_summary.csv`.
    public var filenameStagingSummary = "staging_summary.csv"
    /// `filename_rasterization_events`, default `rasterization_events.csv`.
    public var filenameRasterizationEvents = "rasterization_events.csv"
    /// `filename_rasters_summary`, default `rasters_summary.csv`.
    public var filenameRastersSummary = "rasters_summary.csv"
    /// `filename_config`, default `config.json`.
    public var filenameConfig = "config.json"
    /// Staging property names (`prop_*`).
    public var properties = PropertyNames()
    /// `input_crs`, default none: assigned (not reprojected) to every input, overriding its own CRS.
    public var inputCRS: String?
    /// `simplify_tolerance`, default 0.0001 (input-CRS units); nil skips simplification.
    public var simplifyTolerance: Double? = 0.0001
    /// `tms_id`, default `WGS1984Quad`; may also be a path to an OGC TileMatrixSet JSON file.
    public var tmsID = "WGS1984Quad"
    /// `tile_path_structure`, default `["style", "tms", "z", "x", "y"]`.
    public var tilePathStructure = ["style", "tms", "z", "x", "y"]
    /// `z_range`, default `[0, 13]`.
    public var zRange = [0, 13]
    /// `tile_size`, default `[256, 256]` (rows, cols).
    public var tileSize = [256, 256]
    /// `statistics`, default PDG's `polygon_count` and `coverage`. Replaced whole by a user list (shallow merge).
    public var statistics: [StatisticConfiguration]
    /// `deduplicate_at`, default none.
    public var deduplicateAt: [DeduplicationStage] = []
    /// `deduplicate_method`, default none.
    public var deduplicateMethod: DeduplicationMethod?
    /// `deduplicate_keep_rules`, default empty.
    public var deduplicateKeepRules: [KeepRule] = []
    /// `deduplicate_overlap_tolerance`, default 0.5 (neighbor only).
    public var deduplicateOverlapTolerance: Double? = 0.5
    /// `deduplicate_overlap_both`, default true (neighbor only).
    public var deduplicateOverlapBoth = true
    /// `deduplicate_centroid_tolerance`, default none (neighbor only).
    public var deduplicateCentroidTolerance: Double?
    /// `deduplicate_distance_crs`, default `EPSG:3857` (neighbor only); nil measures in degrees.
    public var deduplicateDistanceCRS: String? = "EPSG:3857"
    /// `deduplicate_clip_to_footprint`, default true (whenever a method is set).
    public var deduplicateClipToFootprint = true
    /// `deduplicate_clip_method`, default `intersects`; `within` is also honoured (PDG ignores this key).
    public var deduplicateClipMethod = "intersects"
    /// Keys not interpreted here (3D tiles, comments, other tools), kept as written.
    public var additionalKeys: [String: JSONValue] = [:]

    /// The defaults of every key.
    public init() {
        // Decoding the constant defaults cannot fail.
        statistics = StatisticConfiguration.defaults.enumerated().map { index, json in
            try! StatisticConfiguration(json: json, path: "statistics[\(index)]")
        }
    }

    /// Reads a config file (PDG JSON).
    public init(contentsOf path: String) throws(TilingError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TilingError(.invalidConfiguration, "\(path): cannot read config file: \(error.localizedDescription)")
        }
        let json: JSONValue
        do {
            json = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw TilingError(.invalidConfiguration, "\(path): not valid JSON: \(error)")
        }
        do {
            try self.init(json: json)
        } catch {
            throw TilingError(.invalidConfiguration, "\(path): \(error.message)")
        }
    }

    /// Parses a config object: `defaults ∪ json` by top-level key replacement, as PDG does.
    public init(json: JSONValue) throws(TilingError) {
        guard case .object(let object) = json else {
            throw TilingError(.invalidConfiguration, "a config must be a JSON object, found \(json.typeName)")
        }
        self.init()
        var reader = ConfigurationReader(object: object, path: "")
        dirInput = try reader.string("dir_input", default: dirInput)
        extInput = try reader.string("ext_input", default: extInput)
        dirStaged = try reader.string("dir_staged", default: dirStaged)
        extStaged = try reader.string("ext_staged", default: extStaged)
        dirGeotiff = try reader.string("dir_geotiff", default: dirGeotiff)
        dirWebTiles = try reader.string("dir_web_tiles", default: dirWebTiles)
        extWebTiles = try reader.string("ext_web_tiles", default: extWebTiles)
        dir3DTiles = try reader.string("dir_3dtiles", default: dir3DTiles)
        dirFootprints = try reader.string("dir_footprints", default: dirFootprints)
        extFootprints = try reader.string("ext_footprints", default: extFootprints)
        filenameStagingSummary = try reader.string("filename_staging_summary", default: filenameStagingSummary)
        filenameRasterizationEvents = try reader.string("filename_rasterization_events", default: filenameRasterizationEvents)
        filenameRastersSummary = try reader.string("filename_rasters_summary", default: filenameRastersSummary)
        filenameConfig = try reader.string("filename_config", default: filenameConfig)
        properties.area = try reader.string("prop_area", default: properties.area)
        properties.centroidX = try reader.string("prop_centroid_x", default: properties.centroidX)
        properties.centroidY = try reader.string("prop_centroid_y", default: properties.centroidY)
        properties.filename = try reader.string("prop_filename", default: properties.filename)
        properties.identifier = try reader.string("prop_identifier", default: properties.identifier)
        properties.centroidTile = try reader.string("prop_centroid_tile", default: properties.centroidTile)
        properties.tile = try reader.string("prop_tile", default: properties.tile)
        properties.centroidWithinTile = try reader.string("prop_centroid_within_tile", default: properties.centroidWithinTile)
        properties.duplicated = try reader.string("prop_duplicated", default: properties.duplicated)
        if Set(properties.all.map { $0.lowercased() }).count != properties.all.count {
            throw TilingError(.invalidConfiguration, "config keys \"prop_*\" must name distinct properties")
        }
        inputCRS = try reader.optionalString("input_crs", default: nil)
        simplifyTolerance = try reader.optionalNumber("simplify_tolerance", default: simplifyTolerance)
        if let tolerance = simplifyTolerance, !(tolerance >= 0) {
            throw reader.error("simplify_tolerance", "must be >= 0 or null")
        }
        tmsID = try reader.string("tms_id", default: tmsID)
        tilePathStructure = try reader.stringList("tile_path_structure", default: tilePathStructure)
        _ = try TilePathLayout(structure: tilePathStructure, tmsIdentifier: "")
        zRange = try reader.integerPair("z_range", default: zRange)
        guard zRange[0] >= 0, zRange[0] <= zRange[1] else {
            throw reader.error("z_range", "must be [min_z, max_z] with 0 <= min_z <= max_z, found \(zRange)")
        }
        tileSize = try reader.integerPair("tile_size", default: tileSize)
        guard tileSize[0] > 0, tileSize[1] > 0 else { throw reader.error("tile_size", "must be two positive integers") }

        if let raw = reader.take("statistics") {
            guard case .array(let items) = raw else { throw reader.error("statistics", "must be a list of objects") }
            var parsed: [StatisticConfiguration] = []
            for (index, item) in items.enumerated() {
                parsed.append(try StatisticConfiguration(json: item, path: "statistics[\(index)]"))
            }
            if Set(parsed.map(\.name)).count != parsed.count {
                throw reader.error("statistics", "must have unique names")
            }
            statistics = parsed
        }

        if let raw = reader.take("deduplicate_at") {
            switch raw {
            case .null: deduplicateAt = []
            case .array(let items):
                deduplicateAt = []
                for item in items {
                    guard case .string(let text) = item, let stage = DeduplicationStage(rawValue: text) else {
                        throw reader.error("deduplicate_at", "must list only \"staging\", \"raster\", \"3dtiles\"")
                    }
                    deduplicateAt.append(stage)
                }
            default:
                // PDG silently treats a non-list as "never"; that hides typos, so it is an error here.
                throw reader.error("deduplicate_at", "must be a list (for example [\"staging\"]) or null, found \(raw.typeName)")
            }
        }
        if let method = try reader.optionalString("deduplicate_method", default: nil) {
            guard let parsed = DeduplicationMethod(rawValue: method) else {
                throw reader.error("deduplicate_method", "must be \"neighbor\", \"footprints\" or null, found \"\(method)\"")
            }
            deduplicateMethod = parsed
        }
        if let raw = reader.take("deduplicate_keep_rules") {
            switch raw {
            case .null: deduplicateKeepRules = []
            case .array(let items):
                for item in items {
                    guard case .array(let pair) = item, pair.count == 2, case .string(let property) = pair[0],
                        case .string(let operation) = pair[1], ["larger", "smaller"].contains(operation)
                    else {
                        throw reader.error("deduplicate_keep_rules", "must be a list of [property, \"larger\" | \"smaller\"]")
                    }
                    deduplicateKeepRules.append(KeepRule(property: property, keepsLarger: operation == "larger"))
                }
            default: throw reader.error("deduplicate_keep_rules", "must be a list of [property, \"larger\" | \"smaller\"]")
            }
        }
        deduplicateOverlapTolerance = try reader.optionalNumber("deduplicate_overlap_tolerance", default: deduplicateOverlapTolerance)
        deduplicateOverlapBoth = try reader.bool("deduplicate_overlap_both", default: deduplicateOverlapBoth)
        deduplicateCentroidTolerance = try reader.optionalNumber("deduplicate_centroid_tolerance", default: nil)
        deduplicateDistanceCRS = try reader.optionalString("deduplicate_distance_crs", default: deduplicateDistanceCRS)
        deduplicateClipToFootprint = try reader.bool("deduplicate_clip_to_footprint", default: deduplicateClipToFootprint)
        deduplicateClipMethod = try reader.string("deduplicate_clip_method", default: deduplicateClipMethod)
        guard ["intersects", "within"].contains(deduplicateClipMethod) else {
            throw reader.error("deduplicate_clip_method", "must be \"intersects\" or \"within\", found \"\(deduplicateClipMethod)\"")
        }
        if deduplicateMethod == .neighbor, deduplicateKeepRules.isEmpty {
            throw reader.error("deduplicate_keep_rules", "must not be empty when deduplicate_method is \"neighbor\"")
        }
        additionalKeys = reader.object
    }

    // MARK: Derived values

    /// The highest zoom level (`z_range[1]`): the level staged and first rasterized.
    public var maxZoom: Int { zRange[1] }
    /// The lowest zoom level (`z_range[0]`).
    public var minZoom: Int { zRange[0] }

    /// Whether deduplication labels are applied (dropped) at staging.
    public var deduplicatesAtStaging: Bool { deduplicateMethod != nil && deduplicateAt.contains(.staging) }

    /// Whether footprint clipping runs during staging (PDG: clip flag set and any method set).
    public var clipsToFootprint: Bool { deduplicateMethod != nil && deduplicateClipToFootprint }

    /// Whether staged rows carry `staging_duplicated` (any method set).
    public var labelsDuplicates: Bool { deduplicateMethod != nil }

    /// The tile matrix set named by `tms_id` (built-in, or an OGC JSON file path relative to the current directory).
    public func tileMatrixSet() throws(TilingError) -> TileMatrixSet {
        if TileMatrixSet.wellKnownIdentifiers.contains(tmsID) {
            return try TileMatrixSet.wellKnown(tmsID)
        }
        if tmsID.hasSuffix(".json") {
            return try TileMatrixSet(contentsOf: tmsID)
        }
        return try TileMatrixSet.wellKnown(tmsID)
    }

    /// The staged-tile path layout.
    public func stagedTileLayout(tileMatrixSet: TileMatrixSet) throws(TilingError) -> TilePathLayout {
        try TilePathLayout(
            structure: tilePathStructure,
            tmsIdentifier: tileMatrixSet.identifier,
            baseDirectory: dirStaged,
            fileExtension: extStaged
        )
    }

    /// A copy whose relative directories and file names are resolved against `base` (PDG resolves them against
    /// the current directory; tests and embedders use this instead of changing directory).
    public func resolvingPaths(against base: String) -> WorkflowConfiguration {
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
        }
        var copy = self
        copy.dirInput = resolve(dirInput)
        copy.dirStaged = resolve(dirStaged)
        copy.dirGeotiff = resolve(dirGeotiff)
        copy.dirWebTiles = resolve(dirWebTiles)
        copy.dir3DTiles = resolve(dir3DTiles)
        copy.dirFootprints = resolve(dirFootprints)
        copy.filenameStagingSummary = resolve(filenameStagingSummary)
        copy.filenameRasterizationEvents = resolve(filenameRasterizationEvents)
        copy.filenameRastersSummary = resolve(filenameRastersSummary)
        if tmsID.hasSuffix(".json") { copy.tmsID = resolve(tmsID) }
        return copy
    }
}
