import Foundation

/// Colour conversions as coloraide 0.10 performs them (same constants, same operation order): sRGB ↔ linear sRGB
/// ↔ XYZ D65 ↔ (Bradford) XYZ D50 ↔ CIE Lab D50 ↔ CIE LCh D50, ΔE 2000, and the `lch-chroma` gamut mapping.
///
/// Palettes are built from these once per statistic, so clarity beats speed here.
enum ColorSpace {
    typealias Vector = (Double, Double, Double)

    /// Chroma below this makes the hue undefined (coloraide's `ACHROMATIC_THRESHOLD`).
    static let achromaticThreshold = 0.0000000002

    // MARK: Matrices

    static let rgbToXYZ: [[Double]] = [
        [0.4123907992659593, 0.357584339383878, 0.18048078840183432],
        [0.21263900587151024, 0.715168678767756, 0.07219231536073373],
        [0.01933081871559182, 0.11919477979462598, 0.9505321522496608],
    ]
    static let xyzToRGB: [[Double]] = [
        [3.2409699419045226, -1.537383177570094, -0.49861076029300355],
        [-0.9692436362808796, 1.8759675015077202, 0.04155505740717562],
        [0.055630079696993635, -0.2039769588889765, 1.0569715142428784],
    ]
    static let bradford: [[Double]] = [
        [0.8951000, 0.2664000, -0.1614000],
        [-0.7502000, 1.7135000, 0.0367000],
        [0.0389000, -0.0685000, 1.0296000],
    ]
    static let whiteD50 = xyToXYZ(0.34570, 0.35850)
    static let whiteD65 = xyToXYZ(0.31270, 0.32900)

    /// D65 → D50 and D50 → D65 (coloraide's von Kries construction: M⁻¹ · diag(M·w50 / M·w65) · M, and its inverse).
    static let (d65ToD50, d50ToD65): ([[Double]], [[Double]]) = {
        let first: Vector = dot(bradford, whiteD50)
        let second: Vector = dot(bradford, whiteD65)
        let s0: Double = first.0 / second.0
        let s1: Double = first.1 / second.1
        let s2: Double = first.2 / second.2
        let scale: [[Double]] = [[s0, 0, 0], [0, s1, 0], [0, 0, s2]]
        let scaled: [[Double]] = dot(scale, bradford)
        let adapt: [[Double]] = dot(inverse(bradford), scaled)
        return (adapt, inverse(adapt))
    }()

    static func xyToXYZ(_ x: Double, _ y: Double) -> Vector { (x / y, 1, (1 - x - y) / y) }

    static func dot(_ m: [[Double]], _ v: Vector) -> Vector {
        func row(_ r: [Double]) -> Double {
            // Python's sum(): 0 + p0 + p1 + p2, left to right.
            var total: Double = 0
            total += r[0] * v.0
            total += r[1] * v.1
            total += r[2] * v.2
            return total
        }
        return (row(m[0]), row(m[1]), row(m[2]))
    }

    static func dot(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
        (0..<3).map { i in
            (0..<3).map { j in
                var total: Double = 0
                for k in 0..<3 { total += a[i][k] * b[k][j] }
                return total
            }
        }
    }

    static func inverse(_ m: [[Double]]) -> [[Double]] {
        let a = m[0][0]
        let b = m[0][1]
        let c = m[0][2]
        let d = m[1][0]
        let e = m[1][1]
        let f = m[1][2]
        let g = m[2][0]
        let h = m[2][1]
        let i = m[2][2]
        let determinant = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
        return [
            [(e * i - f * h) / determinant, (c * h - b * i) / determinant, (b * f - c * e) / determinant],
            [(f * g - d * i) / determinant, (a * i - c * g) / determinant, (c * d - a * f) / determinant],
            [(d * h - e * g) / determinant, (b * g - a * h) / determinant, (a * e - b * d) / determinant],
        ]
    }

    // MARK: Conversions

    static func nthRoot(_ value: Double, _ power: Double) -> Double {
        value == 0 ? 0 : copysign(pow(abs(value), 1 / power), value)
    }

    static func srgbToLinear(_ value: Double) -> Double {
        let magnitude = abs(value)
        return magnitude > 0.04045 ? copysign(pow((magnitude + 0.055) / 1.055, 2.4), value) : value / 12.92
    }

    static func linearToSRGB(_ value: Double) -> Double {
        let magnitude = abs(value)
        return magnitude > 0.0031308 ? copysign(1.055 * nthRoot(magnitude, 2.4) - 0.055, value) : 12.92 * value
    }

