import Foundation
import Testing

@testable import PDGTiling

/// The own shapefile reader against GDAL's driver (the reference): every feature, value and polygon must match.
@Suite struct ShapefileReaderTests {
    /// What one reader gave for one feature.
    struct Read: Equatable, CustomStringConvertible {
        var fid: Int64
        var values: [FieldValue]
        var polygons: [Polygon]?
        var unreadable: String?

        var description: String { "\(fid): \(values) \(polygons.map { "\($0.map(\.rings))" } ?? "nil") \(unreadable ?? "")" }
    }

    static func readThroughGDAL(_ path: String) throws -> [Read] {
        let layer = try VectorDataset(openingForReading: path).firstLayer()
        var reads: [Read] = []
        try layer.forEachFeature(unreadableGeometry: { fid, error in
            reads.append(Read(fid: fid, values: [], polygons: nil, unreadable: error.message))
        }) { fid, values, polygons in
            reads.append(Read(fid: fid, values: values, polygons: polygons))
        }
        return reads
    }

    /// nil when the reader declines the file.
    static func readOwn(_ path: String) throws -> [Read]? {
        try readOwnCounting(path)?.reads
    }

    /// Also how many records the reader left to GDAL.
    static func readOwnCounting(_ path: String) throws -> (reads: [Read], byGDAL: Int)? {
        let layer = try VectorDataset(openingForReading: path).firstLayer()
        guard let reader = ShapefileReader(path: path, layer: layer) else { return nil }
        var reads: [Read] = []
        try reader.forEachFeature(unreadableGeometry: { fid, error in
            reads.append(Read(fid: fid, values: [], polygons: nil, unreadable: error.message))
        }) { fid, values, polygons in
            reads.append(Read(fid: fid, values: values, polygons: polygons))
        }
        return (reads, reader.recordsReadByGDAL)
    }

    /// Compares both readings and returns how many records the own reader left to GDAL.
    @discardableResult
    static func expectSame(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        let reference = try readThroughGDAL(path)
        let counted = try #require(try readOwnCounting(path), "the reader declined \(path)", sourceLocation: sourceLocation)
        let own = counted.reads
        #expect(own.count == reference.count, sourceLocation: sourceLocation)
        for (mine, theirs) in zip(own, reference) where mine != theirs {
            Issue.record("\(path): feature differs\n  own:  \(mine)\n  GDAL: \(theirs)", sourceLocation: sourceLocation)
            break
        }
        return counted.byGDAL
    }

    static func ogr2ogr(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ogr2ogr")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "ogr2ogr \(arguments)")
    }

    /// Features with every field kind, nulls, blanks, non-ASCII text, multi-part and missing geometries.
    static func writeMixedGeoJSON(_ path: String, count: Int) throws {
        var generator = SystemRandomNumberGenerator()
        var features: [TestSupport.Feature] = []
        let names = ["\"Zürich café\"", "\"plain\"", "\"  padded  \"", "\"\"", "null", "\"ÆØÅ æøå\"", "\"a\\\"quote\""]
        for index in 0..<count {
            let x = Double(index % 50) * 2 + Double.random(in: 0..<0.5, using: &generator)
            let y = Double(index / 50) * 2 + Double.random(in: 0..<0.5, using: &generator)
            var polygons = [[TestSupport.square(x, y, size: Double.random(in: 0.1..<1, using: &generator))]]
            switch index % 9 {
            case 3: polygons.append([TestSupport.square(x + 1.2, y, size: 0.3)])  // MultiPolygon
            case 5: polygons = [[TestSupport.square(x, y, size: 1), TestSupport.square(x + 0.2, y + 0.2, size: 0.3).reversed()]]  // hole
            case 7:  // an 8-vertex ring, like the ice-wedge polygons
                polygons = [
                    [
                        (0..<9).map { step in
                            let angle = Double(step % 8) * .pi / 4
                            return (x + cos(angle) * 0.4, y + sin(angle) * 0.4)
                        }
                    ]
                ]
            case 8 where index % 4 == 0: polygons = []  // an empty MultiPolygon: a null shape in the file
            default: break
            }
            let real = index % 11 == 0 ? "null" : "\(Double.random(in: -1e6..<1e6, using: &generator))"
            let integer = index % 13 == 0 ? "null" : "\(Int.random(in: -99_999_999..<99_999_999, using: &generator))"
            let big = index % 17 == 0 ? "null" : "\(Int64.random(in: -999_999_999_999_999..<999_999_999_999_999, using: &generator))"
            let date = index % 19 == 0 ? "null" : "\"20\(10 + index % 20)-0\(1 + index % 9)-1\(index % 10)\""
            features.append(
                TestSupport.Feature(
                    properties: [
                        "name": names[index % names.count], "n": integer, "big": big, "r": real, "d": date,
                        "flag": index % 3 == 0 ? "null" : (index % 2 == 0 ? "true" : "false"),
                    ],
                    polygons: polygons))
        }
        try TestSupport.writeGeoJSON(path, features: features)
    }

