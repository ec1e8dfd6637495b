import Testing

@testable import PDGTiling

struct DeduplicationTests {
    static func candidate(
        _ filename: String, _ sequence: UInt64, x: Double, y: Double, size: Double = 1, date: String?,
        duplicated: Bool = false
    ) -> DeduplicationCandidate {
        let polygon = GeometryTests.squarePolygon(x, y, size)
        return DeduplicationCandidate(
            filename: filename, sequence: sequence, polygon: polygon, boundingBox: polygon.boundingBox,
            area: size * size, centroidX: x + size / 2, centroidY: y + size / 2,
            keepValues: [date.map(FieldValue.string) ?? .null], alreadyDuplicated: duplicated)
    }

    static let larger = KeepRuleOrdering(rules: [.init(property: "Date", keepsLarger: true)])
    static let smaller = KeepRuleOrdering(rules: [.init(property: "Date", keepsLarger: false)])

    static func neighbor(
        overlap: Double? = 0.5, both: Bool = true, centroid: Double? = nil, ordering: KeepRuleOrdering = larger
    ) -> NeighborDeduplicator {
        NeighborDeduplicator(
            overlapTolerance: overlap, overlapBoth: both, centroidTolerance: centroid, distanceCRS: nil,
            targetCRS: "OGC:CRS84", ordering: ordering)
    }

    @Test func keepRulesPreferLargerOrSmaller() {
        let a = ([FieldValue.string("20190903")], "a.shp", UInt64(0))
        let b = ([FieldValue.string("20200101")], "b.shp", UInt64(0))
        #expect(Self.larger.prefers(b, over: a))
        #expect(Self.smaller.prefers(a, over: b))
    }

    @Test func nullLosesEitherWay() {
        let value = ([FieldValue.real(1)], "b.shp", UInt64(0))
        let missing = ([FieldValue.null], "a.shp", UInt64(0))
        #expect(Self.larger.prefers(value, over: missing))
        #expect(Self.smaller.prefers(value, over: missing))
    }

    @Test func tiesGoToTheSmallerFilenameThenTheEarlierRow() {
        let early = ([FieldValue.string("d")], "a.shp", UInt64(5))
        let late = ([FieldValue.string("d")], "b.shp", UInt64(0))
        #expect(Self.larger.prefers(early, over: late))
        #expect(!Self.larger.prefers(late, over: early))
        let first = ([FieldValue.string("d")], "a.shp", UInt64(1))
        #expect(Self.larger.prefers(first, over: early))
    }

    @Test func secondRuleBreaksTiesOfTheFirst() {
        let ordering = KeepRuleOrdering(rules: [.init(property: "Date", keepsLarger: true), .init(property: "Area", keepsLarger: false)])
        let big = ([FieldValue.string("d"), .real(10)], "a.shp", UInt64(0))
        let small = ([FieldValue.string("d"), .real(2)], "b.shp", UInt64(0))
        #expect(ordering.prefers(small, over: big))
    }

    @Test func neighborRemovesTheOlderOfTwoOverlappingPolygons() throws {
        let rows = [
            Self.candidate("a.shp", 0, x: 0, y: 0, date: "2019"),
            Self.candidate("b.shp", 0, x: 0.1, y: 0.1, date: "2020"),
            Self.candidate("b.shp", 1, x: 5, y: 5, date: "2020"),
        ]
        #expect(try Self.neighbor().labels(for: rows) == [true, false, false])
        #expect(try Self.neighbor(ordering: Self.smaller).labels(for: rows) == [false, true, false])
    }

    @Test func neighborIgnoresPairsWithinOneFile() throws {
        let rows = [
            Self.candidate("a.shp", 0, x: 0, y: 0, date: "2019"),
            Self.candidate("a.shp", 1, x: 0, y: 0, date: "2020"),
        ]
        #expect(try Self.neighbor().labels(for: rows) == [false, false])
    }

    @Test func neighborOverlapToleranceIsStrict() throws {
        // Overlap 0.5 × 1 = 0.5 of each unit square: not > 0.5.
        let half = [
            Self.candidate("a.shp", 0, x: 0, y: 0, date: "2019"),
            Self.candidate("b.shp", 0, x: 0.5, y: 0, date: "2020"),
        ]
        #expect(try Self.neighbor().labels(for: half) == [false, false])
        #expect(try Self.neighbor(overlap: 0.4).labels(for: half) == [true, false])
    }

    @Test func neighborOverlapBothOrEither() throws {
        // A small square inside a big one: 100 % of the small, 4 % of the big.
        let rows = [
            Self.candidate("a.shp", 0, x: 0, y: 0, size: 5, date: "2019"),
            Self.candidate("b.shp", 0, x: 1, y: 1, size: 1, date: "2020"),
        ]
        #expect(try Self.neighbor(both: true).labels(for: rows) == [false, false])
        #expect(try Self.neighbor(both: false).labels(for: rows) == [true, false])
    }

