import Foundation

// Neutron transport through a slab, by analog Monte Carlo: the classic textbook problem. A beam enters a
// slab of `thickness` mean free paths at normal incidence. At each collision a neutron scatters
// isotropically with probability `scatteringRatio` (Σs/Σt) and is absorbed otherwise; it is transmitted
// when it leaves through the far face and reflected when it leaves through the near one.
// With no scattering the transmission is exp(-thickness), which the bash app computes for comparison.

/// The slab and the batch of neutron histories one task follows.
struct Batch: Codable, Sendable, Hashable {
    var index: Int
    var seed: UInt64
    var histories: Int
    /// Slab thickness in mean free paths (Σt · L).
    var thickness: Double
    /// Σs / Σt: the probability that a collision scatters rather than absorbs.
    var scatteringRatio: Double
}

/// What one batch counted.
struct Tally: Codable, Sendable, Hashable {
    var histories = 0
    var transmitted = 0
    var reflected = 0
    var absorbed = 0
    var collisions = 0
}

/// The combined estimate, with one standard error per fraction (binomial).
struct Estimate: Codable, Sendable, Hashable {
    struct Fraction: Codable, Sendable, Hashable {
        var value: Double
        var standardError: Double
        init(count: Int, of n: Int) {
            value = n > 0 ? Double(count) / Double(n) : 0
            standardError = n > 0 ? (value * (1 - value) / Double(n)).squareRoot() : 0
        }
    }
    var histories: Int
    var batches: Int
    var transmission: Fraction
    var reflection: Fraction
    var absorption: Fraction
    var collisionsPerHistory: Double
}

/// A bad slab or batch. Registered with the app registry, so it reaches the leader from a worker process
/// as itself, with every field, and `catch let error as SlabError` works there.
struct SlabError: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    var parameter: String
    var value: Double
    var reason: String
    var description: String { "\(parameter) = \(value): \(reason)" }
}

enum Transport {
    static func check(_ batch: Batch) throws(SlabError) {
        guard batch.histories > 0 else {
            throw SlabError(parameter: "histories", value: Double(batch.histories), reason: "a batch needs at least one history")
        }
        guard batch.thickness > 0, batch.thickness.isFinite else {
            throw SlabError(parameter: "thickness", value: batch.thickness, reason: "the slab must be thicker than 0 mean free paths")
        }
        guard (0...1).contains(batch.scatteringRatio) else {
            throw SlabError(parameter: "scatteringRatio", value: batch.scatteringRatio, reason: "must be within 0...1 (a collision cannot create neutrons)")
        }
    }

    /// Follows `batch.histories` neutrons. Deterministic: the random stream depends only on the seed and
    /// the batch index, never on which worker runs the batch.
    static func simulate(_ batch: Batch) throws(SlabError) -> Tally {
        try check(batch)
        var random = SplitMix64(seed: batch.seed, stream: UInt64(batch.index))
        var tally = Tally(histories: batch.histories)
        for _ in 0..<batch.histories {
            var x = 0.0
            var mu = 1.0
            while true {
                x += mu * -Foundation.log(random.nextOpenUnit())  // distance to the next collision, in mfp
                if x >= batch.thickness {
                    tally.transmitted += 1
                    break
                }
                if x < 0 {
                    tally.reflected += 1
                    break
                }
                tally.collisions += 1
                if random.nextUnit() >= batch.scatteringRatio {
                    tally.absorbed += 1
                    break
                }
                mu = 2 * random.nextUnit() - 1  // isotropic: the direction cosine is uniform in [-1, 1]
            }
        }
        return tally
    }

    /// Adds the batches up, in order (the result does not depend on which batch finished first).
    static func combine(_ tallies: [Tally]) -> Estimate {
        var total = Tally()
        for t in tallies {
            total.histories += t.histories
            total.transmitted += t.transmitted
            total.reflected += t.reflected
            total.absorbed += t.absorbed
            total.collisions += t.collisions
        }
        let n = total.histories
        return Estimate(
            histories: n,
            batches: tallies.count,
            transmission: .init(count: total.transmitted, of: n),
            reflection: .init(count: total.reflected, of: n),
            absorption: .init(count: total.absorbed, of: n),
            collisionsPerHistory: n > 0 ? Double(total.collisions) / Double(n) : 0
        )
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, and good enough for this; one stream per batch.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64, stream: UInt64) {
        state = seed ^ (stream &* 0xD1B5_4A32_D192_ED03)
        _ = next()
    }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
    /// Uniform in (0, 1], safe for log.
    mutating func nextOpenUnit() -> Double { 1 - nextUnit() }
}
