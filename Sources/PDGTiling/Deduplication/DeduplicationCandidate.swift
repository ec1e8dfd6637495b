/// A row as deduplication sees it: its file, its position, its polygon and the values keep rules compare.
struct DeduplicationCandidate {
    /// `staging_filename`.
    var filename: String
    /// Position of the polygon in its input (tie-breaker after the filename).
    var sequence: UInt64
    /// The polygon in the TMS CRS.
    var polygon: Polygon
    /// Its bounding box.
    var boundingBox: BoundingBox
    /// `staging_area`.
    var area: Double
    /// `staging_centroid_x/y`.
    var centroidX: Double
    var centroidY: Double
    /// Values of the keep-rule properties, in rule order.
    var keepValues: [FieldValue]
    /// True when already labelled duplicated (by footprint clipping).
    var alreadyDuplicated: Bool
}
