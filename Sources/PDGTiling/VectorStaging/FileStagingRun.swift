import Foundation

/// The state of staging one input file: its handles (owned by this call only), the transformation, the footprint
/// and the shard writers. See ``VectorTileStager/stageFile(_:)``.
struct FileStagingRun {
    private let stager: VectorTileStager
    private let inputPath: String
    private let filename: String
    private let inputKey: String
    private var configuration: WorkflowConfiguration { stager.configuration }

    init(stager: VectorTileStager, inputPath: String) throws(TilingError) {
        self.stager = stager
        self.inputPath = inputPath
        filename = stager.filename(forInputPath: inputPath)
        inputKey = StableIdentifier.inputKey(filename: filename)
    }

    mutating func stage() throws(TilingError) -> StagedShardSummary {
        try checkCompanionFiles()
        let dataset = try VectorDataset(openingForReading: inputPath)
        let layer = try dataset.firstLayer()
        try checkPropertyNames(layer.fields)

        // CRSs and the transformation come from the process's cache: the inputs of a layer share their `.prj`.
        let cache = ProjectionCache.shared
        let source: SpatialReference
        let sourceKey: String?
        if let inputCRS = configuration.inputCRS {
            sourceKey = "crs:" + inputCRS
            source = try cache.reference(key: "crs:" + inputCRS) { () throws(TilingError) in try SpatialReference(definition: inputCRS) }!
        } else if let key = ProjectionCache.prjKey(forShapefile: inputPath),
            let own = try cache.reference(key: key, make: { () throws(TilingError) in try layer.spatialReference() })
        {
            sourceKey = key
            source = own
        } else if let own = try layer.spatialReference() {
            sourceKey = nil
            source = own
        } else {
            throw TilingError(.inputMissingCRS, "\(inputPath): the file has no CRS (missing .prj?) and no input_crs is configured")
        }
        let targetCRS = stager.tileMatrixSet.crs
        let target = try cache.reference(key: "crs:" + targetCRS) { () throws(TilingError) in try SpatialReference(definition: targetCRS) }!
        let description = "\(inputPath) → \(targetCRS)"
        let transformation: CoordinateTransformation?
        if source.isSame(as: target) {
            transformation = nil
        } else if let sourceKey {
            transformation = try cache.transformation(from: sourceKey, to: "crs:" + targetCRS, description: description) { () throws(TilingError) in
                try CoordinateTransformation(from: source, to: target, description: description)
            }
        } else {
            transformation = try CoordinateTransformation(from: source, to: target, description: description)
        }

        // Always an engine: every polygon is checked for validity (and repaired) before staging.
        let engine = try GeometryEngine()
        let clipper = try configuration.clipsToFootprint ? makeClipper(source: source, engine: engine) : nil

        let matrix = try stager.tileMatrixSet.matrix(zoom: configuration.maxZoom)
        let assigner = PolygonTileAssigner(matrix: matrix)
        let header = ShardHeader(version: ShardCodec.version, filename: filename, tile: TileIndex(x: 0, y: 0, z: 0), fields: layer.fields)
        let writers = ShardWriterSet(shardRoot: stager.shardRoot, layout: stager.layout, inputKey: inputKey) { tile in
            var tileHeader = header
            tileHeader.tile = tile
            return ShardCodec.encodeHeader(tileHeader)
        }

        var featuresRead = 0
        var featuresSkipped = 0
        var featuresRepaired = 0
        var featuresDropped = 0
        var notes: [String] = []
        var polygonsStaged = 0
        var outside = 0
        var rowsWritten = 0
        var sequence: UInt64 = 0
        var tiles: [TileIndex] = []
        var scratchX: [Double] = []
        var scratchY: [Double] = []
        let tolerance = configuration.simplifyTolerance
        let labels = configuration.labelsDuplicates
        let filename = self.filename
        let identifierPrefix = StableIdentifier.Prefix(filename: filename)
        func note(_ fid: Int64, _ text: String) {
            if notes.count < StagedShardSummary.noteLimit { notes.append("feature \(fid): \(text)") }
        }

        do throws(TilingError) {
            func unreadable(_ fid: Int64, _ error: TilingError) {
                featuresRead += 1
                featuresDropped += 1
                note(fid, "dropped: \(error.message)")
            }
            func stageFeature(_ fid: Int64, _ values: [FieldValue], _ polygons: [Polygon]?) throws(TilingError) {
                featuresRead += 1
                guard let polygons, !polygons.isEmpty else {
                    featuresSkipped += 1
                    return
                }
                // Invalid polygons (a bow-tie …) are repaired with make-valid; what it reduces to nothing is dropped.
                var pieces: [Polygon] = []
                var repairs: [String] = []
                for original in polygons {
                    if SimpleRingCheck.isCertainlyValid(original) {
                        pieces.append(original)
                        continue
                    }
                    let geometry = try engine.makePolygon(original)
                    guard let reason = engine.invalidityReason(geometry) else {
                        pieces.append(original)
                        continue
                    }
                    let repaired = try engine.makeValid(geometry).polygons()
                    pieces += repaired
                    repairs.append(reason)
                }
                guard !pieces.isEmpty else {
                    featuresDropped += 1
                    note(fid, "dropped: invalid polygon make-valid leaves no area (\(repairs.joined(separator: "; ")))")
                    return
                }
                // Every part is prepared before any row is written, so a feature is staged whole or not at all.
                var prepared: [(polygon: Polygon, duplicated: Bool?)] = []
                for original in pieces {
                    var polygon = original
                    var engineGeometry: EngineGeometry?
                    if let tolerance {
                        if let simplified = PolygonSimplifier(tolerance: tolerance, engine: engine).simplify(polygon) {
                            polygon = simplified
                        } else {
                            let simplified = try engine.simplifyPreservingTopology(polygon, tolerance: tolerance)
                            if let first = try simplified.polygons().first {
                                polygon = first
                                engineGeometry = simplified
                            }
                        }
                    }
                    var duplicated: Bool? = labels ? false : nil
                    if let clipper {
                        let geometry: EngineGeometry
                        if let engineGeometry { geometry = engineGeometry } else { geometry = try engine.makePolygon(polygon) }
                        if !clipper.keeps(geometry, boundingBox: polygon.boundingBox) { duplicated = true }
                    }
                    if let transformation {
                        for index in polygon.rings.indices {
                            do throws(TilingError) {
                                try transformation.transform(interleaved: &polygon.rings[index], scratchX: &scratchX, scratchY: &scratchY)
                            } catch {
                                // One feature outside the CRS's domain does not sink the file.
                                featuresDropped += 1
                                note(fid, "dropped: cannot reproject into \(stager.tileMatrixSet.crs): \(error.message)")
                                return
                            }
                        }
                    }
                    prepared.append((polygon, duplicated))
                }
                if !repairs.isEmpty {
                    featuresRepaired += 1
                    note(fid, "repaired with make-valid: \(repairs.joined(separator: "; "))")
                }
                for (part, item) in prepared.enumerated() {
                    let polygon = item.polygon
                    if item.duplicated == true, clipper != nil { outside += 1 }
                    let centroid = PlanarMeasures.centroid(of: polygon)
                    let row = StagedRow(
                        sequence: sequence,
                        values: values,
                        area: PlanarMeasures.area(of: polygon),
                        centroidX: centroid.x,
                        centroidY: centroid.y,
                        identifier: StableIdentifier.polygonIdentifier(prefix: identifierPrefix, fid: fid, part: part),
                        centroidTile: TileMatrixSet.stagingTile(containingX: centroid.x, y: centroid.y, in: matrix),
                        duplicated: item.duplicated,
                        polygon: polygon
                    )
                    sequence += 1
                    polygonsStaged += 1
                    assigner.tiles(for: polygon, boundingBox: polygon.boundingBox, into: &tiles)
                    for tile in tiles {
                        try writers.append(row, to: tile)
                        rowsWritten += 1
                    }
                }
            }
            // Shapefiles of the common kind are read without OGR feature objects (same features and values).
            if Self.usesOwnShapefileReader, let reader = ShapefileReader(path: inputPath, layer: layer) {
                try reader.forEachFeature(unreadableGeometry: unreadable, stageFeature)
            } else {
                try layer.forEachFeature(unreadableGeometry: unreadable, stageFeature)
            }
            // An empty input is worth a warning, not a failure: the other inputs and the later steps go on.
            let warnings = featuresRead == 0 ? ["\(inputPath): the layer has no features"] : []
            let written = try writers.finish()
            let dropped = removeStaleShards(keeping: Set(written))
            let counts = writers.rowCounts
            let summary = StagedShardSummary(
                inputPath: inputPath,
                filename: filename,
                inputKey: inputKey,
                featuresRead: featuresRead,
                featuresSkipped: featuresSkipped,
                polygonsStaged: polygonsStaged,
                polygonsOutsideFootprint: outside,
                rowsWritten: rowsWritten,
                tiles: written.map { StagedShardSummary.TileRows(tile: $0, rows: counts[$0] ?? 0) },
                tilesDropped: dropped.isEmpty ? nil : dropped,
                featuresRepaired: featuresRepaired,
                featuresDropped: featuresDropped,
                notes: notes,
                warnings: warnings
            )
            try writeManifest(summary)
            return summary
        } catch {
            writers.discard()
            throw error
        }
    }

