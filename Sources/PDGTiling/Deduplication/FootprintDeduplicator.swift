/// PDG's `footprints` deduplication (spec §6.4): where the footprints of two files overlap, only the preferred
/// file's polygons survive; polygons of the other file that touch the overlap are duplicates.
///
/// Differences from pdgstaging 0.9.2 (fixes, see docs/compatibility.md): the overlap is the intersection of
/// every polygon of one footprint with every polygon of the other (PDG intersects them row by row, index-aligned);
/// each row appears once in the output (PDG repeats already-flagged rows); ties in the keep rules go to the
/// smaller filename.
struct FootprintDeduplicator {
    /// A file's footprint polygons (TMS CRS) and the values of the keep-rule properties per polygon.
    struct Footprint {
        var polygons: [(keepValues: [FieldValue], polygon: Polygon)]
    }

    let ordering: KeepRuleOrdering

    /// Returns, for each candidate, whether it is a duplicate.
    func labels(for candidates: [DeduplicationCandidate], footprints: [String: Footprint]) throws(TilingError) -> [Bool] {
        var removed = candidates.map(\.alreadyDuplicated)
        var groups: [String: [Int]] = [:]
        for (index, candidate) in candidates.enumerated() {
            groups[candidate.filename, default: []].append(index)
        }
        let names = groups.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        guard names.count > 1 else { return removed }

        // Rank: the footprints sorted by keep rules; a file's position is that of its best footprint polygon.
        var entries: [(values: [FieldValue], filename: String, sequence: UInt64)] = []
        for name in names {
            for (index, polygon) in (footprints[name]?.polygons ?? []).enumerated() {
                entries.append((polygon.keepValues, name, UInt64(index)))
            }
        }
        entries.sort { ordering.prefers($0, over: $1) }
        var rank: [String: Int] = [:]
        for (position, entry) in entries.enumerated() where rank[entry.filename] == nil {
            rank[entry.filename] = position
        }

        let engine = try GeometryEngine()
        var footprintGeometries: [String: [(BoundingBox, EngineGeometry)]] = [:]
        for name in names {
            guard let footprint = footprints[name] else { continue }
            var made: [(BoundingBox, EngineGeometry)] = []
            for entry in footprint.polygons {
                made.append((entry.polygon.boundingBox, try engine.makePolygon(entry.polygon)))
            }
            footprintGeometries[name] = made
        }

        for first in 0..<names.count {
            for second in (first + 1)..<names.count {
                let a = names[first]
                let b = names[second]
                guard let footprintA = footprintGeometries[a], let footprintB = footprintGeometries[b],
                    let rankA = rank[a], let rankB = rank[b]
                else { continue }
                let loser = rankA <= rankB ? b : a
                var overlap: [(BoundingBox, PreparedEngineGeometry)] = []
                for (boxA, geometryA) in footprintA {
                    for (boxB, geometryB) in footprintB where boxA.intersects(boxB) {
                        let piece = try geometryA.intersection(geometryB)
                        guard !piece.isEmpty else { continue }
                        var box = boxA
                        box.left = max(boxA.left, boxB.left)
                        box.right = min(boxA.right, boxB.right)
                        box.bottom = max(boxA.bottom, boxB.bottom)
                        box.top = min(boxA.top, boxB.top)
                        overlap.append((box, try piece.prepared()))
                    }
                }
                guard !overlap.isEmpty else { continue }
                for index in groups[loser]! where !removed[index] {
                    let box = candidates[index].boundingBox
                    var hit = false
                    var geometry: EngineGeometry?
                    for (pieceBox, piece) in overlap where pieceBox.intersects(box) {
                        if geometry == nil { geometry = try engine.makePolygon(candidates[index].polygon) }
                        if piece.intersects(geometry!) {
                            hit = true
                            break
                        }
                    }
                    if hit { removed[index] = true }
                }
            }
        }
        return removed
    }
}
