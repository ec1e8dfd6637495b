import Foundation
import Testing

@testable import PDGTiling

/// `PolarStereographicInverse` must give GDAL's (PROJ's) results to the bit, or staged output would change.
///
/// Each polar stereographic CRS is checked on points over its whole domain: a disc out past the equator (about
/// 13 000 km from the pole for EPSG:3413), far points in the other hemisphere, the axes and the wrap-around
/// meridian, points a millimetre from the pole, the pole itself. `PDG_PROJECTION_TEST_POINTS` raises the count
/// (default 1 000 000 for EPSG:3413, a tenth of that for each other CRS).
@Suite(.serialized)
struct PolarStereographicInverseTests {
    static let points = ProcessInfo.processInfo.environment["PDG_PROJECTION_TEST_POINTS"].flatMap(Int.init) ?? 1_000_000

    struct Generator {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
    }

    /// Points for a CRS with false easting/northing `x0`, `y0`.
    static func samples(count: Int, x0: Double, y0: Double, seed: UInt64) -> (xs: [Double], ys: [Double]) {
        var random = Generator(state: seed)
        var xs: [Double] = []
        var ys: [Double] = []
        xs.reserveCapacity(count)
        ys.reserveCapacity(count)
        func add(_ x: Double, _ y: Double) {
            xs.append(x0 + x)
            ys.append(y0 + y)
        }
        add(0, 0)
        for step in -1000...1000 {
            // The axes, the diagonals and a millimetre around the pole.
            let distance = Double(step) * 13_000
            add(distance, 0)
            add(0, distance)
            add(distance, distance)
            add(distance, -distance)
            add(Double(step) * 1e-6, Double(step % 7) * 1e-6)
        }
        while xs.count < count {
            let kind = random.next()
            let angle = random.next() * 2 * Double.pi
            let radius: Double
            if kind < 0.8 {
                radius = 13_000_000 * random.next().squareRoot()  // uniform over the disc out past the equator
            } else if kind < 0.9 {
                radius = 13_000_000 + random.next() * 200_000_000  // the other hemisphere, towards the far pole
            } else {
                radius = 5_000 * random.next()  // close to the pole
            }
            // Coordinates with the fractional parts of real data (millimetres), then exact directions too.
            var x = (radius * Foundation.sin(angle) * 1000).rounded() / 1000
            var y = (radius * Foundation.cos(angle) * 1000).rounded() / 1000
            if random.next() < 0.02 { (x, y) = (radius * Foundation.sin(angle), radius * Foundation.cos(angle)) }
            add(x, y)
        }
        return (xs, ys)
    }

    static func check(_ crs: String, count: Int, seed: UInt64) throws {
        let source = try SpatialReference(definition: crs)
        let target = try SpatialReference(definition: "OGC:CRS84")
        let transformation = try CoordinateTransformation(from: source, to: target, description: crs)
        let inverse = try #require(
            PolarStereographicInverse(source: source, target: target, check: transformation), "\(crs) is not recognized")
        var x0 = 0.0
        var y0 = 0.0
        if crs.hasSuffix("32661") || crs.hasSuffix("32761") { (x0, y0) = (2_000_000, 2_000_000) }
        let (xs, ys) = samples(count: count, x0: x0, y0: y0, seed: seed)
        var gx = xs
        var gy = ys
        // GDAL in rings-sized chunks, as staging calls it; a failed point comes back infinite.
        var start = 0
        while start < xs.count {
            let end = min(start + 4096, xs.count)
            var cx = Array(gx[start..<end])
            var cy = Array(gy[start..<end])
            _ = transformation.transformWithGDAL(xs: &cx, ys: &cy)
            gx.replaceSubrange(start..<end, with: cx)
            gy.replaceSubrange(start..<end, with: cy)
            start = end
        }
        var mismatches: [String] = []
        var failures = 0
        for index in xs.indices {
            let ours = inverse.inverse(x: xs[index], y: ys[index])
            let gdalFailed = !gx[index].isFinite || !gy[index].isFinite
            guard let ours else {
                failures += 1
                if !gdalFailed { mismatches.append("(\(xs[index]), \(ys[index])): ours failed, GDAL gave (\(gx[index]), \(gy[index]))") }
                continue
            }
            if gdalFailed || ours.longitude.bitPattern != gx[index].bitPattern || ours.latitude.bitPattern != gy[index].bitPattern {
                mismatches.append("(\(xs[index]), \(ys[index])): ours (\(ours.longitude), \(ours.latitude)), GDAL (\(gx[index]), \(gy[index]))")
            }
            if mismatches.count >= 5 { break }
        }
        #expect(mismatches.isEmpty, "\(crs): \(mismatches)")
        #expect(failures < xs.count / 1000, "\(crs): \(failures) points failed")
    }

    @Test func epsg3413IsBitIdenticalToGDAL() throws {
        try Self.check("EPSG:3413", count: Self.points, seed: 1)
    }

    @Test(arguments: ["EPSG:3031", "EPSG:3995", "EPSG:3976", "EPSG:32661", "EPSG:32761"])
    func otherPolarStereographicCRSsAreBitIdenticalToGDAL(crs: String) throws {
        try Self.check(crs, count: max(10_000, Self.points / 10), seed: 2)
    }

    @Test func otherPairsAreLeftToGDAL() throws {
        let crs84 = try SpatialReference(definition: "OGC:CRS84")
        for (source, target) in [
            ("EPSG:3857", "OGC:CRS84"), ("EPSG:3413", "EPSG:3857"), ("EPSG:32633", "OGC:CRS84"),
            // Another ellipsoid than the target's: a datum change, which PROJ does and this does not.
            ("+proj=stere +lat_0=90 +lat_ts=70 +lon_0=-45 +ellps=intl +units=m +no_defs", "OGC:CRS84"),
        ] {
            let from = try SpatialReference(definition: source)
            let to = target == "OGC:CRS84" ? crs84 : try SpatialReference(definition: target)
            let transformation = try CoordinateTransformation(from: from, to: to, description: source)
            #expect(transformation.polarStereographic == nil, "\(source) → \(target)")
        }
    }

    @Test func stagingUsesItForEPSG3413() throws {
        let transformation = try CoordinateTransformation(
            from: SpatialReference(definition: "EPSG:3413"), to: SpatialReference(definition: "OGC:CRS84"), description: "3413")
        #expect((transformation.polarStereographic != nil) == CoordinateTransformation.usesOwnProjection)
        // A ring goes through it whole; a point it cannot do sends the ring to GDAL, which reports the failure.
        var ring = [-2_135_933.5, 511_153.4, -2_135_930.0, 511_160.0, -2_135_933.5, 511_153.4]
        var reference = ring
        var scratchX: [Double] = []
        var scratchY: [Double] = []
        try transformation.transform(interleaved: &ring, scratchX: &scratchX, scratchY: &scratchY)
        var xs = [reference[0], reference[2], reference[4]]
        var ys = [reference[1], reference[3], reference[5]]
        #expect(transformation.transformWithGDAL(xs: &xs, ys: &ys))
        reference = [xs[0], ys[0], xs[1], ys[1], xs[2], ys[2]]
        #expect(ring.map(\.bitPattern) == reference.map(\.bitPattern))
        var bad = [0.0, 0.0, Double.nan, 1.0, 0.0, 0.0]
        #expect(throws: TilingError.self) { try transformation.transform(interleaved: &bad, scratchX: &scratchX, scratchY: &scratchY) }
    }
}