    /// `PDG_SHAPEFILE_READER=gdal` reads shapefiles through OGR features, for comparisons.
    static let usesOwnShapefileReader = ProcessInfo.processInfo.environment["PDG_SHAPEFILE_READER"] != "gdal"

    // MARK: Checks

    /// Shapefiles need their .dbf (GDAL would silently read no attributes) and, unless `input_crs` is set, .prj.
    private func checkCompanionFiles() throws(TilingError) {
        guard inputPath.lowercased().hasSuffix(".shp") else { return }
        let base = (inputPath as NSString).deletingPathExtension
        func exists(_ extensionName: String) -> Bool {
            FileManager.default.fileExists(atPath: base + "." + extensionName)
                || FileManager.default.fileExists(atPath: base + "." + extensionName.uppercased())
        }
        guard FileManager.default.fileExists(atPath: inputPath) else {
            throw TilingError(.inputUnreadable, "\(inputPath): no such file")
        }
        guard exists("dbf") else {
            throw TilingError(.inputMissingCompanion, "\(inputPath): the shapefile has no .dbf (attribute) file")
        }
        guard exists("prj") || configuration.inputCRS != nil else {
            throw TilingError(.inputMissingCompanion, "\(inputPath): the shapefile has no .prj (CRS) file and no input_crs is configured")
        }
    }

