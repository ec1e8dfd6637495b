/// How a parent pixel is made from its 2 × 2 child pixels (`resampling_method`, GDAL names).
///
/// Where the grids nest (always, for quad tile matrix sets) every method is evaluated exactly on the four child
/// values. `sum`, `average`, `max`, `min`, `rms` match GDAL up to its ~1e-9 weighting noise (spec §8); `nearest`
/// takes the south-east child pixel (GDAL samples the parent pixel centre, which falls on the shared corner, and
/// rounds down-right); `mode`, `med`, `q1`, `q3` follow GDAL's definitions on four values; the interpolating kernels
/// (`bilinear`, `cubic`, `cubicspline`, `lanczos`, `gauss`) are approximated by the 2 × 2 average (GDAL widens the
/// kernel when downsampling, so they differ slightly).
public enum ResamplingMethod: String, Sendable, Hashable, Codable, CaseIterable {
    case sum, average, max, min, nearest, mode, med, q1, q3, rms, bilinear, cubic, cubicspline, lanczos, gauss

    /// Parses a config value (nil = `nearest`, rasterio's default).
    public init(configValue: String?, statistic: String) throws(RasterizationError) {
        guard let value = configValue else {
            self = .nearest
            return
        }
        guard let method = ResamplingMethod(rawValue: value) else {
            throw RasterizationError(.invalidConfiguration, "statistic \"\(statistic)\": resampling_method \"\(value)\" is not supported")
        }
        self = method
    }

    /// Combines the four child values (north-west, north-east, south-west, south-east).
    @inline(__always)
    func combine(_ a: Double, _ b: Double, _ c: Double, _ d: Double) -> Double {
        switch self {
        case .sum: return (a + b) + (c + d)
        case .average, .bilinear, .cubic, .cubicspline, .lanczos, .gauss: return ((a + b) + (c + d)) * 0.25
        case .max: return Swift.max(Swift.max(a, b), Swift.max(c, d))
        case .min: return Swift.min(Swift.min(a, b), Swift.min(c, d))
        case .nearest: return d
        case .rms: return (((a * a + b * b) + (c * c + d * d)) * 0.25).squareRoot()
        case .mode:
            // GDAL: most frequent value; ties go to the first encountered in row-major order.
            let values = [a, b, c, d]
            var best = a
            var bestCount = 0
            for value in values {
                let count = values.reduce(0) { $0 + ($1 == value ? 1 : 0) }
                if count > bestCount {
                    best = value
                    bestCount = count
                }
            }
            return best
        case .med, .q1, .q3:
            let sorted = [a, b, c, d].sorted()
            // Of the four sorted values: q1 → 1st, med → 2nd (the lower middle), q3 → 3rd.
            switch self {
            case .q1: return sorted[0]
            case .med: return sorted[1]
            default: return sorted[2]
            }
        }
    }
}
