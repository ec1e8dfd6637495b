import PDGRasterization
import Testing

/// Band summaries against a plain sort: the median's shortcut for mostly-zero bands must give numpy's median.
@Suite("Band summaries")
struct BandSummaryTests {
    /// numpy's median by sorting: the middle value, or the mean of the two middle values.
    static func sortedMedian(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let count = sorted.count
        return count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2
    }

    /// Bands with a share of zeros from none to all, negatives and positives, odd and even lengths.
    static func bands() -> [[Double]] {
        var state: UInt64 = 42
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var bands: [[Double]] = [[0], [3], [0, 0], [0, 5], [-1, 0], [-2, 0, 0, 7], [0, 0, 0, 1, 1, 1]]
        for count in [9, 10, 255, 256, 4096] {
            for zeroShare in [0, 10, 45, 50, 55, 90, 100] {
                for negativeShare in [0, 30] {
                    bands.append(
                        (0..<count).map { _ in
                            let roll = Int(next() % 100)
                            if roll < zeroShare { return 0 }
                            let magnitude = Double(next() % 1000 + 1) / 7  // never 0, so no -0.0
                            return roll < zeroShare + (100 - zeroShare) * negativeShare / 100 ? -magnitude : magnitude
                        })
                }
            }
        }
        return bands
    }

    @Test("The median equals numpy's (by sorting), with and without the zero shortcut")
    func medianMatchesSorting() {
        for band in Self.bands() {
            let summary = BandSummary(stat: "s", values: band)
            #expect(summary.median == Self.sortedMedian(band), "\(band.count) values, \(band.filter { $0 == 0 }.count) zeros")
            #expect(summary.median.sign == .plus || summary.median != 0, "a zero median is +0")
        }
    }

    @Test("Negative zeros in the middle take the general path, which keeps their sign as numpy does")
    func negativeZeros() {
        let median = BandSummary(stat: "s", values: [-0.0, -0.0, -0.0, 1]).median
        #expect(median == 0)
        #expect(median.sign == .minus)
    }
}
