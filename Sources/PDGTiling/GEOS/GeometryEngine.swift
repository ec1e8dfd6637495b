import CVizGEOS

/// A GEOS context owned by one task (GEOS contexts are not shared between threads), with the few operations
/// staging and deduplication need. Geometries it creates are ``EngineGeometry`` values tied to this engine.
final class GeometryEngine {
    let context: GEOSContextHandle_t

    init() throws(TilingError) {
        guard let context = GEOS_init_r() else {
            throw TilingError(.geometryEngine, "GEOS_init_r failed")
        }
        self.context = context
        // GEOS reports errors through return values; its messages would only go to stderr.
        GEOSContext_setErrorMessageHandler_r(context, { _, _ in }, nil)
        GEOSContext_setNoticeMessageHandler_r(context, { _, _ in }, nil)
    }

    deinit {
        GEOS_finish_r(context)
    }

    /// Builds a GEOS polygon from plain coordinates.
    func makePolygon(_ polygon: Polygon) throws(TilingError) -> EngineGeometry {
        guard let shell = try makeRing(polygon.rings[0]) else {
            throw TilingError(.geometryEngine, "could not build a polygon shell")
        }
        var holes: [OpaquePointer?] = []
        for ring in polygon.rings.dropFirst() {
            guard let hole = try makeRing(ring) else {
                GEOSGeom_destroy_r(context, shell)
                for made in holes { GEOSGeom_destroy_r(context, made) }
                throw TilingError(.geometryEngine, "could not build a polygon hole")
            }
            holes.append(hole)
        }
        let made = holes.withUnsafeMutableBufferPointer { buffer in
            GEOSGeom_createPolygon_r(context, shell, buffer.baseAddress, UInt32(buffer.count))
        }
        guard let made else { throw TilingError(.geometryEngine, "could not build a polygon") }
        return EngineGeometry(engine: self, handle: made)
    }

    private func makeRing(_ ring: [Double]) throws(TilingError) -> OpaquePointer? {
        let sequence = ring.withUnsafeBufferPointer { buffer in
            GEOSCoordSeq_copyFromBuffer_r(context, buffer.baseAddress, UInt32(ring.count / 2), 0, 0)
        }
        guard let sequence else { return nil }
        return GEOSGeom_createLinearRing_r(context, sequence)
    }

    /// Douglas–Peucker, topology-preserving variant (shapely `simplify(tol, preserve_topology=True)`).
    func simplifyPreservingTopology(_ polygon: Polygon, tolerance: Double) throws(TilingError) -> EngineGeometry {
        let geometry = try makePolygon(polygon)
        guard let simplified = GEOSTopologyPreserveSimplify_r(context, geometry.handle, tolerance) else {
            throw TilingError(.geometryEngine, "simplification failed")
        }
        return EngineGeometry(engine: self, handle: simplified)
    }

    /// Whether a polygon is valid (OGC simple features: no self-intersection, closed non-degenerate rings …);
    /// nil with GEOS's reason when it is not.
    func invalidityReason(_ geometry: EngineGeometry) -> String? {
        guard GEOSisValid_r(context, geometry.handle) != 1 else { return nil }
        guard let reason = GEOSisValidReason_r(context, geometry.handle) else { return "invalid geometry" }
        defer { GEOSFree_r(context, reason) }
        return String(cString: reason)
    }

    /// GEOS's make-valid (the `linework` method, as shapely's `make_valid`): a bow-tie becomes its two triangles.
    func makeValid(_ geometry: EngineGeometry) throws(TilingError) -> EngineGeometry {
        guard let valid = GEOSMakeValid_r(context, geometry.handle) else {
            throw TilingError(.geometryEngine, "make-valid failed")
        }
        return EngineGeometry(engine: self, handle: valid)
    }

    /// Reads a GEOS ring's coordinates into an interleaved array.
    func coordinates(ofRing ring: OpaquePointer) throws(TilingError) -> [Double] {
        guard let sequence = GEOSGeom_getCoordSeq_r(context, ring) else {
            throw TilingError(.geometryEngine, "ring without coordinates")
        }
        var size: UInt32 = 0
        GEOSCoordSeq_getSize_r(context, sequence, &size)
        var coordinates = [Double](repeating: 0, count: Int(size) * 2)
        let ok = coordinates.withUnsafeMutableBufferPointer { buffer in
            GEOSCoordSeq_copyToBuffer_r(context, sequence, buffer.baseAddress, 0, 0)
        }
        guard ok != 0 else { throw TilingError(.geometryEngine, "could not read ring coordinates") }
        return coordinates
    }
}
