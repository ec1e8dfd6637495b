import CVizGDAL
import Foundation

/// The inverse of PROJ's ellipsoidal polar stereographic projection (`+proj=stere +lat_0=±90`, UPS too) into
/// longitude/latitude in degrees on the same ellipsoid, computed here instead of through PROJ's pipeline.
///
/// Why: staging EPSG:3413 inputs spends about a fifth of its time in PROJ, a quarter of it in the pipeline around
/// the arithmetic (per-point dispatch, error bookkeeping, the unit-conversion step). This does the same arithmetic
/// (the same libm calls on the same operands, in the same order: PROJ 9's `inv_prepare`, `stere_e_inverse`,
/// `inv_finalize` with `adjlon`, and the `unitconvert` step) so the results are bit-identical to
/// `OCTTransform`'s; `PolarStereographicInverseTests` checks that on millions of points over the whole domain.
///
/// It is only used when ``init?(source:target:check:)`` recognizes the pair (a north or south polar stereographic
/// CRS in metres on an ellipsoid, to the geographic CRS of the same ellipsoid in degrees, longitude first, no
/// datum shift) **and** a grid of sample points transformed both ways agrees to the bit; otherwise GDAL does the
/// work as before. A point it cannot do the way PROJ does (no convergence, not finite) makes the caller fall back
/// to GDAL for that ring.
struct PolarStereographicInverse: Sendable {
    /// `P->ra`: 1 / semi-major axis.
    let reciprocalSemiMajor: Double
    /// `P->e`: eccentricity.
    let eccentricity: Double
    /// `akm1` of PROJ's `stere` set-up.
    let akm1: Double
    /// `P->x0`, `P->y0`: false easting and northing (metres).
    let falseEasting: Double
    let falseNorthing: Double
    /// `P->lam0`: central meridian (radians).
    let centralMeridian: Double
    /// South pole aspect (`S_POLE`), else north (`N_POLE`).
    let south: Bool

    private static let halfPi = 1.5707963267948966
    private static let degreesToRadians = 0.017453292519943295
    /// `unitconvert`'s factor from radians to degrees: 1 / (π/180) as PROJ computes it.
    private static let radiansToDegrees = 1.0 / degreesToRadians

    /// Parameters as PROJ derives them from the CRS definition.
    init(
        semiMajor: Double, inverseFlattening: Double, latitudeOfOrigin: Double, latitudeOfTrueScale: Double?, scale: Double, centralMeridianDegrees: Double,
        falseEasting: Double, falseNorthing: Double
    ) {
        // pj_ellipsoid: f = 1/rf, es = 2f − f², e = √es; ra = 1/a.
        let flattening = 1 / inverseFlattening
        let es = 2 * flattening - flattening * flattening
        let e = es.squareRoot()
        eccentricity = e
        reciprocalSemiMajor = 1 / semiMajor
        south = latitudeOfOrigin < 0
        // pj_param "r…": degrees times DEG_TO_RAD, the sign applied afterwards.
        func radians(_ degrees: Double) -> Double {
            let value = abs(degrees) * Self.degreesToRadians
            return degrees < 0 ? -value : value
        }
        centralMeridian = radians(centralMeridianDegrees)
        self.falseEasting = falseEasting
        self.falseNorthing = falseNorthing
        let phits = abs(latitudeOfTrueScale.map(radians) ?? Self.halfPi)
        if abs(phits - Self.halfPi) < 1e-10 {
            akm1 = 2 * scale / (Foundation.pow(1 + e, 1 + e) * Foundation.pow(1 - e, 1 - e)).squareRoot()
        } else {
            var t = Foundation.sin(phits)
            var value = Foundation.cos(phits) / Self.tsfn(phits, t, e)
            t *= e
            value /= (1 - t * t).squareRoot()
            akm1 = value
        }
    }

    /// PROJ 9's `pj_tsfn`: exp(−ψ) for the isometric latitude ψ.
    private static func tsfn(_ phi: Double, _ sinphi: Double, _ e: Double) -> Double {
        let cosphi = Foundation.cos(phi)
        return Foundation.exp(e * Foundation.atanh(e * sinphi)) * (sinphi > 0 ? cosphi / (1 + sinphi) : (1 - sinphi) / cosphi)
    }

    /// Recognizes a polar stereographic source and a geographic target on the same ellipsoid, then checks a grid
    /// of points against `check` (GDAL's transformation of the pair). Nil when either test fails.
    init?(source: SpatialReference, target: SpatialReference, check: CoordinateTransformation) {
        guard let parameters = Self.parameters(source: source, target: target) else { return nil }
        self = parameters
        guard agrees(with: check) else { return nil }
    }

