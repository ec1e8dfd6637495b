import Foundation

/// A tile matrix set (OGC 17-083): a CRS plus one tile matrix per zoom level.
///
/// Built-in sets come from ``TileMatrixSet/wellKnown(_:)``; others are loaded from OGC TileMatrixSet JSON with
/// ``TileMatrixSet/init(ogcJSON:)``. All coordinates are handled in (x, y) = (longitude/easting, latitude/northing)
/// order, the "traditional GIS order" used everywhere in this module.
///
/// ```swift
/// let tms = try TileMatrixSet.wellKnown("WorldCRS84Quad")
/// let tile = tms.tile(containingX: -148.82, y: 70.02, zoom: 13)   // Tile(x=1419, y=909, z=13)
/// let bounds = try tms.bounds(of: tile)
/// ```
public struct TileMatrixSet: Sendable, Hashable, Codable {
    /// The identifier, used as the `tms` path component.
    public var identifier: String
    /// The CRS as a string GDAL understands (`OGC:CRS84`, `EPSG:4326`, a URN, or WKT).
    public var crs: String
    /// The tile matrices, indexed by zoom level (element `z` is zoom `z`).
    public var matrices: [TileMatrix]

    /// Creates a set from its matrices; `matrices[z].zoom` must be `z`.
    public init(identifier: String, crs: String, matrices: [TileMatrix]) {
        self.identifier = identifier
        self.crs = crs
        self.matrices = matrices
    }

    /// The matrix for a zoom level.
    /// - Throws: `TilingError.invalidTile` when the set has no such level.
    public func matrix(zoom: Int) throws(TilingError) -> TileMatrix {
        guard zoom >= 0, zoom < matrices.count else {
            throw TilingError(.invalidTile, "tile matrix set \(identifier) has no zoom level \(zoom) (0…\(matrices.count - 1))")
        }
        return matrices[zoom]
    }

    /// The bounds of a tile, computed as the upper-left corners of (x, y) and (x+1, y+1) exactly as morecantile
    /// does, so they carry the same float noise as the Python outputs.
    public func bounds(of tile: TileIndex) throws(TilingError) -> BoundingBox {
        let matrix = try matrix(zoom: tile.z)
        return Self.bounds(of: tile, in: matrix)
    }

    /// Bounds of `tile` in an already looked-up matrix (hot path).
    @inline(__always)
    public static func bounds(of tile: TileIndex, in matrix: TileMatrix) -> BoundingBox {
        BoundingBox(
            left: matrix.edgeX(tile.x),
            bottom: matrix.edgeY(tile.y + 1),
            right: matrix.edgeX(tile.x + 1),
            top: matrix.edgeY(tile.y)
        )
    }

    /// The tile containing a point, as morecantile's `_tile`: `floor((x − originX) / span)`.
    ///
    /// Unlike morecantile (which clamps to `matrixWidth`/`matrixHeight`, one past the last tile), the result is
    /// clamped to the last existing column/row.
    public func tile(containingX x: Double, y: Double, zoom: Int) throws(TilingError) -> TileIndex {
        let matrix = try matrix(zoom: zoom)
        return Self.tile(containingX: x, y: y, in: matrix)
    }

    /// Point → tile in an already looked-up matrix (hot path). See ``tile(containingX:y:zoom:)``.
    @inline(__always)
    public static func tile(containingX x: Double, y: Double, in matrix: TileMatrix) -> TileIndex {
        let column = x.isInfinite ? 0 : ((x - matrix.originX) / matrix.tileSpanX).rounded(.down)
        let row = y.isInfinite ? 0 : ((matrix.originY - y) / matrix.tileSpanY).rounded(.down)
        return TileIndex(
            x: clamp(column, upper: matrix.matrixWidth - 1),
            y: clamp(row, upper: matrix.matrixHeight - 1),
            z: matrix.zoom
        )
    }

    /// The tile owning a point under PDG's staging tie rule: a tile owns (left, right] × (bottom, top], so a point
    /// on a vertical edge belongs to the western tile and a point on a horizontal edge to the southern tile.
    ///
    /// This is the rule of pdgstaging's covering-grid fence search (spec §5.4), applied on the morecantile edges.
    @inline(__always)
    public static func stagingTile(containingX x: Double, y: Double, in matrix: TileMatrix) -> TileIndex {
        var tile = tile(containingX: x, y: y, in: matrix)
        // Move across an edge when the floor division disagrees with the tie rule or the float edges.
        if tile.x > 0, x <= matrix.edgeX(tile.x) { tile.x -= 1 } else if tile.x < matrix.matrixWidth - 1, x > matrix.edgeX(tile.x + 1) { tile.x += 1 }
        if tile.y < matrix.matrixHeight - 1, y <= matrix.edgeY(tile.y + 1) { tile.y += 1 } else if tile.y > 0, y > matrix.edgeY(tile.y) { tile.y -= 1 }
        return tile
    }

    /// Whether the tile exists in this set.
    public func contains(_ tile: TileIndex) -> Bool {
        guard tile.z >= 0, tile.z < matrices.count else { return false }
        let matrix = matrices[tile.z]
        return tile.x >= 0 && tile.y >= 0 && tile.x < matrix.matrixWidth && tile.y < matrix.matrixHeight
    }

    /// The bounds of the whole set at a zoom level (upper-left of (0,0) to upper-left of (W,H)).
    public func worldBounds(zoom: Int) throws(TilingError) -> BoundingBox {
        let matrix = try matrix(zoom: zoom)
        return BoundingBox(
            left: matrix.edgeX(0),
            bottom: matrix.edgeY(matrix.matrixHeight),
            right: matrix.edgeX(matrix.matrixWidth),
            top: matrix.edgeY(0)
        )
    }

    @inline(__always)
    private static func clamp(_ value: Double, upper: Int) -> Int {
        if !(value > 0) { return 0 }
        if value >= Double(upper) { return upper }
        return Int(value)
    }
}
