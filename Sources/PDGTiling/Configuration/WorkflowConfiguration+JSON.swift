extension WorkflowConfiguration {
    /// The configuration as a PDG JSON object (every key, plus the kept unknown keys).
    public var json: JSONValue {
        var object = additionalKeys
        let strings: [(String, String)] = [
            ("dir_input", dirInput), ("ext_input", extInput), ("dir_staged", dirStaged), ("ext_staged", extStaged),
            ("dir_geotiff", dirGeotiff), ("dir_web_tiles", dirWebTiles), ("ext_web_tiles", extWebTiles),
            ("dir_3dtiles", dir3DTiles), ("dir_footprints", dirFootprints), ("ext_footprints", extFootprints),
            ("filename_staging_summary", filenameStagingSummary),
            ("filename_rasterization_events", filenameRasterizationEvents),
            ("filename_rasters_summary", filenameRastersSummary), ("filename_config", filenameConfig),
            ("prop_area", properties.area), ("prop_centroid_x", properties.centroidX),
            ("prop_centroid_y", properties.centroidY), ("prop_filename", properties.filename),
            ("prop_identifier", properties.identifier), ("prop_centroid_tile", properties.centroidTile),
            ("prop_tile", properties.tile), ("prop_centroid_within_tile", properties.centroidWithinTile),
            ("prop_duplicated", properties.duplicated), ("tms_id", tmsID),
            ("deduplicate_clip_method", deduplicateClipMethod),
        ]
        for (key, value) in strings { object[key] = .string(value) }
        object["input_crs"] = inputCRS.map(JSONValue.string) ?? .null
        object["simplify_tolerance"] = simplifyTolerance.map(JSONValue.number) ?? .null
        object["tile_path_structure"] = .array(tilePathStructure.map(JSONValue.string))
        object["z_range"] = .array(zRange.map { .number(Double($0)) })
        object["tile_size"] = .array(tileSize.map { .number(Double($0)) })
        object["statistics"] = .array(statistics.map(\.json))
        object["deduplicate_at"] = deduplicateAt.isEmpty ? .null : .array(deduplicateAt.map { .string($0.rawValue) })
        object["deduplicate_method"] = deduplicateMethod.map { .string($0.rawValue) } ?? .null
        object["deduplicate_keep_rules"] = .array(
            deduplicateKeepRules.map { .array([.string($0.property), .string($0.keepsLarger ? "larger" : "smaller")]) }
        )
        object["deduplicate_overlap_tolerance"] = deduplicateOverlapTolerance.map(JSONValue.number) ?? .null
        object["deduplicate_overlap_both"] = .bool(deduplicateOverlapBoth)
        object["deduplicate_centroid_tolerance"] = deduplicateCentroidTolerance.map(JSONValue.number) ?? .null
        object["deduplicate_distance_crs"] = deduplicateDistanceCRS.map(JSONValue.string) ?? .null
        object["deduplicate_clip_to_footprint"] = .bool(deduplicateClipToFootprint)
        if let title { object["title"] = .string(title) }
        if let doi { object["doi"] = .string(doi) }
        let flags: [(String, Bool)] = [
            ("overwrite", overwrite), ("enable_stager", enableStager), ("enable_raster", enableRaster),
            ("enable_raster_parents", enableRasterParents), ("enable_web_tiles", enableWebTiles),
            ("enable_web_tiles_parents", enableWebTilesParents), ("generate_wmtsCapabilities", generateWMTSCapabilities),
        ]
        for (key, value) in flags { object[key] = .bool(value) }
        return .object(object)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }
}
