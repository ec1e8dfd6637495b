/// PDG's `neighbor` deduplication (spec §6.2): polygons of different files that overlap enough (and/or whose
/// centroids are close enough) are duplicates; the keep rules decide which one survives.
///
/// Files are compared pairwise in sorted filename order; rows removed by an earlier pair take no part in later
/// pairs. Within a pair, candidate pairs are found with bounding boxes, then the overlap is the area of the GEOS
/// intersection (touching pairs have zero area and are ignored).
struct NeighborDeduplicator {
    let overlapTolerance: Double?
    let overlapBoth: Bool
    let centroidTolerance: Double?
    let distanceCRS: String?
    let targetCRS: String
    let ordering: KeepRuleOrdering

    /// Returns, for each candidate, whether it is a duplicate (true also for rows already labelled).
    func labels(for candidates: [DeduplicationCandidate]) throws(TilingError) -> [Bool] {
        var removed = candidates.map(\.alreadyDuplicated)
        var groups: [String: [Int]] = [:]
        for (index, candidate) in candidates.enumerated() {
            groups[candidate.filename, default: []].append(index)
        }
        let names = groups.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        guard names.count > 1 else { return removed }

        let engine = try GeometryEngine()
        var geometries: [Int: EngineGeometry] = [:]
        func geometry(_ index: Int) throws(TilingError) -> EngineGeometry {
            if let cached = geometries[index] { return cached }
            let made = try engine.makePolygon(candidates[index].polygon)
            geometries[index] = made
            return made
        }
        var projected: [(Double, Double)]?
        if centroidTolerance != nil {
            projected = try projectCentroids(candidates)
        }

        for first in 0..<names.count {
            for second in (first + 1)..<names.count {
                let left = groups[names[first]]!.filter { !removed[$0] }
                let right = groups[names[second]]!.filter { !removed[$0] }
                guard !left.isEmpty, !right.isEmpty else { continue }
                // Sort the right side by x so each left row scans only the overlapping x range.
                let sortedRight = right.sorted { candidates[$0].boundingBox.left < candidates[$1].boundingBox.left }
                let maxWidth = right.map { candidates[$0].boundingBox.right - candidates[$0].boundingBox.left }.max() ?? 0
                var losers: [Int] = []
                for a in left {
                    let boxA = candidates[a].boundingBox
                    var low = 0
                    var high = sortedRight.count
                    let start = boxA.left - maxWidth
                    while low < high {
                        let middle = (low + high) / 2
                        if candidates[sortedRight[middle]].boundingBox.left < start { low = middle + 1 } else { high = middle }
                    }
                    var position = low
                    while position < sortedRight.count {
                        let b = sortedRight[position]
                        position += 1
                        let boxB = candidates[b].boundingBox
                        if boxB.left > boxA.right { break }
                        guard boxA.intersects(boxB) else { continue }
                        let overlap = try geometry(a).intersection(try geometry(b)).area
                        guard overlap > 0 else { continue }
                        if let tolerance = overlapTolerance {
                            let shareA = overlap / candidates[a].area
                            let shareB = overlap / candidates[b].area
                            let passes = overlapBoth ? (shareA > tolerance && shareB > tolerance) : (shareA > tolerance || shareB > tolerance)
                            guard passes else { continue }
                        }
                        if let tolerance = centroidTolerance, let projected {
                            let dx = projected[a].0 - projected[b].0
                            let dy = projected[a].1 - projected[b].1
                            guard (dx * dx + dy * dy).squareRoot() <= tolerance else { continue }
                        }
                        let aWins = ordering.prefers(
                            (candidates[a].keepValues, candidates[a].filename, candidates[a].sequence),
                            over: (candidates[b].keepValues, candidates[b].filename, candidates[b].sequence)
                        )
                        losers.append(aWins ? b : a)
                    }
                }
                for loser in losers { removed[loser] = true }
            }
        }
        return removed
    }

    private func projectCentroids(_ candidates: [DeduplicationCandidate]) throws(TilingError) -> [(Double, Double)] {
        var coordinates: [Double] = []
        coordinates.reserveCapacity(candidates.count * 2)
        for candidate in candidates {
            coordinates.append(candidate.centroidX)
            coordinates.append(candidate.centroidY)
        }
        if let distanceCRS {
            let source = try SpatialReference(definition: targetCRS)
            let target = try SpatialReference(definition: distanceCRS)
            let transformation = try CoordinateTransformation(from: source, to: target, description: "centroids → \(distanceCRS)")
            var scratchX: [Double] = []
            var scratchY: [Double] = []
            try transformation.transform(interleaved: &coordinates, scratchX: &scratchX, scratchY: &scratchY)
        }
        return (0..<candidates.count).map { (coordinates[2 * $0], coordinates[2 * $0 + 1]) }
    }
}
