import Foundation

/// Merges the shards of one tile into the staged GeoPackage (unit of work 2 of staging).
///
/// `mergeTile` reads every `<dir_staged>/.shards/<tile path>/*.shard`, orders rows by (filename, position in
/// the input) — so the result depends neither on task order nor on batching — runs the configured deduplication
/// over the whole tile, drops labelled rows when `deduplicate_at` contains `staging`, and writes
/// `<dir_staged>/<tile path>.gpkg` atomically (temporary file + rename). Merges of different tiles are
/// independent and may run concurrently; re-running a merge rewrites the same file.
public struct TileMerger: Sendable {
    /// The configuration.
    public let configuration: WorkflowConfiguration
    /// The tile matrix set of `tms_id`.
    public let tileMatrixSet: TileMatrixSet
    /// The staged-tile path layout.
    public let layout: TilePathLayout
    private let stager: VectorTileStager

    /// Prepares merging for a configuration.
    public init(configuration: WorkflowConfiguration) throws(TilingError) {
        stager = try VectorTileStager(configuration: configuration)
        self.configuration = configuration
        tileMatrixSet = stager.tileMatrixSet
        layout = stager.layout
    }

    /// Every tile that has at least one shard, ascending.
    public func tilesWithShards() throws(TilingError) -> [TileIndex] {
        let root = stager.shardRoot
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var tiles = Set<TileIndex>()
        let stemLayout = try TilePathLayout(structure: layout.structure, tmsIdentifier: layout.tmsIdentifier)
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".shard"), !relative.hasPrefix("_inputs") else { continue }
            let directory = (relative as NSString).deletingLastPathComponent
            if let parsed = try? stemLayout.tile(fromPath: directory) { tiles.insert(parsed.tile) }
        }
        return tiles.sorted()
    }

    /// Merges, deduplicates and writes one tile. See the type documentation.
    public func mergeTile(_ tile: TileIndex) throws(TilingError) -> TileMergeSummary {
        let directory = "\(stager.shardRoot)/\(layout.relativeStem(for: tile))"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".shard") }
        var shards: [(header: ShardHeader, rows: [StagedRow])] = []
        for name in names {
            shards.append(try ShardCodec.read(path: "\(directory)/\(name)"))
        }
        shards.sort { $0.header.filename.unicodeScalars.lexicographicallyPrecedes($1.header.filename.unicodeScalars) }
        let outputPath = layout.path(for: tile)

        // Union of the input columns, in order of first appearance; clashing types widen (integer+real → real,
        // anything else → string).
        var fields: [FieldDefinition] = []
        var fieldIndex: [String: Int] = [:]
        for shard in shards {
            for field in shard.header.fields {
                if let index = fieldIndex[field.name] {
                    fields[index].type = Self.widen(fields[index].type, field.type)
                } else {
                    fieldIndex[field.name] = fields.count
                    fields.append(field)
                }
            }
        }

        // Flatten rows into the union schema, in (filename, sequence) order.
        var rows: [(filename: String, row: StagedRow)] = []
        for shard in shards {
            let mapping = shard.header.fields.map { fieldIndex[$0.name]! }
            // Shards are written in input order; the sort is a no-op safeguard.
            let ordered = shard.rows.isSorted { $0.sequence < $1.sequence } ? shard.rows : shard.rows.sorted { $0.sequence < $1.sequence }
            // The common case: this shard's columns are the tile's columns, in the same order and type.
            if shard.header.fields == fields {
                for row in ordered { rows.append((shard.header.filename, row)) }
                continue
            }
            for var row in ordered {
                var values = [FieldValue](repeating: .null, count: fields.count)
                for (source, target) in mapping.enumerated() {
                    values[target] = Self.convert(row.values[source], to: fields[target].type)
                }
                row.values = values
                rows.append((shard.header.filename, row))
            }
        }

        var labels = rows.map { $0.row.duplicated ?? false }
        if let method = configuration.deduplicateMethod {
            labels = try deduplicate(rows: rows, fields: fieldIndex, method: method, tile: tile)
        }
        let labelled = labels.filter { $0 }.count
        let drop = configuration.deduplicatesAtStaging

        var files: [String: TileMergeSummary.FileRows] = [:]
        // Kahan compensation per file: pandas' groupby sum is compensated, and the CSV must match it.
        var compensation: [String: Double] = [:]
        var written = 0
        if rows.isEmpty || (drop && labelled == rows.count) {
            unlink(outputPath)
        } else {
            let names = configuration.properties
            var columns = fields
            columns.append(contentsOf: [
                FieldDefinition(name: names.area, type: .real),
                FieldDefinition(name: names.centroidX, type: .real),
                FieldDefinition(name: names.centroidY, type: .real),
                FieldDefinition(name: names.filename, type: .string),
                FieldDefinition(name: names.identifier, type: .string),
                FieldDefinition(name: names.centroidTile, type: .string),
                FieldDefinition(name: names.tile, type: .string),
                FieldDefinition(name: names.centroidWithinTile, type: .boolean),
            ])
            if configuration.labelsDuplicates {
                columns.append(FieldDefinition(name: names.duplicated, type: .boolean))
            }
            let layerName = ((outputPath as NSString).lastPathComponent as NSString).deletingPathExtension
            let writer = try GeoPackageWriter(path: outputPath, layerName: layerName, crs: tileMatrixSet.crs, fields: columns)
            let tileText = tile.pdgDescription
            var tileTexts: [TileIndex: String] = [tile: tileText]
            var values: [FieldValue] = []
            values.reserveCapacity(columns.count)
            for (index, entry) in rows.enumerated() {
                if drop && labels[index] { continue }
                let row = entry.row
                values.removeAll(keepingCapacity: true)
                values.append(contentsOf: row.values)
                values.append(.real(row.area))
                values.append(.real(row.centroidX))
                values.append(.real(row.centroidY))
                values.append(.string(entry.filename))
                values.append(.string(row.identifier))
                if tileTexts[row.centroidTile] == nil { tileTexts[row.centroidTile] = row.centroidTile.pdgDescription }
                values.append(.string(tileTexts[row.centroidTile]!))
                values.append(.string(tileText))
                values.append(.integer(row.centroidTile == tile ? 1 : 0))
                if configuration.labelsDuplicates { values.append(.integer(labels[index] ? 1 : 0)) }
                try writer.write(values: values, polygon: row.polygon)
                written += 1
                files[entry.filename, default: .init(filename: entry.filename, rows: 0, area: 0)].rows += 1
                let corrected = row.area - compensation[entry.filename, default: 0]
                let sum = files[entry.filename]!.area + corrected
                compensation[entry.filename] = (sum - files[entry.filename]!.area) - corrected
                files[entry.filename]!.area = sum
            }
            try writer.commit()
        }
        return TileMergeSummary(
            tile: tile,
            path: outputPath,
            shards: shards.count,
            rowsRead: rows.count,
            rowsWritten: written,
            rowsLabelledDuplicated: labelled,
            rowsDropped: drop ? labelled : 0,
            files: files.values.sorted { $0.filename.unicodeScalars.lexicographicallyPrecedes($1.filename.unicodeScalars) }
        )
    }

    // MARK: Deduplication

    private func deduplicate(
        rows: [(filename: String, row: StagedRow)],
        fields: [String: Int],
        method: WorkflowConfiguration.DeduplicationMethod,
        tile: TileIndex
    ) throws(TilingError) -> [Bool] {
        let rules = configuration.deduplicateKeepRules
        let names = configuration.properties
        let candidates = try rows.map { entry throws(TilingError) -> DeduplicationCandidate in
            var keepValues: [FieldValue] = []
            for rule in rules {
                if let index = fields[rule.property] {
                    keepValues.append(entry.row.values[index])
                } else if rule.property == names.area {
                    keepValues.append(.real(entry.row.area))
                } else if rule.property == names.centroidX {
                    keepValues.append(.real(entry.row.centroidX))
                } else if rule.property == names.centroidY {
                    keepValues.append(.real(entry.row.centroidY))
                } else if rule.property == names.filename {
                    keepValues.append(.string(entry.filename))
                } else if method == .neighbor {
                    throw TilingError(.deduplication, "tile \(tile): keep-rule property \"\(rule.property)\" is not a column of the staged rows (config key deduplicate_keep_rules)")
                } else {
                    keepValues.append(.null)
                }
            }
            return DeduplicationCandidate(
                filename: entry.filename,
                sequence: entry.row.sequence,
                polygon: entry.row.polygon,
                boundingBox: entry.row.polygon.boundingBox,
                area: entry.row.area,
                centroidX: entry.row.centroidX,
                centroidY: entry.row.centroidY,
                keepValues: keepValues,
                alreadyDuplicated: entry.row.duplicated ?? false
            )
        }
        let ordering = KeepRuleOrdering(rules: rules)
        switch method {
        case .neighbor:
            return try NeighborDeduplicator(
                overlapTolerance: configuration.deduplicateOverlapTolerance,
                overlapBoth: configuration.deduplicateOverlapBoth,
                centroidTolerance: configuration.deduplicateCentroidTolerance,
                distanceCRS: configuration.deduplicateDistanceCRS,
                targetCRS: tileMatrixSet.crs,
                ordering: ordering
            ).labels(for: candidates)
        case .footprints:
            var footprints: [String: FootprintDeduplicator.Footprint] = [:]
            let target = try SpatialReference(definition: tileMatrixSet.crs)
            for filename in Set(rows.map(\.filename)) {
                let path = FootprintLayer.path(forFilename: filename, configuration: configuration)
                guard FileManager.default.fileExists(atPath: path) else { continue }
                let layer = try FootprintLayer.read(path: path, into: target, fallbackCRS: configuration.inputCRS)
                var polygons: [(keepValues: [FieldValue], polygon: Polygon)] = []
                for entry in layer.polygons {
                    var values: [FieldValue] = []
                    for rule in rules {
                        guard let index = layer.fields.firstIndex(where: { $0.name == rule.property }) else {
                            throw TilingError(.deduplication, "footprint \(path) has no property \"\(rule.property)\" named by deduplicate_keep_rules")
                        }
                        values.append(entry.values[index])
                    }
                    polygons.append((values, entry.polygon))
                }
                footprints[filename] = .init(polygons: polygons)
            }
            return try FootprintDeduplicator(ordering: ordering).labels(for: candidates, footprints: footprints)
        }
    }

    // MARK: Schema helpers

    static func widen(_ a: FieldType, _ b: FieldType) -> FieldType {
        if a == b { return a }
        let numeric: Set<FieldType> = [.integer, .real, .boolean]
        if numeric.contains(a), numeric.contains(b) { return (a == .real || b == .real) ? .real : .integer }
        return .string
    }

    static func convert(_ value: FieldValue, to type: FieldType) -> FieldValue {
        switch (value, type) {
        case (.integer(let number), .real): return .real(Double(number))
        case (.integer(let number), .string): return .string(String(number))
        case (.real(let number), .string): return .string(String(number))
        default: return value
        }
    }
}
