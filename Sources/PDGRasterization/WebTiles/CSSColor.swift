import Foundation

/// A colour parsed from CSS Color 4 text: `#rgb[a]`, `#rrggbb[aa]`, `rgb()/rgba()`, `hsl()/hsla()`, `lab()`, `lch()`
/// (space or comma syntax, `/ alpha`, percentages, hue units) and named colours.
public struct CSSColor: Sendable, Hashable {
    /// The space the colour was written in.
    public enum Space: String, Sendable, Hashable { case srgb, lab, lch }

    /// Which space `coordinates` are in.
    public var space: Space
    /// sRGB in 0…1, Lab (L 0…100), or LCh (L, C, hue in degrees; NaN hue = undefined).
    public var coordinates: (Double, Double, Double)
    /// Alpha in 0…1.
    public var alpha: Double

    public static func == (lhs: CSSColor, rhs: CSSColor) -> Bool {
        lhs.space == rhs.space && lhs.coordinates == rhs.coordinates && lhs.alpha == rhs.alpha
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(space)
        hasher.combine(coordinates.0)
        hasher.combine(coordinates.1)
        hasher.combine(coordinates.2)
        hasher.combine(alpha)
    }

    /// Parses CSS colour text.
    public init(parsing text: String) throws(RasterizationError) {
        var source = text.trimmingCharacters(in: .whitespaces).lowercased()
        func fail(_ why: String) -> RasterizationError {
            RasterizationError(.invalidConfiguration, "colour \"\(text)\": \(why)")
        }
        if let hex = CSSColorNames.table[source] { source = hex }
        if source.hasPrefix("#") {
            let digits = Array(source.dropFirst())
            guard [3, 4, 6, 8].contains(digits.count), digits.allSatisfy(\.isHexDigit) else { throw fail("not a hex colour") }
            let short = digits.count <= 4
            var channels: [Double] = []
            let step = short ? 1 : 2
            var index = 0
            while index < digits.count {
                let pair = short ? String([digits[index], digits[index]]) : String(digits[index..<(index + step)])
                channels.append(Double(Int(pair, radix: 16)!) / 255)
                index += step
            }
            space = .srgb
            coordinates = (channels[0], channels[1], channels[2])
            alpha = channels.count == 4 ? channels[3] : 1
            return
        }
        guard let open = source.firstIndex(of: "("), source.hasSuffix(")") else { throw fail("unknown colour syntax") }
        let function = String(source[..<open])
        var body = String(source[source.index(after: open)..<source.index(before: source.endIndex)])
        var alphaText: String?
        if let slash = body.firstIndex(of: "/") {
            alphaText = String(body[body.index(after: slash)...]).trimmingCharacters(in: .whitespaces)
            body = String(body[..<slash])
        }
        var parts = body.replacingOccurrences(of: ",", with: " ").split(separator: " ").map(String.init)
        if parts.count == 4, alphaText == nil {
            alphaText = parts.removeLast()
        }
        guard parts.count == 3 else { throw fail("expected three components") }

        func number(_ token: String, percentScale: Double) throws(RasterizationError) -> Double {
            if token == "none" { return .nan }
            if token.hasSuffix("%") {
                guard let value = Double(token.dropLast()) else { throw fail("bad number \"\(token)\"") }
                return value / 100 * percentScale
            }
            guard let value = Double(token) else { throw fail("bad number \"\(token)\"") }
            return value
        }
        func hue(_ token: String) throws(RasterizationError) -> Double {
            let units: [(String, Double)] = [("deg", 1), ("grad", 0.9), ("rad", 180 / Double.pi), ("turn", 360)]
            for (unit, scale) in units where token.hasSuffix(unit) {
                guard let value = Double(token.dropLast(unit.count)) else { throw fail("bad hue \"\(token)\"") }
                return value * scale
            }
            return try number(token, percentScale: 1)
        }
        alpha = try alphaText.map { (text) throws(RasterizationError) -> Double in try number(text, percentScale: 1) } ?? 1
        if alpha.isNaN { alpha = 0 }
        switch function {
        case "rgb", "rgba":
            space = .srgb
            func channel(_ token: String) throws(RasterizationError) -> Double {
                token.hasSuffix("%") ? try number(token, percentScale: 1) : try number(token, percentScale: 1) / 255
            }
            coordinates = (try channel(parts[0]), try channel(parts[1]), try channel(parts[2]))
        case "hsl", "hsla":
            space = .srgb
            let h = try hue(parts[0])
            let s = try number(parts[1], percentScale: 1)
            let l = try number(parts[2], percentScale: 1)
            coordinates = Self.hslToSRGB(h.isNaN ? 0 : h, s.isNaN ? 0 : s, l.isNaN ? 0 : l)
        case "lab":
            space = .lab
            coordinates = (try number(parts[0], percentScale: 100), try number(parts[1], percentScale: 125), try number(parts[2], percentScale: 125))
        case "lch":
            space = .lch
            coordinates = (try number(parts[0], percentScale: 100), try number(parts[1], percentScale: 150), try hue(parts[2]))
        default:
            throw fail("unsupported colour function \(function)()")
        }
    }

    /// The colour in CIE LCh D50 (hue NaN when achromatic), as coloraide converts it for interpolation.
    var lch: (Double, Double, Double) {
        switch space {
        case .lch:
            var value = coordinates
            if value.1 < ColorSpace.achromaticThreshold { value.2 = .nan }
            return value
        case .lab:
            return ColorSpace.labToLCh(
                (coordinates.0.isNaN ? 0 : coordinates.0, coordinates.1.isNaN ? 0 : coordinates.1, coordinates.2.isNaN ? 0 : coordinates.2))
        case .srgb:
            return ColorSpace.srgbToLCh(
                (coordinates.0.isNaN ? 0 : coordinates.0, coordinates.1.isNaN ? 0 : coordinates.1, coordinates.2.isNaN ? 0 : coordinates.2))
        }
    }

    static func hslToSRGB(_ hue: Double, _ saturation: Double, _ lightness: Double) -> (Double, Double, Double) {
        let h = ColorSpace.constrainHue(hue)
        func channel(_ n: Double) -> Double {
            let k = (n + h / 30).truncatingRemainder(dividingBy: 12)
            let a = saturation * min(lightness, 1 - lightness)
            return lightness - a * max(-1, min(k - 3, 9 - k, 1))
        }
        return (channel(0), channel(8), channel(4))
    }
}