    @Test func goldenInputReadsTheSameAsThroughGDAL() throws {
        let path = try TestSupport.goldenExample() + "/input-data/large-shapefile-example/large-shapefile-example.shp"
        #expect(try Self.expectSame(path) == 0)
    }

    @Test(
        "Generated shapefiles in three encodings, every field kind, multi-part and null geometries",
        arguments: [nil, "UTF-8", "CP1252"])
    func generatedInputsReadTheSameAsThroughGDAL(encoding: String?) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeMixedGeoJSON(directory + "/mixed.geojson", count: 600)
        var arguments = ["-f", "ESRI Shapefile", directory + "/out/mixed.shp", directory + "/mixed.geojson", "-nlt", "PROMOTE_TO_MULTI"]
        if let encoding { arguments += ["-lco", "ENCODING=\(encoding)"] }
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
        try Self.ogr2ogr(arguments)
        // An EPSG:3413 copy (coordinates that are not round numbers), as the production inputs.
        try Self.ogr2ogr(
            ["-f", "ESRI Shapefile", directory + "/out/projected.shp", directory + "/mixed.geojson", "-t_srs", "EPSG:3413"]
                + (encoding.map { ["-lco", "ENCODING=\($0)"] } ?? []))
        // Multi-part records (a MultiPolygon, a polygon with a hole: 2 in 9) and, in CP1252, non-ASCII text go to GDAL.
        for name in ["mixed", "projected"] {
            let byGDAL = try Self.expectSame(directory + "/out/\(name).shp")
            #expect(byGDAL > 0 && byGDAL < 600 / 2, "\(byGDAL) of 600 records read through GDAL")
        }
    }

    @Test func ringsTooShortAreUnreadableAsThroughGDAL() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A 3-point ring: GDAL reads it, staging must drop the feature alone, with the same message.
        let text = """
            {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"a": 1}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}},
            {"type": "Feature", "properties": {"a": 2}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}
            ]}
            """
        try text.write(toFile: directory + "/short.geojson", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
        try Self.ogr2ogr(["-f", "ESRI Shapefile", directory + "/out/short.shp", directory + "/short.geojson"])
        let reference = try Self.readThroughGDAL(directory + "/out/short.shp")
        #expect(reference.first?.unreadable != nil)
        try Self.expectSame(directory + "/out/short.shp")
    }

    @Test func aLogicalFieldLeavesTheFileToGDAL() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeMixedGeoJSON(directory + "/mixed.geojson", count: 20)
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
        try Self.ogr2ogr(["-f", "ESRI Shapefile", directory + "/out/mixed.shp", directory + "/mixed.geojson"])
        #expect(try Self.readOwn(directory + "/out/mixed.shp") != nil)
        // Retype the one-character `flag` column (N) as dBase logical (L); its values (0/1) stay.
        let tablePath = directory + "/out/mixed.dbf"
        var table = try #require(FileManager.default.contents(atPath: tablePath))
        var position = 32
        while table[position] != 0x0D {
            if String(decoding: table[position..<position + 11].prefix { $0 != 0 }, as: UTF8.self) == "flag" {
                table[position + 11] = UInt8(ascii: "L")
            }
            position += 32
        }
        try table.write(to: URL(fileURLWithPath: tablePath))
        #expect(try Self.readOwn(directory + "/out/mixed.shp") == nil)
    }
}
