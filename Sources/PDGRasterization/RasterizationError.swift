/// The one error type of the `Rasterization` module.
///
/// `code` says what kind of failure it is; `message` names the file, tile or band involved, so that a batch report
/// can be read without a stack trace.
public struct RasterizationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A kind of rasterization failure (a struct with static values so that codes can be added).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The configuration cannot be used for rasterization (unknown method, bad palette, …).
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// A staged tile could not be read (missing, not a GeoPackage, bad geometry blob).
        public static let stagedTileUnreadable = Code("stagedTileUnreadable")
        /// A staged tile holds a geometry that is not a polygon.
        public static let invalidGeometry = Code("invalidGeometry")
        /// A GeoTIFF could not be read.
        public static let rasterUnreadable = Code("rasterUnreadable")
        /// No child GeoTIFF exists for a parent tile.
        public static let missingChildren = Code("missingChildren")
        /// An output file could not be written.
        public static let writeFailed = Code("writeFailed")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A message naming the file, tile or band involved.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