    static let epsilon = 216.0 / 24389.0
    static let epsilon3 = 6.0 / 29.0
    static let kappa = 24389.0 / 27.0

    static func xyzD50ToLab(_ xyz: Vector) -> Vector {
        let white = whiteD50
        func f(_ value: Double) -> Double { value > epsilon ? nthRoot(value, 3) : (kappa * value + 16) / 116 }
        let fx = f(xyz.0 / white.0)
        let fy = f(xyz.1 / white.1)
        let fz = f(xyz.2 / white.2)
        return ((116.0 * fy) - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz))
    }

    static func labToXYZD50(_ lab: Vector) -> Vector {
        let fy = (lab.0 + 16) / 116
        let fx = lab.1 / 500 + fy
        let fz = fy - lab.2 / 200
        let x = fx > epsilon3 ? pow(fx, 3.0) : (116 * fx - 16) / kappa
        let y = lab.0 > 8 ? pow(fy, 3.0) : lab.0 / kappa
        let z = fz > epsilon3 ? pow(fz, 3.0) : (116 * fz - 16) / kappa
        return (x * whiteD50.0, y * whiteD50.1, z * whiteD50.2)
    }

    static func labToLCh(_ lab: Vector) -> Vector {
        let chroma = (lab.1 * lab.1 + lab.2 * lab.2).squareRoot()
        var hue = atan2(lab.2, lab.1) * (180 / Double.pi)
        if chroma < achromaticThreshold { hue = .nan }
        return (lab.0, chroma, constrainHue(hue))
    }

    static func lchToLab(_ lch: Vector) -> Vector {
        let hue = lch.2.isNaN ? 0 : lch.2
        let chroma = lch.1 < 0 ? 0 : lch.1
        let radians = hue * (Double.pi / 180)
        return (lch.0, chroma * cos(radians), chroma * sin(radians))
    }

    /// Python's `hue % 360` (result in [0, 360)); NaN stays NaN.
    static func constrainHue(_ hue: Double) -> Double {
        if hue.isNaN { return hue }
        var result = fmod(hue, 360)
        if result != 0, result < 0 { result += 360 }
        return result
    }

    static func srgbToLCh(_ rgb: Vector) -> Vector {
        let linear = (srgbToLinear(rgb.0), srgbToLinear(rgb.1), srgbToLinear(rgb.2))
        let xyz65 = dot(rgbToXYZ, linear)
        return labToLCh(xyzD50ToLab(dot(d65ToD50, xyz65)))
    }

    static func lchToSRGB(_ lch: Vector) -> Vector {
        let xyz65 = dot(d50ToD65, labToXYZD50(lchToLab(lch)))
        let linear = dot(xyzToRGB, xyz65)
        return (linearToSRGB(linear.0), linearToSRGB(linear.1), linearToSRGB(linear.2))
    }

    static func srgbToLab(_ rgb: Vector) -> Vector {
        let linear = (srgbToLinear(rgb.0), srgbToLinear(rgb.1), srgbToLinear(rgb.2))
        return xyzD50ToLab(dot(d65ToD50, dot(rgbToXYZ, linear)))
    }

    // MARK: ΔE 2000 and gamut mapping

    /// CIEDE2000 between two Lab colours (coloraide's direct translation of Sharma's paper).
    static func deltaE2000(_ first: Vector, _ second: Vector) -> Double {
        let (l1, a1, b1) = first
        let (l2, a2, b2) = second
        let g7 = pow(25.0, 7.0)
        let c1 = (a1 * a1 + b1 * b1).squareRoot()
        let c2 = (a2 * a2 + b2 * b2).squareRoot()
        let cm = (c1 + c2) / 2
        let c7 = pow(cm, 7.0)
        let g = 0.5 * (1 - (c7 / (c7 + g7)).squareRoot())
        let ap1 = (1 + g) * a1
        let ap2 = (1 + g) * a2
        let cp1 = (ap1 * ap1 + b1 * b1).squareRoot()
        let cp2 = (ap2 * ap2 + b2 * b2).squareRoot()
        var hp1 = (ap1 == 0 && b1 == 0) ? 0 : atan2(b1, ap1)
        var hp2 = (ap2 == 0 && b2 == 0) ? 0 : atan2(b2, ap2)
        hp1 = (hp1 < 0 ? hp1 + 2 * Double.pi : hp1) * (180 / Double.pi)
        hp2 = (hp2 < 0 ? hp2 + 2 * Double.pi : hp2) * (180 / Double.pi)
        let dl = l1 - l2
        let dc = cp1 - cp2
        let hdiff = hp1 - hp2
        var dh: Double
        if cp1 * cp2 == 0 { dh = 0 } else if abs(hdiff) <= 180 { dh = hdiff } else { dh = hdiff + (hdiff > 180 ? -360 : 360) }
        dh = 2 * (cp2 * cp1).squareRoot() * sin((dh / 2) * (Double.pi / 180))
        let lpm = (l1 + l2) / 2
        let cpm = (cp1 + cp2) / 2
        let hsum = hp1 + hp2
        let hpm: Double
        if cp1 * cp2 == 0 { hpm = hsum } else if abs(hp1 - hp2) > 180 { hpm = (hsum + (hsum < 360 ? 360 : -360)) / 2 } else { hpm = hsum / 2 }
        func rad(_ degrees: Double) -> Double { degrees * (Double.pi / 180) }
        let t1: Double = 0.17 * cos(rad(hpm - 30))
        let t2: Double = 0.24 * cos(rad(2 * hpm))
        let t3: Double = 0.32 * cos(rad((3 * hpm) + 6))
        let t4: Double = 0.20 * cos(rad((4 * hpm) - 63))
        let t: Double = 1 - t1 + t2 + t3 - t4
        let dt = 30 * exp(-1 * pow((hpm - 275) / 25, 2.0))
        let cpm7 = pow(cpm, 7.0)
        let rc = 2 * (cpm7 / (cpm7 + g7)).squareRoot()
        let lTemp = pow(lpm - 50, 2.0)
        let sl = 1 + ((0.015 * lTemp) / (20 + lTemp).squareRoot())
        let sc = 1 + 0.045 * cpm
        let sh = 1 + 0.015 * cpm * t
        let rt = -1 * sin(rad(2 * dt)) * rc
        let termL = dl / sl
        let termC = dc / sc
        let termH = dh / sh
        let squares: Double = pow(termL, 2.0) + pow(termC, 2.0) + pow(termH, 2.0)
        return (squares + rt * termC * termH).squareRoot()
    }

    static func clip(_ rgb: Vector) -> Vector {
        (min(max(rgb.0, 0), 1), min(max(rgb.1, 0), 1), min(max(rgb.2, 0), 1))
    }

    /// An LCh colour as in-gamut sRGB, by coloraide 0.10's default `lch-chroma` mapping (chroma bisection until
    /// the clipped colour is within ΔE2000 2 of the chroma-reduced one, ε 0.01).
    static func fittedSRGB(fromLCh lch: Vector) -> Vector {
        let rgb = lchToSRGB(lch)
        let inGamut = [rgb.0, rgb.1, rgb.2].allSatisfy { $0 >= 0 && $0 <= 1 }
        if inGamut { return rgb }
        var map = srgbToLCh(rgb)
        if map.0 >= 100 || map.0 <= 0 {
            return clip(lchToSRGB((map.0, 0, .nan)))
        }
        var low = 0.0
        var high = map.1
        var color = clip(lchToSRGB(map))
        if deltaE2000(lchToLab(map), srgbToLab(color)) >= 2.0 {
            while high - low > 0.01 {
                if deltaE2000(lchToLab(map), srgbToLab(color)) < 2.0 { low = map.1 } else { high = map.1 }
                map.1 = (high + low) * 0.5
                color = clip(lchToSRGB(map))
            }
        }
        return color
    }

    // MARK: Text round trip of pdgraster's palette

    /// coloraide's `round_half_up`.
    static func roundHalfUp(_ value: Double, _ scale: Int) -> Double {
        let multiplier = pow(10.0, Double(scale))
        return (value * multiplier + 0.5).rounded(.down) / multiplier
    }

    /// coloraide's `adjust_precision(value, precision)` (significant digits of the integer part count).
    static func adjustPrecision(_ value: Double, _ precision: Int) -> Double {
        let whole = value.rounded(.towardZero)
        let digits = whole == 0 ? 0 : Int(log10(abs(whole))) + 1
        return roundHalfUp(digits >= precision ? whole : value, precision - digits)
    }

    /// pdgraster formats each channel with 3 significant digits (alpha with 5), parses the text back and
    /// truncates to an integer: 40.66 → "40.7" → 40.
    static func byteChannel(_ unit: Double) -> UInt8 {
        UInt8(clamping: Int(adjustPrecision(unit * 255.0, 3).rounded(.towardZero)))
    }

    static func byteAlpha(_ alpha: Double) -> UInt8 {
        UInt8(clamping: Int((adjustPrecision(alpha.isNaN ? 0 : alpha, 5) * 255).rounded(.towardZero)))
    }
}