    /// PDG refuses inputs that already carry a staging property name (case-insensitive).
    private func checkPropertyNames(_ fields: [FieldDefinition]) throws(TilingError) {
        let reserved = Set(configuration.properties.all.map { $0.lowercased() })
        for field in fields where reserved.contains(field.name.lowercased()) {
            throw TilingError(.inputUnreadable, "\(inputPath): the input already has a column named \(field.name), which staging adds")
        }
    }

    private func makeClipper(source: SpatialReference, engine: GeometryEngine) throws(TilingError) -> FootprintClipper {
        let path = FootprintLayer.path(forFilename: filename, configuration: configuration)
        let footprint: FootprintLayer
        do {
            footprint = try FootprintLayer.read(path: path, into: source, fallbackCRS: configuration.inputCRS)
        } catch {
            throw TilingError(error.code, "\(inputPath): \(error.message)")
        }
        return try FootprintClipper(footprint: footprint, engine: engine, method: configuration.deduplicateClipMethod)
    }

    // MARK: Re-runs

    /// Deletes this input's shards of tiles it no longer touches (recorded by the previous run's manifest) and
    /// returns those tiles, with the ones earlier stagings dropped that it still does not touch. Shards of
    /// tiles it still touches were just replaced by `finish()`.
    private func removeStaleShards(keeping current: Set<TileIndex>) -> [TileIndex] {
        guard let previous = stager.previousSummary(forInputPath: inputPath) else { return [] }
        for entry in previous.tiles where !current.contains(entry.tile) {
            unlink(stager.shardPath(filename: filename, tile: entry.tile))
        }
        return Set(previous.tiles.map(\.tile) + (previous.tilesDropped ?? [])).subtracting(current).sorted()
    }

    private func writeManifest(_ summary: StagedShardSummary) throws(TilingError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a struct of strings and integers cannot fail.
        let data = try! encoder.encode(summary)
        try AtomicFile.write(data, to: stager.manifestPath(inputKey: inputKey))
    }
}
