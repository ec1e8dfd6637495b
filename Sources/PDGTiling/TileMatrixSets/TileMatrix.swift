/// One zoom level of a tile matrix set, with the numbers of the OGC definition.
///
/// The resolution is derived exactly the way morecantile 3.4 derives it (`scaleDenominator · 0.00028 /
/// metersPerUnit`), so that tile bounds match the Python outputs to the last digit.
public struct TileMatrix: Sendable, Hashable, Codable {
    /// The zoom level.
    public var zoom: Int
    /// The OGC scale denominator, as the decimal literal of the definition.
    public var scaleDenominator: Double
    /// The top-left corner in (x, y) = (easting/longitude, northing/latitude) order, whatever the CRS axis order.
    public var originX: Double
    /// See `originX`.
    public var originY: Double
    /// Tile width in pixels.
    public var tileWidth: Int
    /// Tile height in pixels.
    public var tileHeight: Int
    /// Number of columns.
    public var matrixWidth: Int
    /// Number of rows.
    public var matrixHeight: Int
    /// Units per pixel (`scaleDenominator · 0.00028 / metersPerUnit`).
    public var resolution: Double

    /// Creates a tile matrix.
    /// - Parameters:
    ///   - zoom: Zoom level.
    ///   - scaleDenominator: Scale denominator as written in the definition.
    ///   - originX: Top-left x (longitude or easting).
    ///   - originY: Top-left y (latitude or northing).
    ///   - tileWidth: Tile width in pixels.
    ///   - tileHeight: Tile height in pixels.
    ///   - matrixWidth: Number of columns.
    ///   - matrixHeight: Number of rows.
    ///   - metersPerUnit: Metres per CRS unit (`2π·a/360` for degrees).
    public init(
        zoom: Int,
        scaleDenominator: Double,
        originX: Double,
        originY: Double,
        tileWidth: Int,
        tileHeight: Int,
        matrixWidth: Int,
        matrixHeight: Int,
        metersPerUnit: Double
    ) {
        self.zoom = zoom
        self.scaleDenominator = scaleDenominator
        self.originX = originX
        self.originY = originY
        self.tileWidth = tileWidth
        self.tileHeight = tileHeight
        self.matrixWidth = matrixWidth
        self.matrixHeight = matrixHeight
        // Same operation order as morecantile: (sd * 0.28e-3) / mpu.
        self.resolution = scaleDenominator * 0.28e-3 / metersPerUnit
    }

    /// Width of one tile in CRS units (`res · tileWidth`, morecantile's divisor in point → tile).
    public var tileSpanX: Double { resolution * Double(tileWidth) }
    /// Height of one tile in CRS units.
    public var tileSpanY: Double { resolution * Double(tileHeight) }

    /// The x of the left edge of column `column`, computed as morecantile does: `origin + column · res · width`.
    @inline(__always)
    public func edgeX(_ column: Int) -> Double {
        originX + Double(column) * resolution * Double(tileWidth)
    }

    /// The y of the top edge of row `row`: `origin − row · res · height`.
    @inline(__always)
    public func edgeY(_ row: Int) -> Double {
        originY - Double(row) * resolution * Double(tileHeight)
    }
}
