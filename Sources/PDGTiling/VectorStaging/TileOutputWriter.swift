import Foundation

/// Writes the rows of one merged tile: the union input columns plus the staging columns, the per-file summary
/// (rows and compensated area sums), and the GeoPackage itself, created on the first row.
///
/// Rows arrive as shard records (``ShardRecordView``): their attribute cells, identifier and polygon are copied
/// into the GeoPackage writer's batch as they are, without decoding them into values first.
final class TileOutputWriter {
    private let tile: TileIndex
    private let outputPath: String
    private let columns: [FieldDefinition]
    private let crs: String
    private let labelsDuplicates: Bool
    private var writer: GeoPackageWriter?
    /// `staging_centroid_tile` texts by tile (UTF-8), this tile's first.
    private var tileTexts: [TileIndex: [UInt8]]
    private let tileText: [UInt8]
    /// Per input file (see ``file(named:)``): name, rows, area sum and its Kahan compensation (pandas' groupby sum
    /// is compensated, and the CSV must match it).
    private var fileNames: [[UInt8]] = []
    private var fileIndex: [String: Int] = [:]
    private var fileRows: [Int] = []
    private var fileArea: [Double] = []
    private var fileCompensation: [Double] = []
    private var encoded: [UInt8] = []
    private(set) var written = 0
    /// The GeoPackage's `last_change` (unix seconds), or now.
    private let lastChange: Double?

    init(
        tile: TileIndex, outputPath: String, inputFields: [FieldDefinition], configuration: WorkflowConfiguration, crs: String,
        lastChange: Double? = nil
    ) {
        self.tile = tile
        self.lastChange = lastChange
        self.outputPath = outputPath
        self.crs = crs
        labelsDuplicates = configuration.labelsDuplicates
        let names = configuration.properties
        var columns = inputFields
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
        if labelsDuplicates {
            columns.append(FieldDefinition(name: names.duplicated, type: .boolean))
        }
        self.columns = columns
        tileText = Array(tile.pdgDescription.utf8)
        tileTexts = [tile: tileText]
    }

    /// The number of an input file for ``write(_:file:duplicated:)``.
    func file(named filename: String) -> Int {
        if let index = fileIndex[filename] { return index }
        fileIndex[filename] = fileNames.count
        fileNames.append(Array(filename.utf8))
        fileRows.append(0)
        fileArea.append(0)
        fileCompensation.append(0)
        return fileNames.count - 1
    }

    /// Writes one decoded row (`row.values` already in the union schema).
    func write(_ row: StagedRow, filename: String, duplicated: Bool) throws(TilingError) {
        let file = file(named: filename)
        encoded.removeAll(keepingCapacity: true)
        ShardCodec.encode(row, to: &encoded)
        let fieldCount = row.values.count
        let path = outputPath
        let outcome: Result<Void, TilingError> = encoded.withUnsafeBytes { raw in
            do throws(TilingError) {
                let record = try ShardRecordView(UnsafeRawBufferPointer(rebasing: raw[4...]), fieldCount: fieldCount, path: path)
                try write(record, file: file, duplicated: duplicated)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try outcome.get()
    }

    /// Writes one shard record whose fields are the tile's input columns, in order.
    func write(_ record: ShardRecordView, file: Int, duplicated: Bool) throws(TilingError) {
        if writer == nil {
            let layerName = ((outputPath as NSString).lastPathComponent as NSString).deletingPathExtension
            writer = try GeoPackageWriter(path: outputPath, layerName: layerName, crs: crs, fields: columns, lastChange: lastChange)
        }
        let writer = writer!
        writer.beginRow(polygonBody: record[record.polygonBody], box: record.box)
        writer.appendCells(record[record.values])
        writer.appendReal(record.area)
        writer.appendReal(record.centroidX)
        writer.appendReal(record.centroidY)
        fileNames[file].withUnsafeBytes { writer.appendText($0) }
        writer.appendText(record[record.identifier])
        let centroidTile = TileIndex(x: record.centroidTileX, y: record.centroidTileY, z: tile.z)
        if centroidTile == tile {
            tileText.withUnsafeBytes { writer.appendText($0) }
        } else {
            if tileTexts[centroidTile] == nil { tileTexts[centroidTile] = Array(centroidTile.pdgDescription.utf8) }
            tileTexts[centroidTile]!.withUnsafeBytes { writer.appendText($0) }
        }
        tileText.withUnsafeBytes { writer.appendText($0) }
        writer.appendInteger(centroidTile == tile ? 1 : 0)
        if labelsDuplicates { writer.appendInteger(duplicated ? 1 : 0) }
        try writer.endRow()
        written += 1
        fileRows[file] += 1
        let corrected = record.area - fileCompensation[file]
        let sum = fileArea[file] + corrected
        fileCompensation[file] = (sum - fileArea[file]) - corrected
        fileArea[file] = sum
    }

    /// Commits the tile, or removes any old tile when no row was written. Returns the per-file rows.
    func finish() throws(TilingError) -> [TileMergeSummary.FileRows] {
        if let writer {
            try writer.commit()
        } else {
            unlink(outputPath)
        }
        return fileIndex.compactMap { filename, index in
            fileRows[index] > 0 ? TileMergeSummary.FileRows(filename: filename, rows: fileRows[index], area: fileArea[index]) : nil
        }.sorted { $0.filename.unicodeScalars.lexicographicallyPrecedes($1.filename.unicodeScalars) }
    }
}
