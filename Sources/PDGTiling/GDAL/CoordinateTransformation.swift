import CVizGDAL

/// An owned OGR coordinate transformation (PROJ through GDAL) between two traditional-order CRSs.
final class CoordinateTransformation {
    let handle: OGRCoordinateTransformationH
    private let description: String

    /// Creates the transformation `source → target`.
    init(from source: SpatialReference, to target: SpatialReference, description: String) throws(TilingError) {
        GDALLibrary.resetError()
        guard let handle = OCTNewCoordinateTransformation(source.handle, target.handle) else {
            throw TilingError(.projection, "no transformation for \(description): \(GDALLibrary.lastErrorMessage())")
        }
        self.handle = handle
        self.description = description
    }

    deinit {
        OCTDestroyCoordinateTransformation(handle)
    }

    /// Transforms interleaved (x, y) pairs in place.
    func transform(interleaved coordinates: inout [Double], scratchX: inout [Double], scratchY: inout [Double])
        throws(TilingError)
    {
        let count = coordinates.count / 2
        guard count > 0 else { return }
        scratchX.removeAll(keepingCapacity: true)
        scratchY.removeAll(keepingCapacity: true)
        for index in 0..<count {
            scratchX.append(coordinates[2 * index])
            scratchY.append(coordinates[2 * index + 1])
        }
        let ok = scratchX.withUnsafeMutableBufferPointer { xs in
            scratchY.withUnsafeMutableBufferPointer { ys in
                OCTTransform(handle, Int32(count), xs.baseAddress, ys.baseAddress, nil)
            }
        }
        guard ok != 0 else {
            throw TilingError(.projection, "coordinate transformation \(description) failed: \(GDALLibrary.lastErrorMessage())")
        }
        for index in 0..<count {
            let x = scratchX[index]
            let y = scratchY[index]
            guard x.isFinite, y.isFinite else {
                throw TilingError(.projection, "coordinate transformation \(description) produced a non-finite point")
            }
            coordinates[2 * index] = x
            coordinates[2 * index + 1] = y
        }
    }
}
