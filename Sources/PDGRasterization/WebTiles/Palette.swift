import PDGTiling
import Synchronization

/// A statistic's 257-colour lookup table: 256 gradient colours at positions k/256 plus the nodata colour, built
/// exactly as pdgraster + coloraide 0.10 do (interpolation in CIE LCh D50, shorter hue arc, undefined hues taken from
/// the other stop, alpha interpolated linearly and not premultiplied, `lch-chroma` gamut mapping, then pdgraster's
/// 3-significant-digit text round trip and truncation).
public struct Palette: Sendable, Hashable {
    /// 257 RGBA colours, 4 bytes each: index 0…255 gradient, 256 nodata.
    public var rgba: [UInt8]

    /// pdgraster's default gradient (white → black) and nodata colour.
    public static let defaultColors = ["#FFFFFF", "#000000"]
    public static let defaultNodataColor = "#ffffff00"

    /// Builds the palette of colour strings.
    public init(colors: [String], nodataColor: String?) throws(RasterizationError) {
        guard !colors.isEmpty else { throw RasterizationError(.invalidConfiguration, "palette has no colours") }
        var stops: [CSSColor] = []
        for text in colors { stops.append(try CSSColor(parsing: text)) }
        let nodata = try CSSColor(parsing: nodataColor ?? Self.defaultNodataColor)
        var table = [UInt8](repeating: 0, count: 257 * 4)
        for index in 0..<256 {
            let color = Self.gradient(stops, at: Double(index) / 256)
            table.replaceSubrange((index * 4)..<(index * 4 + 4), with: color)
        }
        table.replaceSubrange(1024..<1028, with: Self.bytes(of: nodata))
        rgba = table
    }

    /// Palettes already built in this process, by colours and nodata colour (building one runs 256 gamut mappings).
    private static let cache = Mutex<[[String]: Palette]>([:])

    /// The palette of a statistic, built once per process and then shared.
    public static func cached(for statistic: StatisticConfiguration) throws(RasterizationError) -> Palette {
        var key: [String] = [statistic.nodataColor ?? Self.defaultNodataColor]
        switch statistic.palette {
        case .array(let items)?: key += items.map { if case .string(let text) = $0 { text } else { "" } }
        case .string(let text)?: key.append(text)
        default: key += Self.defaultColors
        }
        if let palette = cache.withLock({ $0[key] }) { return palette }
        let palette = try Palette(statistic: statistic)
        cache.withLock { $0[key] = palette }
        return palette
    }

    /// The palette of a statistic (`palette` colour list or pdgraster's default; colormap names are not supported).
    public init(statistic: StatisticConfiguration) throws(RasterizationError) {
        var colors = Self.defaultColors
        switch statistic.palette {
        case .array(let items)?:
            colors = items.compactMap { if case .string(let text) = $0 { text } else { nil } }
        case .string(let text)?:
            if (try? CSSColor(parsing: text)) != nil {
                colors = [text]
            } else {
                throw RasterizationError(
                    .invalidConfiguration,
                    "statistic \"\(statistic.name)\": palette \"\(text)\" is a colormap name; named colormaps are not supported, list the colours instead")
            }
        default:
            break
        }
        do {
            try self.init(colors: colors, nodataColor: statistic.nodataColor)
        } catch {
            throw RasterizationError(error.code, "statistic \"\(statistic.name)\": \(error.message)")
        }
    }

    /// The colour at `position` ∈ [0, 1] of evenly spaced stops (coloraide `interpolate(…, space='lch')`).
    static func gradient(_ stops: [CSSColor], at position: Double) -> [UInt8] {
        if stops.count == 1 { return bytes(of: stops[0]) }
        let segments = stops.count - 1
        // coloraide spreads missing stops evenly: stop i at i / segments (accumulated as it does).
        var boundaries = [0.0]
        var last = 0.0
        let increment = (100.0 - 0) / Double(segments)
        for _ in 1...segments {
            last += increment
            boundaries.append(last / 100)
        }
        var segment = segments - 1
        var previous = boundaries[0]
        for index in 1...segments where position <= boundaries[index] {
            segment = index - 1
            break
        }
        previous = boundaries[segment]
        let span = boundaries[segment + 1] - previous
        let t = span != 0 ? (position - previous) / span : 1
        var first = stops[segment].lch
        var second = stops[segment + 1].lch
        // Hue: shorter arc; an undefined hue takes the other one.
        var h1 = ColorSpace.constrainHue(first.2)
        var h2 = ColorSpace.constrainHue(second.2)
        if !h1.isNaN, !h2.isNaN {
            if h2 - h1 > 180 { h1 += 360 } else if h2 - h1 < -180 { h2 += 360 }
        }
        first.2 = h1
        second.2 = h2
        func lerp(_ a: Double, _ b: Double) -> Double {
            if a.isNaN, b.isNaN { return .nan }
            if a.isNaN { return b }
            if b.isNaN { return a }
            return a + (b - a) * t
        }
        var lch = (lerp(first.0, second.0), lerp(first.1, second.1), lerp(first.2, second.2))
        let alpha = lerp(stops[segment].alpha, stops[segment + 1].alpha)
        if lch.1 < ColorSpace.achromaticThreshold { lch.2 = .nan }
        return bytes(of: lch, alpha: alpha)
    }

    /// A parsed colour printed as coloraide prints it: sRGB colours directly (fitted only when out of gamut),
    /// others through LCh.
    static func bytes(of color: CSSColor) -> [UInt8] {
        guard color.space == .srgb else { return bytes(of: color.lch, alpha: color.alpha) }
        let rgb = color.coordinates
        if [rgb.0, rgb.1, rgb.2].allSatisfy({ $0 >= 0 && $0 <= 1 }) {
            return [ColorSpace.byteChannel(rgb.0), ColorSpace.byteChannel(rgb.1), ColorSpace.byteChannel(rgb.2), ColorSpace.byteAlpha(color.alpha)]
        }
        return bytes(of: color.lch, alpha: color.alpha)
    }

    static func bytes(of lch: (Double, Double, Double), alpha: Double) -> [UInt8] {
        let rgb = ColorSpace.fittedSRGB(fromLCh: (lch.0.isNaN ? 0 : lch.0, lch.1.isNaN ? 0 : lch.1, lch.2))
        return [ColorSpace.byteChannel(rgb.0), ColorSpace.byteChannel(rgb.1), ColorSpace.byteChannel(rgb.2), ColorSpace.byteAlpha(alpha)]
    }
}
