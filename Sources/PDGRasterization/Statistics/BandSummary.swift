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
        var low = Double.infinity
        var high = -Double.infinity
        var total = 0.0
        var negatives = 0
        var zeros = 0
        var plainZeros = true  // no -0.0 and no NaN, whose place in the order quickselect leaves open
        for value in values {
            low = Swift.min(low, value)
            high = Swift.max(high, value)
            total += value
            if value < 0 {
                negatives += 1
            } else if value == 0 {
                zeros += 1
                if value.sign == .minus { plainZeros = false }
            } else if value.isNaN {
                plainZeros = false
            }
        }
        let count = Double(values.count)
        let average = total / count
        var squares = 0.0
        for value in values {
            let delta = value - average
            squares += delta * delta
        }
        min = low
        max = high
        sum = total
        mean = average
        `var` = squares / count
        std = `var`.squareRoot()
        // PDG bands are mostly zeros: when the middle value(s) fall among them, the median is 0 without a copy of
        // the band and a quickselect.
        let middle = values.count % 2 == 1 ? values.count / 2...values.count / 2 : values.count / 2 - 1...values.count / 2
        if plainZeros, !values.isEmpty, middle.lowerBound >= negatives, middle.upperBound < negatives + zeros {
            median = 0
        } else {
            median = Self.median(values)
        }
    }

    /// numpy's median (mean of the two middle values for even counts) by quickselect: O(n), no full sort.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        var work = values
        let count = work.count
        let upper = select(&work, count / 2)
        if count % 2 == 1 { return upper }
        // The lower middle is the largest value left of the upper one after partitioning.
        var lower = -Double.infinity
        for index in 0..<(count / 2) where work[index] > lower { lower = work[index] }
        return (lower + upper) / 2
    }

    /// Hoare quickselect: puts the k-th smallest at index k, smaller ones before it.
    private static func select(_ values: inout [Double], _ k: Int) -> Double {
        values.withUnsafeMutableBufferPointer { buffer in
            var low = 0
            var high = buffer.count - 1
            while low < high {
                let pivot = buffer[(low + high) / 2]
                var i = low
                var j = high
                while i <= j {
                    while buffer[i] < pivot { i += 1 }
                    while buffer[j] > pivot { j -= 1 }
                    if i <= j {
                        buffer.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                }
                if k <= j { high = j } else if k >= i { low = i } else { break }
            }
            return buffer[k]
        }
    }
}
