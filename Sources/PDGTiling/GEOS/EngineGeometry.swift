import CVizGEOS

/// An owned GEOS geometry, valid while its ``GeometryEngine`` lives (the engine is retained).
final class EngineGeometry {
    let engine: GeometryEngine
    let handle: OpaquePointer

    init(engine: GeometryEngine, handle: OpaquePointer) {
        self.engine = engine
        self.handle = handle
    }

    deinit {
        GEOSGeom_destroy_r(engine.context, handle)
    }

    private var context: GEOSContextHandle_t { engine.context }

    /// Whether the two geometries share a point.
    func intersects(_ other: EngineGeometry) -> Bool {
        GEOSIntersects_r(context, handle, other.handle) == 1
    }

    /// The intersection (may be empty or of lower dimension).
    func intersection(_ other: EngineGeometry) throws(TilingError) -> EngineGeometry {
        guard let result = GEOSIntersection_r(context, handle, other.handle) else {
            throw TilingError(.geometryEngine, "intersection failed")
        }
        return EngineGeometry(engine: engine, handle: result)
    }

    /// Planar area (zero for points and lines).
    var area: Double {
        var value = 0.0
        GEOSArea_r(context, handle, &value)
        return value
    }

    /// Whether the geometry is empty.
    var isEmpty: Bool { GEOSisEmpty_r(context, handle) == 1 }

    /// A prepared version for repeated predicates against many geometries.
    func prepared() throws(TilingError) -> PreparedEngineGeometry {
        guard let prepared = GEOSPrepare_r(context, handle) else {
            throw TilingError(.geometryEngine, "prepare failed")
        }
        return PreparedEngineGeometry(base: self, handle: prepared)
    }

    /// The polygons of this geometry (a polygon gives itself; collections give their polygonal members).
    func polygons() throws(TilingError) -> [Polygon] {
        let type = GEOSGeomTypeId_r(context, handle)
        if type == Int32(GEOS_POLYGON.rawValue) {
            return [try polygon(of: handle)]
        }
        if type == Int32(GEOS_MULTIPOLYGON.rawValue) || type == Int32(GEOS_GEOMETRYCOLLECTION.rawValue) {
            var result: [Polygon] = []
            let count = GEOSGetNumGeometries_r(context, handle)
            for index in 0..<max(count, 0) {
                guard let member = GEOSGetGeometryN_r(context, handle, index) else { continue }
                if GEOSGeomTypeId_r(context, member) == Int32(GEOS_POLYGON.rawValue) {
                    result.append(try polygon(of: member))
                }
            }
            return result
        }
        return []
    }

    private func polygon(of member: OpaquePointer) throws(TilingError) -> Polygon {
        guard let shell = GEOSGetExteriorRing_r(context, member) else {
            throw TilingError(.geometryEngine, "polygon without shell")
        }
        var rings = [try engine.coordinates(ofRing: shell)]
        let holes = GEOSGetNumInteriorRings_r(context, member)
        for index in 0..<max(holes, 0) {
            if let hole = GEOSGetInteriorRingN_r(context, member, index) {
                rings.append(try engine.coordinates(ofRing: hole))
            }
        }
        return Polygon(rings: rings)
    }
}

/// An owned prepared GEOS geometry (fast repeated `intersects`).
final class PreparedEngineGeometry {
    let base: EngineGeometry
    let handle: OpaquePointer

    init(base: EngineGeometry, handle: OpaquePointer) {
        self.base = base
        self.handle = handle
    }

    deinit {
        GEOSPreparedGeom_destroy_r(base.engine.context, handle)
    }

    /// Whether `other` shares a point with the prepared geometry.
    func intersects(_ other: EngineGeometry) -> Bool {
        GEOSPreparedIntersects_r(base.engine.context, handle, other.handle) == 1
    }

    /// Whether `other` lies inside the prepared geometry.
    func contains(_ other: EngineGeometry) -> Bool {
        GEOSPreparedContains_r(base.engine.context, handle, other.handle) == 1
    }
}
