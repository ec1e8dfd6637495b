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
    /// The stager whose shards this merger reads.
    public let stager: VectorTileStager

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
    ///
    /// Without a deduplication method rows are streamed from the shards to the GeoPackage (memory stays bounded
    /// whatever the tile's size); with one, the tile's rows are held in memory, as PDG does.
    ///
    /// - Parameter shards: the tile's shard files, as the stagings of this run reported them; `nil` lists the
    ///   tile's shard directory. Given, shards left by inputs that are no longer in the input set are ignored.
    public func mergeTile(_ tile: TileIndex, shards: [String]? = nil) throws(TilingError) -> TileMergeSummary {
        let directory = "\(stager.shardRoot)/\(layout.relativeStem(for: tile))"
        let paths =
            shards
            ?? ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".shard") }.map {
                "\(directory)/\($0)"
            }
        var headers: [(path: String, header: ShardHeader)] = []
        // The tile changed when its newest shard did: its time becomes the GeoPackage's last_change.
        var newestShard = 0.0
        for path in paths {
            let stream = try ShardStream(path: path)
            headers.append((path, stream.header))
            newestShard = max(newestShard, stream.modificationTime)
        }
        headers.sort { $0.header.filename.unicodeScalars.lexicographicallyPrecedes($1.header.filename.unicodeScalars) }

        // Union of the input columns, in order of first appearance; clashing types widen (integer+real → real,
        // anything else → string).
        var fields: [FieldDefinition] = []
        var fieldIndex: [String: Int] = [:]
        for entry in headers {
            for field in entry.header.fields {
                if let index = fieldIndex[field.name] {
                    fields[index].type = Self.widen(fields[index].type, field.type)
                } else {
                    fieldIndex[field.name] = fields.count
                    fields.append(field)
                }
            }
        }
        let output = TileOutputWriter(
            tile: tile, outputPath: layout.path(for: tile), inputFields: fields, configuration: configuration,
            crs: tileMatrixSet.crs, lastChange: newestShard > 0 ? newestShard : nil)
        let drop = configuration.deduplicatesAtStaging
        var rowsRead = 0
        var labelled = 0

        if let method = configuration.deduplicateMethod {
            // Whole tile in memory, in (filename, sequence) order.
            var rows: [(filename: String, row: StagedRow)] = []
            for entry in headers {
                let stream = try ShardStream(path: entry.path)
                let mapping = Self.mapping(from: entry.header.fields, to: fields, index: fieldIndex)
                while var row = try stream.next() {
                    if let mapping { row.values = Self.remap(row.values, mapping, fields) }
                    rows.append((entry.header.filename, row))
                }
            }
            rowsRead = rows.count
            let labels = try deduplicate(rows: rows, fields: fieldIndex, method: method, tile: tile)
            for (index, entry) in rows.enumerated() {
                if labels[index] { labelled += 1 }
                if drop && labels[index] { continue }
                try output.write(entry.row, filename: entry.filename, duplicated: labels[index])
            }
        } else {
            // Streamed, shard after shard in filename order; rows keep their input order. Shards with the tile's
            // columns are copied record by record without decoding them.
            for entry in headers {
                let stream = try ShardStream(path: entry.path)
                if let mapping = Self.mapping(from: entry.header.fields, to: fields, index: fieldIndex) {
                    while var row = try stream.next() {
                        rowsRead += 1
                        row.values = Self.remap(row.values, mapping, fields)
                        try output.write(row, filename: entry.header.filename, duplicated: false)
                    }
                } else {
                    let file = output.file(named: entry.header.filename)
                    while try stream.nextRecord({ (record) throws(TilingError) in try output.write(record, file: file, duplicated: false) }) != nil {
                        rowsRead += 1
                    }
                }
            }
        }
        let files = try output.finish()
        return TileMergeSummary(
            tile: tile,
            path: layout.path(for: tile),
            shards: headers.count,
            rowsRead: rowsRead,
            rowsWritten: output.written,
            rowsLabelledDuplicated: labelled,
            rowsDropped: drop ? labelled : 0,
            files: files
        )
    }

    /// Column positions of a shard's fields in the tile's columns, or nil when they are the same columns.
    static func mapping(from source: [FieldDefinition], to target: [FieldDefinition], index: [String: Int]) -> [Int]? {
        source == target ? nil : source.map { index[$0.name]! }
    }

    static func remap(_ values: [FieldValue], _ mapping: [Int], _ fields: [FieldDefinition]) -> [FieldValue] {
        var result = [FieldValue](repeating: .null, count: fields.count)
        for (source, target) in mapping.enumerated() {
            result[target] = convert(values[source], to: fields[target].type)
        }
        return result
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
                    throw TilingError(
                        .deduplication,
                        "tile \(tile): keep-rule property \"\(rule.property)\" is not a column of the staged rows (config key deduplicate_keep_rules)")
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
