import CVizGDAL

/// An owned OGR spatial reference, always in traditional GIS axis order (x = longitude/easting).
final class SpatialReference {
    let handle: OGRSpatialReferenceH

    /// Parses any definition `OSRSetFromUserInput` understands (`EPSG:3413`, `OGC:CRS84`, URN, WKT, PROJ string).
    init(definition: String) throws(TilingError) {
        GDALLibrary.ensureInitialized()
        guard let handle = OSRNewSpatialReference(nil) else {
            throw TilingError(.projection, "could not allocate a spatial reference")
        }
        guard OSRSetFromUserInput(handle, definition) == OGRERR_NONE else {
            OSRRelease(handle)
            throw TilingError(.projection, "could not parse CRS \"\(definition)\": \(GDALLibrary.lastErrorMessage())")
        }
        self.handle = handle
        OSRSetAxisMappingStrategy(handle, OAMS_TRADITIONAL_GIS_ORDER)
    }

    /// Clones a borrowed handle (for example a layer's CRS) so that its axis order can be set safely.
    init(cloning borrowed: OGRSpatialReferenceH) throws(TilingError) {
        guard let handle = OSRClone(borrowed) else {
            throw TilingError(.projection, "could not clone a spatial reference")
        }
        self.handle = handle
        OSRSetAxisMappingStrategy(handle, OAMS_TRADITIONAL_GIS_ORDER)
    }

    deinit {
        OSRRelease(handle)
    }

    /// Whether both describe the same CRS (ignoring axis mapping).
    func isSame(as other: SpatialReference) -> Bool {
        OSRIsSame(handle, other.handle) != 0
    }

    /// Whether the CRS is geographic (degrees).
    var isGeographic: Bool { OSRIsGeographic(handle) != 0 }

    /// Whether the authority definition puts latitude/northing first (so OGC JSON corners must be swapped).
    var authorityAxisOrderIsYX: Bool {
        OSREPSGTreatsAsLatLong(handle) != 0 || OSREPSGTreatsAsNorthingEasting(handle) != 0
    }

    /// Metres per CRS unit as morecantile computes it: `2π·a/360` for degrees, the linear unit otherwise.
    var metersPerUnit: Double {
        if isGeographic {
            var error: OGRErr = OGRERR_NONE
            let semiMajor = OSRGetSemiMajor(handle, &error)
            return 2 * Double.pi * semiMajor / 360.0
        }
        return OSRGetLinearUnits(handle, nil)
    }
}
