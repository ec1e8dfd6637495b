import Foundation

/// Writes the rows of one merged tile: the union input columns plus the staging columns, the per-file summary
/// (rows and compensated area sums), and the GeoPackage itself, created on the first row.
final class TileOutputWriter {
    private let tile: TileIndex
    private let outputPath: String
    private let columns: [FieldDefinition]
    private let crs: String
    private let labelsDuplicates: Bool
    private var writer: GeoPackageWriter?
    private var values: [FieldValue] = []
    private var tileTexts: [TileIndex: String]
    private let tileText: String
    private var files: [String: TileMergeSummary.FileRows] = [:]
    // Kahan compensation per file: pandas' groupby sum is compensated, and the CSV must match it.
    private var compensation: [String: Double] = [:]
    private(set) var written = 0

    init(tile: TileIndex, outputPath: String, inputFields: [FieldDefinition], configuration: WorkflowConfiguration, crs: String) {
        self.tile = tile
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
        tileText = tile.pdgDescription
        tileTexts = [tile: tileText]
        values.reserveCapacity(columns.count)
    }

    /// Writes one row (`row.values` already in the union schema).
    func write(_ row: StagedRow, filename: String, duplicated: Bool) throws(TilingError) {
        if writer == nil {
            let layerName = ((outputPath as NSString).lastPathComponent as NSString).deletingPathExtension
            writer = try GeoPackageWriter(path: outputPath, layerName: layerName, crs: crs, fields: columns)
        }
        values.removeAll(keepingCapacity: true)
        values.append(contentsOf: row.values)
        values.append(.real(row.area))
        values.append(.real(row.centroidX))
        values.append(.real(row.centroidY))
        values.append(.string(filename))
        values.append(.string(row.identifier))
        if tileTexts[row.centroidTile] == nil { tileTexts[row.centroidTile] = row.centroidTile.pdgDescription }
        values.append(.string(tileTexts[row.centroidTile]!))
        values.append(.string(tileText))
        values.append(.integer(row.centroidTile == tile ? 1 : 0))
        if labelsDuplicates { values.append(.integer(duplicated ? 1 : 0)) }
        try writer!.write(values: values, polygon: row.polygon)
        written += 1
        files[filename, default: .init(filename: filename, rows: 0, area: 0)].rows += 1
        let corrected = row.area - compensation[filename, default: 0]
        let sum = files[filename]!.area + corrected
        compensation[filename] = (sum - files[filename]!.area) - corrected
        files[filename]!.area = sum
    }

    /// Commits the tile, or removes any old tile when no row was written. Returns the per-file rows.
    func finish() throws(TilingError) -> [TileMergeSummary.FileRows] {
        if let writer {
            try writer.commit()
        } else {
            unlink(outputPath)
        }
        return files.values.sorted { $0.filename.unicodeScalars.lexicographicallyPrecedes($1.filename.unicodeScalars) }
    }
}
