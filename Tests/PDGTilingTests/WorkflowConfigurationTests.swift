import Foundation
import Testing

@testable import PDGTiling

struct WorkflowConfigurationTests {
    @Test func defaultsAreThoseOfPDG() {
        let config = WorkflowConfiguration()
        #expect(config.dirInput == "input")
        #expect(config.extInput == ".shp")
        #expect(config.tmsID == "WGS1984Quad")
        #expect(config.zRange == [0, 13])
        #expect(config.tileSize == [256, 256])
        #expect(config.simplifyTolerance == 0.0001)
        #expect(config.statistics.map(\.name) == ["polygon_count", "coverage"])
        #expect(config.statistics[0].nodataColor == "#ffffff00")
        #expect(config.deduplicateMethod == nil)
        #expect(config.deduplicateOverlapTolerance == 0.5)
        #expect(config.deduplicateDistanceCRS == "EPSG:3857")
        #expect(config.deduplicateClipToFootprint)
        #expect(config.properties.centroidWithinTile == "staging_centroid_within_tile")
    }

    @Test func goldenConfigIsRead() throws {
        let config = try WorkflowConfiguration(contentsOf: try TestSupport.goldenExample() + "/workflow_config.json")
        #expect(config.tmsID == "WorldCRS84Quad")
        #expect(config.zRange == [6, 13])
        #expect(config.tileSize == [128, 128])
        #expect(config.statistics.map(\.name) == ["iwp_count", "iwp_coverage"])
        // Shallow merge: the user's statistics have no nodata keys.
        #expect(config.statistics[0].nodataValue == nil)
        #expect(config.statistics[1].valueRange == [0, 1])
        #expect(config.statistics[0].valueRange == [0, nil])
        #expect(config.dirStaged == "staged-vectors")
        #expect(config.additionalKeys["_comment"] != nil)
    }

    @Test func unknownKeysAreKeptAndRoundTrip() throws {
        let json = """
            {"version": "1.0", "geometricError": 57, "z_coord": 0, "dir_3dtiles": "3d", "my_tool": {"a": [1, 2]},
             "statistics": [{"name": "s", "weight_by": "count", "extra": true}],
             "deduplicate_method": "footprints", "deduplicate_at": ["raster"],
             "deduplicate_keep_rules": [["Date", "larger"]], "input_crs": "EPSG:3413"}
            """
        let config = try JSONDecoder().decode(WorkflowConfiguration.self, from: Data(json.utf8))
        #expect(config.additionalKeys["my_tool"] == .object(["a": .array([.number(1), .number(2)])]))
        #expect(config.additionalKeys["geometricError"] == .number(57))
        #expect(config.statistics[0].additionalKeys["extra"] == .bool(true))
        #expect(config.deduplicateMethod == .footprints)
        #expect(config.deduplicateAt == [.raster])
        #expect(config.deduplicateKeepRules == [.init(property: "Date", keepsLarger: true)])
        #expect(config.inputCRS == "EPSG:3413")
        let again = try JSONDecoder().decode(WorkflowConfiguration.self, from: JSONEncoder().encode(config))
        #expect(again == config)
    }

    @Test(arguments: [
        ("{\"z_range\": \"0-13\"}", "z_range"),
        ("{\"z_range\": [0]}", "z_range"),
        ("{\"tile_size\": [256, -1]}", "tile_size"),
        ("{\"simplify_tolerance\": \"0.1\"}", "simplify_tolerance"),
        ("{\"deduplicate_method\": \"neighbors\"}", "deduplicate_method"),
        ("{\"deduplicate_at\": \"staging\"}", "deduplicate_at"),
        ("{\"deduplicate_at\": [\"stage\"]}", "deduplicate_at"),
        ("{\"deduplicate_keep_rules\": [[\"Date\", \"later\"]]}", "deduplicate_keep_rules"),
        ("{\"deduplicate_method\": \"neighbor\"}", "deduplicate_keep_rules"),
        ("{\"deduplicate_overlap_both\": 1}", "deduplicate_overlap_both"),
        ("{\"statistics\": [{\"weight_by\": \"count\"}]}", "statistics[0].name"),
        ("{\"statistics\": [{\"name\": \"a\", \"weight_by\": \"volume\"}]}", "statistics[0].weight_by"),
        ("{\"statistics\": [{\"name\": \"a\", \"val_range\": [0, \"x\"]}]}", "statistics[0].val_range"),
        ("{\"tile_path_structure\": [\"tms\", \"z\", \"x\", \"y\"]}", "tile_path_structure"),
        ("{\"dir_input\": 3}", "dir_input"),
        ("{\"deduplicate_clip_method\": \"touches\"}", "deduplicate_clip_method"),
    ])
    func badValuesNameTheKey(json: String, key: String) throws {
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        do throws(TilingError) {
            _ = try WorkflowConfiguration(json: value)
            Issue.record("expected an error for \(json)")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains(key), "\(error.message) should name \(key)")
        }
    }

    @Test func stagedTilesMustBeGeoPackages() throws {
        var config = WorkflowConfiguration()
        config.extStaged = ".shp"
        #expect(throws: TilingError.self) { try VectorTileStager(configuration: config) }
    }

    @Test func pathsResolveAgainstABase() {
        var config = WorkflowConfiguration()
        config.dirStaged = "/abs/staged"
        let resolved = config.resolvingPaths(against: "/work/run")
        #expect(resolved.dirInput == "/work/run/input")
        #expect(resolved.dirStaged == "/abs/staged")
        #expect(resolved.filenameStagingSummary == "/work/run/staging_summary.csv")
    }
}
