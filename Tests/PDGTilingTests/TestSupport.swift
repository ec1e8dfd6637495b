import Foundation
import Testing

@testable import PDGTiling

/// Helpers shared by the tiling tests.
enum TestSupport {
    /// `<package root>/../shared/data/viz-raster-examples/complete-workflow`; the test fails (not skips) if absent.
    static func goldenExample() throws -> String {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = packageRoot.deletingLastPathComponent()
            .appendingPathComponent("shared/data/viz-raster-examples/complete-workflow").path
        let present = FileManager.default.fileExists(atPath: path + "/workflow_config.json")
        try #require(present, "golden data missing at \(path): clone shared/ beside the package")
        return path
    }

    /// A fresh temporary directory.
    static func temporaryDirectory(_ name: String = #function) throws -> String {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let path = NSTemporaryDirectory() + "tiling-tests-\(safe)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A feature for ``writeGeoJSON(_:features:)``: properties as JSON literals and polygons as rings of points.
    struct Feature {
        var properties: [String: String]
        var polygons: [[[(Double, Double)]]]
    }

    /// A closed axis-aligned square ring.
    static func square(_ x: Double, _ y: Double, size: Double) -> [(Double, Double)] {
        [(x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y)]
    }

    /// Writes a GeoJSON FeatureCollection (CRS84). A feature with several polygons becomes a MultiPolygon.
    static func writeGeoJSON(_ path: String, features: [Feature]) throws {
        func ring(_ points: [(Double, Double)]) -> String {
            "[" + points.map { "[\($0.0), \($0.1)]" }.joined(separator: ",") + "]"
        }
        func polygon(_ rings: [[(Double, Double)]]) -> String { "[" + rings.map(ring).joined(separator: ",") + "]" }
        let items = features.map { feature -> String in
            let properties = feature.properties.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }
                .joined(separator: ", ")
            let geometry =
                feature.polygons.count == 1
                ? "{\"type\": \"Polygon\", \"coordinates\": \(polygon(feature.polygons[0]))}"
                : "{\"type\": \"MultiPolygon\", \"coordinates\": [\(feature.polygons.map(polygon).joined(separator: ","))]}"
            return "{\"type\": \"Feature\", \"properties\": {\(properties)}, \"geometry\": \(geometry)}"
        }
        let text = "{\"type\": \"FeatureCollection\", \"features\": [\(items.joined(separator: ",\n"))]}"
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// One row of a staged tile.
    struct TileRow {
        var values: [String: FieldValue]
        var polygon: Polygon
    }

    /// Reads every row of a GeoPackage (or any vector file), in file order.
    static func readRows(_ path: String) throws -> (fields: [String], rows: [TileRow]) {
        let layer = try VectorDataset(openingForReading: path).firstLayer()
        var rows: [TileRow] = []
        try layer.forEachFeature { _, values, polygons throws(TilingError) in
            var named: [String: FieldValue] = [:]
            for (field, value) in zip(layer.fields, values) { named[field.name] = value }
            rows.append(TileRow(values: named, polygon: polygons?.first ?? Polygon(rings: [])))
        }
        return (layer.fields.map(\.name), rows)
    }

    /// A configuration for synthetic inputs under `root` (GeoJSON inputs in `root/input`, no simplification).
    static func syntheticConfiguration(root: String, extra: [String: JSONValue] = [:]) throws -> WorkflowConfiguration {
        var object: [String: JSONValue] = [
            "dir_input": .string(root + "/input"), "ext_input": .string(".geojson"),
            "dir_staged": .string(root + "/staged"), "dir_footprints": .string(root + "/footprints"),
            "ext_footprints": .string(".geojson"), "filename_staging_summary": .string(root + "/summary.csv"),
            "tms_id": .string("WorldCRS84Quad"), "z_range": .array([.number(0), .number(13)]),
            "simplify_tolerance": .null,
        ]
        for (key, value) in extra { object[key] = value }
        return try WorkflowConfiguration(json: .object(object))
    }
}

extension FieldValue {
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var doubleValue: Double? {
        switch self {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        default: return nil
        }
    }
}
