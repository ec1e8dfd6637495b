/// Labels polygons outside their input's footprint (PDG "clip to footprint", spec §6.3), in the input CRS.
///
/// A polygon is kept (`staging_duplicated = false`) when it intersects any footprint polygon (or, with
/// `deduplicate_clip_method = "within"`, lies inside one). Unlike pdgstaging, a polygon touching several footprint
/// polygons yields one row, not one per footprint polygon.
struct FootprintClipper {
    private let prepared: [(box: BoundingBox, geometry: PreparedEngineGeometry)]
    private let within: Bool

    init(footprint: FootprintLayer, engine: GeometryEngine, method: String) throws(TilingError) {
        var prepared: [(box: BoundingBox, geometry: PreparedEngineGeometry)] = []
        for entry in footprint.polygons {
            prepared.append((entry.polygon.boundingBox, try engine.makePolygon(entry.polygon).prepared()))
        }
        self.prepared = prepared
        within = method == "within"
    }

    /// Whether the polygon is inside the footprint (is kept).
    func keeps(_ geometry: EngineGeometry, boundingBox: BoundingBox) -> Bool {
        for entry in prepared where entry.box.intersects(boundingBox) {
            if within ? entry.geometry.contains(geometry) : entry.geometry.intersects(geometry) {
                return true
            }
        }
        return false
    }
}
