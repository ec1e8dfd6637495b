import PDGTiling

/// The pixel grid of one tile as pdgraster builds it: `tile_size` rows × columns over the tile's exact bounds, with
/// fences from `numpy.linspace` (so centroid → pixel decisions match the Python output bit for bit).
public struct PixelGrid: Sendable, Hashable, Codable {
    /// The tile bounds (morecantile numerics, float noise included).
    public var bounds: BoundingBox
    /// Number of rows (`tile_size[0]`).
    public var rows: Int
    /// Number of columns (`tile_size[1]`).
    public var columns: Int
    /// Column fences `c_0 … c_columns` (west → east), as `linspace(left, right, columns + 1)`.
    public var columnFences: [Double]
    /// Row fences `r_0 … r_rows` (north → south), as `linspace(bottom, top, rows + 1)` reversed.
    public var rowFences: [Double]

    /// Builds the grid of a tile.
    public init(bounds: BoundingBox, rows: Int, columns: Int) {
        self.bounds = bounds
        self.rows = rows
        self.columns = columns
        columnFences = Self.linspace(bounds.left, bounds.right, columns + 1)
        rowFences = Self.linspace(bounds.bottom, bounds.top, rows + 1).reversed()
    }

    /// Pixel width used for the pixel-space mapping and the GeoTIFF geotransform: `(right − left) / columns`.
    public var pixelWidth: Double { (bounds.right - bounds.left) / Double(columns) }
    /// Pixel height: `(top − bottom) / rows`.
    public var pixelHeight: Double { (bounds.top - bounds.bottom) / Double(rows) }

    /// pdgraster's pixel area `|(r_0 − r_1) · (c_1 − c_0)|` (deg²), the divisor of `area_per_pixel_area`.
    public var fencePixelArea: Double { abs((rowFences[0] - rowFences[1]) * (columnFences[1] - columnFences[0])) }

    /// GDAL geotransform (rasterio `from_bounds`): origin (left, top), pixel width, −pixel height.
    public var geoTransform: [Double] {
        [bounds.left, pixelWidth, 0, bounds.top, 0, -pixelHeight]
    }

    /// The pixel (row, column) owning a point under pdgraster's rule — `searchsorted` on the fences, so a pixel
    /// owns x ∈ (c_j, c_j+1] and y ∈ [r_i+1, r_i); ties go west and north — or nil when outside the tile.
    @inline(__always)
    public func pixel(containingX x: Double, y: Double) -> (row: Int, column: Int)? {
        // col = (number of fences < x) − 1; start from the arithmetic guess and correct against the real fences.
        var column = Int(((x - bounds.left) / pixelWidth).rounded(.down))
        column = min(max(column, -1), columns)
        while column >= 0, !(columnFences[column] < x) { column -= 1 }
        while column + 1 <= columns, columnFences[column + 1] < x { column += 1 }
        guard column >= 0, column < columns else { return nil }
        // row = (number of row fences > y) − 1.
        var row = Int(((bounds.top - y) / pixelHeight).rounded(.down))
        row = min(max(row, -1), rows)
        while row >= 0, !(rowFences[row] > y) { row -= 1 }
        while row + 1 <= rows, rowFences[row + 1] > y { row += 1 }
        guard row >= 0, row < rows else { return nil }
        return (row, column)
    }

    /// `numpy.linspace(start, stop, count)`: `i · step + start`, last element exactly `stop`.
    static func linspace(_ start: Double, _ stop: Double, _ count: Int) -> [Double] {
        let step = (stop - start) / Double(count - 1)
        var values = (0..<count).map { Double($0) * step + start }
        values[count - 1] = stop
        return values
    }
}
