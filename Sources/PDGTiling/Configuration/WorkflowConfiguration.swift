import Foundation

/// A PDG workflow configuration (the JSON files pdgstaging/pdgraster read), with PDG's keys and defaults.
///
/// Every key of pdgstaging 0.9.x and pdgworkflow 1.1.0 is either honoured or answered with a warning that says
/// why it is not (3D tiles are not made here). Unknown keys give a warning naming the closest known key
/// ("`dir_staged_remote` is not a key; did you mean `dir_staged`?"); with `strict`, every warning is an error. Keys
/// not interpreted are kept in ``additionalKeys``, so that writing the configuration back loses nothing. Ill-typed
/// or unsupported values throw `TilingError.invalidConfiguration` naming the key. docs/compatibility.md lists
/// every key.
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
    /// `filename_config`, default `config.json` (relative to the run directory; PDG defaults it to the config
    /// file's own path, which would write beside a possibly read-only parameters folder): the updated
    /// configuration goes to `<stem>__updated<ext>`.
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
    /// `title` (pdgworkflow 1.1.0), default none: the WMTS service title.
    public var title: String?
    /// `doi` (pdgworkflow 1.1.0), default none: the dataset DOI, the WMTS path component after the base URL.
    public var doi: String?
    /// `overwrite` (pdgworkflow 1.1.0), default false: when false, outputs that exist and are valid are kept.
    public var overwrite = false
    /// `enable_stager` (1.1.0), default true: false starts from the staged tiles already in `dir_staged`.
    public var enableStager = true
    /// `enable_raster` (1.1.0), default true: the GeoTIFFs of `max_z`.
    public var enableRaster = true
    /// `enable_raster_parents` (1.1.0), default true: the parent GeoTIFFs below `max_z`.
    public var enableRasterParents = true
    /// `enable_web_tiles` (1.1.0), default true: web tiles of `max_z`.
    public var enableWebTiles = true
    /// `enable_web_tiles_parents` (1.1.0), default true: web tiles of the parent levels.
    public var enableWebTilesParents = true
    /// `generate_wmtsCapabilities` (1.1.0), default true: `WMTSCapabilities.xml` in `dir_web_tiles`.
    public var generateWMTSCapabilities = true
    /// Keys not interpreted here (3D tiles, comments, other tools), kept as written.
    public var additionalKeys: [String: JSONValue] = [:]

    /// Keys of PDG's 3D-tiles step; this project makes no 3D tiles, so each gives a warning when present.
    public static let threeDTilesKeys = ["dir_3dtiles", "version", "geometricError", "z_coord", "enable_3dtiles"]

    /// The defaults of every key.
    public init() {
        // Decoding the constant defaults cannot fail.
        statistics = StatisticConfiguration.defaults.enumerated().map { index, json in
            var unknown: [ConfigurationObject.UnknownKey] = []
            return try! StatisticConfiguration(json: json, path: "statistics[\(index)]", unknownKeys: &unknown)
        }
    }

    /// Reads a config file (PDG JSON), dropping warnings; commands use
    /// ``init(contentsOf:strict:warnings:)`` and print them.
    public init(contentsOf path: String) throws(TilingError) {
        var warnings: [String] = []
        try self.init(contentsOf: path, strict: false, warnings: &warnings)
    }

    /// Reads a config file (PDG JSON); warnings (unknown keys, keys whose feature is not made) are appended to
    /// `warnings`, or thrown together as one error when `strict`.
    public init(contentsOf path: String, strict: Bool, warnings: inout [String]) throws(TilingError) {
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
        var found: [String] = []
        do {
            try self.init(json: json, strict: strict, warnings: &found)
        } catch {
            throw TilingError(.invalidConfiguration, "\(path): \(error.message)")
        }
        warnings += found.map { "\(path): \($0)" }
    }

    /// Parses a config object (warnings dropped). See ``init(json:strict:warnings:)``.
    public init(json: JSONValue) throws(TilingError) {
        var warnings: [String] = []
        try self.init(json: json, strict: false, warnings: &warnings)
    }

    /// Parses a config object: `defaults ∪ json` by top-level key replacement, as PDG does. Unknown keys and keys
    /// of features not made here are appended to `warnings`, or, when `strict`, thrown as one error listing them.
    public init(json: JSONValue, strict: Bool, warnings: inout [String]) throws(TilingError) {
        guard case .object(let object) = json else {
            throw TilingError(.invalidConfiguration, "a config must be a JSON object, found \(json.typeName)")
        }
        self.init()
        let reader = ConfigurationReader(object: object, path: "")
        var unknown: [ConfigurationObject.UnknownKey] = []
        dirInput = try reader.string("dir_input", default: dirInput)
        extInput = try reader.string("ext_input", default: extInput)
        dirStaged = try reader.string("dir_staged", default: dirStaged)
        extStaged = try reader.string("ext_staged", default: extStaged)
        dirGeotiff = try reader.string("dir_geotiff", default: dirGeotiff)
        dirWebTiles = try reader.string("dir_web_tiles", default: dirWebTiles)
        extWebTiles = try reader.string("ext_web_tiles", default: extWebTiles)
        // The extension decides the image format; one this project cannot write is refused now, not after rasterizing.
        guard [".png", ".jpg", ".jpeg", ".webp"].contains(extWebTiles.lowercased()) else {
            throw reader.error("ext_web_tiles", "must be .png, .jpg, .jpeg or .webp (the web tile format), found \"\(extWebTiles)\"")
        }
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
                parsed.append(try StatisticConfiguration(json: item, path: "statistics[\(index)]", unknownKeys: &unknown))
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
        title = try reader.optionalString("title", default: nil)
        doi = try reader.optionalString("doi", default: nil)
        overwrite = try reader.bool("overwrite", default: overwrite)
        enableStager = try reader.bool("enable_stager", default: enableStager)
        enableRaster = try reader.bool("enable_raster", default: enableRaster)
        enableRasterParents = try reader.bool("enable_raster_parents", default: enableRasterParents)
        enableWebTiles = try reader.bool("enable_web_tiles", default: enableWebTiles)
        enableWebTilesParents = try reader.bool("enable_web_tiles_parents", default: enableWebTilesParents)
        generateWMTSCapabilities = try reader.bool("generate_wmtsCapabilities", default: generateWMTSCapabilities)

        var found: [String] = []
        // 3D tiles: recognised, kept for writing back, and said plainly to do nothing here (values that ask for
        // nothing, such as PDG's defaults or `enable_3dtiles: false`, pass silently).
        let inert: [String: JSONValue] = [
            "dir_3dtiles": .string("3dtiles"), "version": .null, "geometricError": .null, "z_coord": .number(0), "enable_3dtiles": .bool(false),
        ]
        for key in Self.threeDTilesKeys {
            guard let value = object[key], value != inert[key] else { continue }
            found.append("`\(key)` configures 3D tiles, which this project does not make; it is ignored")
        }
        if deduplicateAt.contains(.threeDTiles) {
            found.append("`deduplicate_at` lists \"3dtiles\", but this project makes no 3D tiles; that entry is ignored")
        }
        additionalKeys = reader.unreadValues()
        reader.allow(Self.threeDTilesKeys.filter { $0 != "dir_3dtiles" })
        unknown = reader.unknownKeys() + unknown
        found += unknown.map(\.description)
        if strict, !found.isEmpty {
            throw TilingError(.invalidConfiguration, "strict configuration: " + found.joined(separator: "; "))
        }
        warnings += found
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

    /// The tile matrix set named by `tms_id`: a built-in set, an OGC JSON file path (relative to the current
    /// directory), or the id of a set in `$TILEMATRIXSET_DIRECTORY` (`<id>.json`, OGC TMS 2.0 or 1.0 JSON), the
    /// directory PDG 1.x (morecantile) reads custom sets from.
    public func tileMatrixSet() throws(TilingError) -> TileMatrixSet {
        // Called several times per tile: the environment is read only for a set that is neither built in nor a file.
        if TileMatrixSet.wellKnownIdentifiers.contains(tmsID) || tmsID.hasSuffix(".json") {
            return try tileMatrixSet(customDirectory: nil)
        }
        return try tileMatrixSet(customDirectory: ProcessInfo.processInfo.environment["TILEMATRIXSET_DIRECTORY"])
    }

    /// ``tileMatrixSet()`` with the custom-set directory given (tests need not change the process environment).
    func tileMatrixSet(customDirectory directory: String?) throws(TilingError) -> TileMatrixSet {
        if TileMatrixSet.wellKnownIdentifiers.contains(tmsID) {
            return try TileMatrixSet.wellKnown(tmsID)
        }
        if tmsID.hasSuffix(".json") {
            return try TileMatrixSet(contentsOf: tmsID)
        }
        if let path = Self.tileMatrixSetFile(id: tmsID, directory: directory) {
            let set = try TileMatrixSet(contentsOf: path)
            guard set.identifier == tmsID else {
                throw TilingError(.invalidTileMatrixSet, "\(path): its id is \"\(set.identifier)\", not the tms_id \"\(tmsID)\"")
            }
            return set
        }
        do {
            return try TileMatrixSet.wellKnown(tmsID)
        } catch {
            throw TilingError(
                .unknownTileMatrixSet,
                error.message + (directory.map { "; no \($0)/\(tmsID).json either" } ?? "; set TILEMATRIXSET_DIRECTORY to a folder of custom sets")
            )
        }
    }

    /// `<directory>/<id>.json` (directory: `$TILEMATRIXSET_DIRECTORY`) when it exists.
    static func tileMatrixSetFile(id: String, directory: String? = ProcessInfo.processInfo.environment["TILEMATRIXSET_DIRECTORY"]) -> String? {
        guard let directory, !directory.isEmpty, !id.contains("/") else {
            return nil
        }
        let path = (directory as NSString).appendingPathComponent(id + ".json")
        return FileManager.default.fileExists(atPath: path) ? path : nil
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
        copy.filenameConfig = resolve(filenameConfig)
        if tmsID.hasSuffix(".json") { copy.tmsID = resolve(tmsID) }
        // A custom set by id: workers get the file's path, so they need not share the leader's environment.
        if !TileMatrixSet.wellKnownIdentifiers.contains(tmsID), let path = Self.tileMatrixSetFile(id: tmsID) { copy.tmsID = resolve(path) }
        return copy
    }
}
