/// One polygon in one staged tile, before the tile file is written: the input's attributes, the geometry in the
/// TMS CRS and the staging properties that do not depend on the tile.
struct StagedRow: Sendable {
    /// Position of the polygon in its input (feature order, then MultiPolygon part order): the row order key.
    var sequence: UInt64
    /// Attribute values, aligned with the shard's fields.
    var values: [FieldValue]
    /// Planar area in the TMS CRS (`staging_area`).
    var area: Double
    /// Planar centroid x (`staging_centroid_x`).
    var centroidX: Double
    /// Planar centroid y (`staging_centroid_y`).
    var centroidY: Double
    /// `staging_identifier`.
    var identifier: String
    /// `staging_centroid_tile`.
    var centroidTile: TileIndex
    /// `staging_duplicated` as labelled by footprint clipping; nil when no dedup method is configured.
    var duplicated: Bool?
    /// The polygon in the TMS CRS.
    var polygon: Polygon
}

/// What a shard file says about itself.
struct ShardHeader: Sendable, Codable {
    /// Format version.
    var version: Int
    /// `staging_filename` of the input.
    var filename: String
    /// The tile the rows belong to.
    var tile: TileIndex
    /// The input's attribute columns.
    var fields: [FieldDefinition]
}
