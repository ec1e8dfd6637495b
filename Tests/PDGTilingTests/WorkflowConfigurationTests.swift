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

    static func read(_ json: String, strict: Bool = false) throws(TilingError) -> (WorkflowConfiguration, [String]) {
        var warnings: [String] = []
        let value = try! JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        let config = try WorkflowConfiguration(json: value, strict: strict, warnings: &warnings)
        return (config, warnings)
    }

    @Test("Unknown keys warn with the key they probably meant; the production IWP folder names are caught")
    func unknownKeysWarnWithSuggestions() throws {
        let (config, warnings) = try Self.read(
            #"{"dir_staged_remote": "/gcs/staged", "dir_geotiff_local": "/tmp/g", "z_rnage": [0, 3], "my_tool": 1, "_comment": "x","#
                + #" "statistics": [{"name": "s", "weight_by": "count", "palete": ["red"]}]}"#)
        #expect(warnings.contains("`dir_staged_remote` is not a key; did you mean `dir_staged`?"))
        #expect(warnings.contains("`dir_geotiff_local` is not a key; did you mean `dir_geotiff`?"))
        #expect(warnings.contains("`z_rnage` is not a key; did you mean `z_range`?"))
        #expect(warnings.contains("`statistics[0].palete` is not a key; did you mean `palette`?"))
        #expect(warnings.contains("`my_tool` is not a key"))
        #expect(!warnings.contains { $0.contains("_comment") })
        #expect(warnings.count == 5)
        // Warned keys are still kept for writing back, and nothing else changes.
        #expect(config.additionalKeys["dir_staged_remote"] == .string("/gcs/staged"))
        #expect(config.dirStaged == "staged")
    }

    @Test("--strict turns every warning into one error naming the keys")
    func strictRefuses() {
        do throws(TilingError) {
            _ = try Self.read(#"{"dir_staged_remote": "/gcs/staged", "geometricError": 57}"#, strict: true)
            Issue.record("strict mode accepted an unknown key")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("did you mean `dir_staged`"))
            #expect(error.message.contains("3D tiles"))
        }
        // A config with only known keys passes strict mode.
        #expect((try? Self.read(#"{"dir_staged": "s", "overwrite": true, "title": "T", "enable_3dtiles": false}"#, strict: true)) != nil)
    }

    @Test("3D-tile keys say plainly that 3D tiles are not made; their inert defaults pass silently")
    func threeDTileKeys() throws {
        let (_, warnings) = try Self.read(
            #"{"geometricError": 57, "z_coord": 0, "version": null, "enable_3dtiles": true, "dir_3dtiles": "out3d","#
                + #" "deduplicate_method": "footprints", "deduplicate_at": ["raster", "3dtiles"]}"#)
        #expect(warnings.filter { $0.contains("3D tiles") }.count == 4, "\(warnings)")
        for key in ["geometricError", "enable_3dtiles", "dir_3dtiles", "deduplicate_at"] {
            #expect(warnings.contains { $0.hasPrefix("`\(key)`") && $0.contains("3D tiles") }, "\(key): \(warnings)")
        }
        #expect(try Self.read(#"{"z_coord": 0, "enable_3dtiles": false, "dir_3dtiles": "3dtiles"}"#).1.isEmpty)
    }

    @Test("pdgworkflow 1.1.0 keys are read, type-checked and written back")
    func pdgworkflowKeys() throws {
        let (config, warnings) = try Self.read(
            #"{"title": "Ice-wedge polygons", "doi": "10.18739/A2KW57K57", "overwrite": true, "enable_stager": false,"#
                + #" "enable_raster": true, "enable_raster_parents": false, "enable_web_tiles": true, "enable_web_tiles_parents": false,"#
                + #" "generate_wmtsCapabilities": false, "ext_web_tiles": ".webp"}"#)
        #expect(warnings.isEmpty)
        #expect(config.title == "Ice-wedge polygons")
        #expect(config.doi == "10.18739/A2KW57K57")
        #expect(config.overwrite && !config.enableStager && config.enableRaster && !config.enableRasterParents)
        #expect(config.enableWebTiles && !config.enableWebTilesParents && !config.generateWMTSCapabilities)
        let again = try JSONDecoder().decode(WorkflowConfiguration.self, from: JSONEncoder().encode(config))
        #expect(again == config)
        #expect(throws: TilingError.self) { try Self.read(#"{"overwrite": "yes"}"#) }
        #expect(throws: TilingError.self) { try Self.read(#"{"ext_web_tiles": ".gif"}"#) }
        #expect(WorkflowConfiguration().overwrite == false)
    }

    @Test("A custom tile matrix set is found by id in TILEMATRIXSET_DIRECTORY, as PDG 1.x resolves it")
    func customTileMatrixSetById() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let json = """
            {"id": "UPSArctic3413Quad", "crs": {"uri": "http://www.opengis.net/def/crs/EPSG/0/3413"},
             "tileMatrices": [{"id": "0", "scaleDenominator": 117028571.42857143, "pointOfOrigin": [-4194304, 4194304],
               "tileWidth": 256, "tileHeight": 256, "matrixWidth": 1, "matrixHeight": 1}]}
            """
        try json.write(toFile: directory + "/UPSArctic3413Quad.json", atomically: true, encoding: .utf8)
        var config = WorkflowConfiguration()
        config.tmsID = "UPSArctic3413Quad"
        let set = try config.tileMatrixSet(customDirectory: directory)
        #expect(set.identifier == "UPSArctic3413Quad")
        #expect(set.crs == "EPSG:3413")
        #expect(set.matrices[0].resolution == 117028571.42857143 * 0.28e-3)
        #expect(WorkflowConfiguration.tileMatrixSetFile(id: "UPSArctic3413Quad", directory: directory) == directory + "/UPSArctic3413Quad.json")
        config.tmsID = "NoSuchQuad"
        #expect(throws: TilingError.self) { try config.tileMatrixSet(customDirectory: directory) }
    }
}
