import CVizGDAL
import Foundation

/// An owned OGR coordinate transformation (PROJ through GDAL) between two traditional-order CRSs.
///
/// From a polar stereographic CRS to its geographic CRS (EPSG:3413 → CRS84, the common case of the IWP inputs)
/// the points are computed by ``PolarStereographicInverse``, bit-identical to GDAL's results, unless
/// `PDG_PROJECTION=gdal` is set (for comparisons).
final class CoordinateTransformation {
    let handle: OGRCoordinateTransformationH
    private let description: String
    /// PROJ's arithmetic done here, when the pair is one it reproduces exactly; nil otherwise.
    private(set) var polarStereographic: PolarStereographicInverse?

    /// `PDG_PROJECTION=gdal` sends every point through GDAL.
    static let usesOwnProjection = ProcessInfo.processInfo.environment["PDG_PROJECTION"] != "gdal"

    /// Creates the transformation `source → target`.
    init(from source: SpatialReference, to target: SpatialReference, description: String) throws(TilingError) {
        GDALLibrary.resetError()
        guard let handle = OCTNewCoordinateTransformation(source.handle, target.handle) else {
            throw TilingError(.projection, "no transformation for \(description): \(GDALLibrary.lastErrorMessage())")
        }
        self.handle = handle
        self.description = description
        if Self.usesOwnProjection {
            polarStereographic = PolarStereographicInverse(source: source, target: target, check: self)
        }
    }

    /// A copy of another transformation, for use on another thread (GDAL's objects are not thread-safe).
    init(cloning other: CoordinateTransformation, description: String? = nil) throws(TilingError) {
        guard let handle = OCTClone(other.handle) else {
            throw TilingError(.projection, "could not clone the transformation \(other.description)")
        }
        self.handle = handle
        self.description = description ?? other.description
        polarStereographic = other.polarStereographic
    }

    deinit {
        OCTDestroyCoordinateTransformation(handle)
    }

    /// Transforms separate x and y arrays in place through GDAL; false when GDAL reports a failure.
    func transformWithGDAL(xs: inout [Double], ys: inout [Double]) -> Bool {
        let count = min(xs.count, ys.count)
        guard count > 0 else { return true }
        return xs.withUnsafeMutableBufferPointer { x in
            ys.withUnsafeMutableBufferPointer { y in
                OCTTransform(handle, Int32(count), x.baseAddress, y.baseAddress, nil) != 0
            }
        }
    }

    /// Transforms interleaved (x, y) pairs in place.
    func transform(interleaved coordinates: inout [Double], scratchX: inout [Double], scratchY: inout [Double])
        throws(TilingError)
    {
        let count = coordinates.count / 2
        guard count > 0 else { return }
        if let polarStereographic, Self.transform(&coordinates, count: count, with: polarStereographic) {
            return
        }
        scratchX.removeAll(keepingCapacity: true)
        scratchY.removeAll(keepingCapacity: true)
        for index in 0..<count {
            scratchX.append(coordinates[2 * index])
            scratchY.append(coordinates[2 * index + 1])
        }
        guard transformWithGDAL(xs: &scratchX, ys: &scratchY) else {
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

    /// The whole ring or nothing: a point PROJ's way cannot do leaves the ring untouched for GDAL (which then
    /// reports the failure as it always did).
    private static func transform(_ coordinates: inout [Double], count: Int, with inverse: PolarStereographicInverse) -> Bool {
        coordinates.withUnsafeMutableBufferPointer { points in
            // Results go to the ring only once every point succeeded; rings are short, so a stack-sized copy is cheap.
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * count) { results in
                for index in 0..<count {
                    guard let point = inverse.inverse(x: points[2 * index], y: points[2 * index + 1]) else { return false }
                    results[2 * index] = point.longitude
                    results[2 * index + 1] = point.latitude
                }
                for index in 0..<(2 * count) { points[index] = results[index] }
                return true
            }
        }
    }
}
