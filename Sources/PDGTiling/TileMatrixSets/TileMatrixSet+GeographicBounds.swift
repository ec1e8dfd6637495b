import CVizGDAL

extension TileMatrixSet {
    /// A box in the set's CRS as longitude/latitude (CRS84) bounds, for WMTS `WGS84BoundingBox`.
    ///
    /// PROJ densifies the edges (21 points each) and accounts for a pole inside the box, so a polar tile comes out
    /// as the latitude band it really covers, not the hull of its four corners.
    public func geographicBounds(of box: BoundingBox) throws(TilingError) -> BoundingBox {
        let source = try SpatialReference(definition: crs)
        if source.isGeographic { return box }
        let target = try SpatialReference(definition: "OGC:CRS84")
        let transformation = try CoordinateTransformation(from: source, to: target, description: "\(crs) → OGC:CRS84")
        return try transformation.transformBounds(box)
    }
}

extension CoordinateTransformation {
    /// `OCTTransformBounds` with 21 points per edge.
    func transformBounds(_ box: BoundingBox) throws(TilingError) -> BoundingBox {
        var left = 0.0
        var bottom = 0.0
        var right = 0.0
        var top = 0.0
        guard OCTTransformBounds(handle, box.left, box.bottom, box.right, box.top, &left, &bottom, &right, &top, 21) != 0,
            left.isFinite, bottom.isFinite, right.isFinite, top.isFinite
        else {
            throw TilingError(.projection, "cannot transform the bounds \(box): \(GDALLibrary.lastErrorMessage())")
        }
        return BoundingBox(left: left, bottom: bottom, right: right, top: top)
    }
}
