/// The one error type of the `Tiling` module.
///
/// `code` says what kind of failure it is (switch on it or compare it); `message` names the file, key or tile
/// involved so that a per-file report can be read without the stack.
public struct TilingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A kind of tiling failure. A struct with static values rather than an enum so that codes can be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Kind: String, Sendable, Hashable {
            case invalidConfiguration
            case unknownTileMatrixSet
            case invalidTileMatrixSet
            case invalidTile
            case invalidTilePath
            case inputUnreadable
            case inputMissingCompanion
            case inputMissingCRS
            case inputEmpty
            case invalidGeometry
            case malformedGeometry
            case footprintMissing
            case footprintUnreadable
            case projection
            case geometryEngine
            case writeFailed
            case shardCorrupt
            case deduplication
        }

        private let kind: Kind

        private init(_ kind: Kind) { self.kind = kind }

        /// A configuration key is missing, has the wrong type or an unsupported value.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// `tms_id` names no built-in tile matrix set and no readable definition file.
        public static let unknownTileMatrixSet = Code(.unknownTileMatrixSet)
        /// An OGC TileMatrixSet JSON document could not be used.
        public static let invalidTileMatrixSet = Code(.invalidTileMatrixSet)
        /// A tile index is outside its tile matrix.
        public static let invalidTile = Code(.invalidTile)
        /// A path could not be parsed back into a tile.
        public static let invalidTilePath = Code(.invalidTilePath)
        /// GDAL could not open or read an input file.
        public static let inputUnreadable = Code(.inputUnreadable)
        /// A shapefile lacks a required companion file (.dbf, .prj).
        public static let inputMissingCompanion = Code(.inputMissingCompanion)
        /// An input has no CRS and the configuration sets no `input_crs`.
        public static let inputMissingCRS = Code(.inputMissingCRS)
        /// An input layer has no features.
        public static let inputEmpty = Code(.inputEmpty)
        /// A geometry could not be read (too few points, non-finite coordinates).
        public static let invalidGeometry = Code(.invalidGeometry)
        /// A stored geometry blob (GeoPackage header or WKB) is malformed.
        public static let malformedGeometry = Code(.malformedGeometry)
        /// Footprint clipping or deduplication needs a footprint file that does not exist.
        public static let footprintMissing = Code(.footprintMissing)
        /// A footprint file exists but could not be read.
        public static let footprintUnreadable = Code(.footprintUnreadable)
        /// A CRS could not be parsed or a transformation failed.
        public static let projection = Code(.projection)
        /// GEOS reported an error.
        public static let geometryEngine = Code(.geometryEngine)
        /// An output file could not be written.
        public static let writeFailed = Code(.writeFailed)
        /// A staging shard file is truncated or has an unknown format.
        public static let shardCorrupt = Code(.shardCorrupt)
        /// Deduplication could not run (for example, missing keep rules or keep-rule properties).
        public static let deduplication = Code(.deduplication)

        public var description: String { kind.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable message naming the file, key or tile involved.
    public var message: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: What went wrong, naming the file, key or tile.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
