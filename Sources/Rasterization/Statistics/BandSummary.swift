/// Per-band statistics of one raster, as pdgraster's `rasters_summary` CSV reports them (over all pixels, zeros
/// included; `std` and `var` are population values).
public struct BandSummary: Sendable, Hashable, Codable {
    /// The statistic (band description).
    public var stat: String
    public var min: Double
    public var max: Double
    public var mean: Double
    public var median: Double
    public var std: Double
    public var `var`: Double
    public var sum: Double

    /// Computes the summary of a band.
    public init(stat: String, values: [Double]) {
        self.stat = stat
        var low = Double.infinity, high = -Double.infinity, total = 0.0
        for value in values {
            low = Swift.min(low, value)
            high = Swift.max(high, value)
            total += value
        }
        let count = Double(values.count)
        let average = total / count
        var squares = 0.0
        for value in values {
            let delta = value - average
            squares += delta * delta
        }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        min = low
        max = high
        sum = total
        mean = average
        `var` = squares / count
        std = `var`.squareRoot()
        median = sorted.isEmpty ? .nan : (sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2)
    }
}