    @Test func neighborTouchingPolygonsAreNotDuplicates() throws {
        let rows = [
            Self.candidate("a.shp", 0, x: 0, y: 0, date: "2019"),
            Self.candidate("b.shp", 0, x: 1, y: 0, date: "2020"),
        ]
        #expect(try Self.neighbor(overlap: 0).labels(for: rows) == [false, false])
    }

    @Test func neighborCentroidTolerance() throws {
        let rows = [
            Self.candidate("a.shp", 0, x: 0, y: 0, date: "2019"),
            Self.candidate("b.shp", 0, x: 0.3, y: 0, date: "2020"),
        ]
        #expect(try Self.neighbor(overlap: nil, centroid: 0.2).labels(for: rows) == [false, false])
        #expect(try Self.neighbor(overlap: nil, centroid: 0.31).labels(for: rows) == [true, false])
    }

    @Test func neighborTieIsDeterministic() throws {
        let rows = [
            Self.candidate("b.shp", 0, x: 0, y: 0, date: "2020"),
            Self.candidate("a.shp", 0, x: 0.1, y: 0, date: "2020"),
        ]
        #expect(try Self.neighbor().labels(for: rows) == [true, false])
        #expect(try Self.neighbor().labels(for: rows.reversed()) == [false, true])
    }

    @Test func neighborKeepsExistingLabels() throws {
        let rows = [
            Self.candidate("a.shp", 0, x: 0, y: 0, date: "2019", duplicated: true),
            Self.candidate("b.shp", 0, x: 10, y: 10, date: "2020"),
        ]
        #expect(try Self.neighbor().labels(for: rows) == [true, false])
    }

    static func footprint(_ squares: [(Double, Double, Double)], date: String) -> FootprintDeduplicator.Footprint {
        .init(polygons: squares.map { ([.string(date)], GeometryTests.squarePolygon($0.0, $0.1, $0.2)) })
    }

    @Test func footprintsRemoveTheLessPreferredFilesRowsInTheOverlap() throws {
        let rows = [
            Self.candidate("a.shp", 0, x: 1, y: 1, size: 0.5, date: nil),  // in a only
            Self.candidate("a.shp", 1, x: 6, y: 1, size: 0.5, date: nil),  // in the overlap
            Self.candidate("b.shp", 0, x: 6.2, y: 1, size: 0.5, date: nil),  // in the overlap, preferred file
            Self.candidate("a.shp", 2, x: 4.8, y: 1, size: 0.5, date: nil),  // crosses into the overlap
        ]
        let footprints = [
            "a.shp": Self.footprint([(0, 0, 10)], date: "2019"),
            "b.shp": Self.footprint([(5, 0, 10)], date: "2020"),
        ]
        let labels = try FootprintDeduplicator(ordering: Self.larger).labels(for: rows, footprints: footprints)
        #expect(labels == [false, true, false, true])
    }

    @Test func footprintOverlapUsesEveryFootprintPolygon() throws {
        // File b's footprint has two polygons; only its second overlaps a's first. PDG's index-aligned
        // intersection (row 0 with row 0) would find no overlap.
        let rows = [
            Self.candidate("a.shp", 0, x: 21, y: 1, size: 0.5, date: nil),
            Self.candidate("b.shp", 0, x: 21.2, y: 1, size: 0.5, date: nil),
        ]
        let footprints = [
            "a.shp": Self.footprint([(20, 0, 5)], date: "2019"),
            "b.shp": Self.footprint([(100, 100, 5), (20, 0, 5)], date: "2020"),
        ]
        let labels = try FootprintDeduplicator(ordering: Self.larger).labels(for: rows, footprints: footprints)
        #expect(labels == [true, false])
    }

    @Test func footprintsWithoutAFootprintFileCompareNothing() throws {
        let rows = [
            Self.candidate("a.shp", 0, x: 1, y: 1, date: nil),
            Self.candidate("b.shp", 0, x: 1, y: 1, date: nil),
        ]
        let labels = try FootprintDeduplicator(ordering: Self.larger)
            .labels(for: rows, footprints: ["a.shp": Self.footprint([(0, 0, 10)], date: "2019")])
        #expect(labels == [false, false])
    }

    @Test func footprintTieGoesToTheSmallerFilename() throws {
        let rows = [
            Self.candidate("b.shp", 0, x: 1, y: 1, size: 0.5, date: nil),
            Self.candidate("a.shp", 0, x: 1, y: 1, size: 0.5, date: nil),
        ]
        let footprints = [
            "a.shp": Self.footprint([(0, 0, 10)], date: "2020"),
            "b.shp": Self.footprint([(0, 0, 10)], date: "2020"),
        ]
        let labels = try FootprintDeduplicator(ordering: Self.larger).labels(for: rows, footprints: footprints)
        #expect(labels == [true, false])
    }
}