    private static func parameters(source: SpatialReference, target: SpatialReference) -> PolarStereographicInverse? {
        guard OSRIsProjected(source.handle) != 0, target.isGeographic, OSRIsSameGeogCS(source.handle, target.handle) != 0 else {
            return nil
        }
        // Degrees, Greenwich, longitude first (traditional GIS order is set on every SpatialReference).
        var unitName: UnsafeMutablePointer<CChar>?
        guard OSRGetAngularUnits(target.handle, &unitName) == degreesToRadians, OSRGetPrimeMeridian(target.handle, nil) == 0,
            OSRGetPrimeMeridian(source.handle, nil) == 0, OSRGetLinearUnits(source.handle, nil) == 1
        else { return nil }
        var text: UnsafeMutablePointer<CChar>?
        guard OSRExportToProj4(source.handle, &text) == OGRERR_NONE, let text else { return nil }
        defer { VSIFree(text) }
        var terms: [String: String] = [:]
        for term in String(cString: text).split(separator: " ") where term.hasPrefix("+") {
            let pair = term.dropFirst().split(separator: "=", maxSplits: 1)
            terms[String(pair[0])] = pair.count == 2 ? String(pair[1]) : ""
        }
        let known: Set<String> = ["proj", "lat_0", "lat_ts", "lon_0", "k", "x_0", "y_0", "datum", "ellps", "units", "no_defs"]
        guard terms["proj"] == "stere", terms["units"] == "m", Set(terms.keys).isSubset(of: known),
            let latitudeOfOrigin = terms["lat_0"].flatMap(Double.init), abs(latitudeOfOrigin) == 90
        else { return nil }
        func number(_ key: String, default value: Double) -> Double? {
            guard let text = terms[key] else { return value }
            return Double(text)
        }
        var error: OGRErr = OGRERR_NONE
        let semiMajor = OSRGetSemiMajor(source.handle, &error)
        let inverseFlattening = OSRGetInvFlattening(source.handle, &error)
        guard error == OGRERR_NONE, semiMajor > 0, inverseFlattening > 0,
            let scale = number("k", default: 1), let lon0 = number("lon_0", default: 0), let x0 = number("x_0", default: 0),
            let y0 = number("y_0", default: 0)
        else { return nil }
        let latitudeOfTrueScale: Double?
        if let text = terms["lat_ts"] {
            guard let value = Double(text) else { return nil }
            latitudeOfTrueScale = value
        } else {
            latitudeOfTrueScale = nil
        }
        return PolarStereographicInverse(
            semiMajor: semiMajor, inverseFlattening: inverseFlattening, latitudeOfOrigin: latitudeOfOrigin,
            latitudeOfTrueScale: latitudeOfTrueScale, scale: scale, centralMeridianDegrees: lon0, falseEasting: x0,
            falseNorthing: y0)
    }

    /// Transforms one point; nil where PROJ would fail (no convergence) or for non-finite input.
    @inline(__always)
    func inverse(x: Double, y: Double) -> (longitude: Double, latitude: Double)? {
        guard x.isFinite, y.isFinite else { return nil }
        // inv_prepare (to_meter = 1): de-offset, then scale to units of the semi-major axis.
        let px = (x - falseEasting) * reciprocalSemiMajor
        var py = (y - falseNorthing) * reciprocalSemiMajor
        // stere_e_inverse, polar aspects.
        let rho = Foundation.hypot(px, py)
        if !south { py = -py }
        let tp = -rho / akm1
        var phiL = Self.halfPi - 2 * Foundation.atan(tp)
        let halfPi = -Self.halfPi
        let halfE = -0.5 * eccentricity
        var phi = 0.0
        for _ in 0..<8 {
            let sinphi = eccentricity * Foundation.sin(phiL)
            phi = 2 * Foundation.atan(tp * Foundation.pow((1 + sinphi) / (1 - sinphi), halfE)) - halfPi
            if abs(phiL - phi) < 1e-10 {
                if south { phi = -phi }
                var lambda = (px == 0 && py == 0) ? 0 : Foundation.atan2(px, py)
                // inv_finalize: from_greenwich (0) and lam0, then adjlon.
                lambda = lambda + 0 + centralMeridian
                lambda = Self.adjlon(lambda)
                return (lambda * Self.radiansToDegrees, phi * Self.radiansToDegrees)
            }
            phiL = phi
        }
        return nil
    }

    /// PROJ's `adjlon`: longitudes a little past ±π stay, others are brought into [−π, π].
    private static func adjlon(_ longitude: Double) -> Double {
        if abs(longitude) < Double.pi + 1e-12 { return longitude }
        var value = longitude + Double.pi
        value -= 2 * Double.pi * Foundation.floor(value / (2 * Double.pi))
        return value - Double.pi
    }

    /// Whether a grid over the projection's domain (out to about 30° from the pole, and the pole itself) comes out
    /// bit-identical to GDAL's transformation.
    func agrees(with check: CoordinateTransformation) -> Bool {
        var xs: [Double] = []
        var ys: [Double] = []
        let reach = 4_000_000.0
        for row in 0...16 {
            for column in 0...16 {
                xs.append(falseEasting + reach * (Double(column) / 8 - 1) + 0.123 * Double(row))
                ys.append(falseNorthing + reach * (Double(row) / 8 - 1) - 0.456 * Double(column))
            }
        }
        xs.append(falseEasting)
        ys.append(falseNorthing)
        var gx = xs
        var gy = ys
        guard check.transformWithGDAL(xs: &gx, ys: &gy) else { return false }
        for index in xs.indices {
            guard let point = inverse(x: xs[index], y: ys[index]),
                point.longitude.bitPattern == gx[index].bitPattern, point.latitude.bitPattern == gy[index].bitPattern
            else { return false }
        }
        return true
    }
}
