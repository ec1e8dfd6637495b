/// Accumulates values per pixel for one band with a pandas aggregation; pixels that receive no value are 0
/// (pdgraster's outer join + `fillna(0)`), and so are NaN results (e.g. `std` of one value).
struct PixelAggregator {
    let method: AggregationMethod
    let pixelCount: Int
    private(set) var primary: [Double]
    private var counts: [Double]
    private var secondary: [Double]
    private var lists: [Int: [Double]] = [:]

    init(method: AggregationMethod, pixelCount: Int) {
        self.method = method
        self.pixelCount = pixelCount
        primary = [Double](repeating: 0, count: pixelCount)
        switch method {
        case .sum, .first, .last, .size:
            counts = [Double](repeating: 0, count: method == .sum ? 0 : pixelCount)
            secondary = []
        case .max, .min, .mean, .count, .prod:
            counts = [Double](repeating: 0, count: pixelCount)
            secondary = []
        case .std, .var:
            counts = [Double](repeating: 0, count: pixelCount)
            secondary = [Double](repeating: 0, count: pixelCount)
        case .median:
            counts = []
            secondary = []
        }
        if method == .prod { primary = [Double](repeating: 1, count: pixelCount) }
    }

    /// Adds one value (NaN = missing: skipped as pandas does, except by `size`/`first`/`last` bookkeeping).
    @inline(__always)
    mutating func add(_ value: Double, at pixel: Int) {
        switch method {
        case .sum:
            if !value.isNaN { primary[pixel] += value }
        case .size:
            primary[pixel] += 1
        case .count:
            if !value.isNaN { primary[pixel] += 1 }
        case .mean:
            if !value.isNaN {
                primary[pixel] += value
                counts[pixel] += 1
            }
        case .max:
            if !value.isNaN, counts[pixel] == 0 || value > primary[pixel] {
                primary[pixel] = value
                counts[pixel] = 1
            }
        case .min:
            if !value.isNaN, counts[pixel] == 0 || value < primary[pixel] {
                primary[pixel] = value
                counts[pixel] = 1
            }
        case .first:
            if !value.isNaN, counts[pixel] == 0 {
                primary[pixel] = value
                counts[pixel] = 1
            }
        case .last:
            if !value.isNaN {
                primary[pixel] = value
                counts[pixel] = 1
            }
        case .prod:
            if !value.isNaN {
                primary[pixel] *= value
                counts[pixel] = 1
            }
        case .std, .var:
            // Welford's running mean and sum of squared deviations.
            if !value.isNaN {
                counts[pixel] += 1
                let delta = value - primary[pixel]
                primary[pixel] += delta / counts[pixel]
                secondary[pixel] += delta * (value - primary[pixel])
            }
        case .median:
            if !value.isNaN { lists[pixel, default: []].append(value) }
        }
    }

    /// The dense band (row-major).
    func finish() -> [Double] {
        var band = primary
        switch method {
        case .mean:
            for pixel in 0..<pixelCount { band[pixel] = counts[pixel] > 0 ? primary[pixel] / counts[pixel] : 0 }
        case .prod:
            for pixel in 0..<pixelCount where counts[pixel] == 0 { band[pixel] = 0 }
        case .std, .var:
            for pixel in 0..<pixelCount {
                let n = counts[pixel]
                let variance = n > 1 ? secondary[pixel] / (n - 1) : 0  // pandas: ddof = 1, NaN (→ 0) for one value
                band[pixel] = method == .std ? variance.squareRoot() : variance
            }
        case .median:
            for (pixel, values) in lists {
                let sorted = values.sorted()
                let middle = sorted.count / 2
                band[pixel] = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
            }
        default:
            break
        }
        return band
    }
}
