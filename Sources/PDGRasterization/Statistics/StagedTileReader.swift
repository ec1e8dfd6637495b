import CVizSQLite
import Foundation
import PDGTiling

/// Reads a staged GeoPackage tile directly through SQLite: the feature table named in `gpkg_geometry_columns`,
/// its geometry blobs (GeoPackage header + WKB) and the numeric columns the statistics need.
///
/// Reading SQLite rows directly avoids OGR's per-feature objects; staged tiles are plain GeoPackages written by
/// pdgstaging or by our `Tiling` module.
struct StagedTileReader {
    /// What to read.
    struct Request {
        /// Columns whose numeric values are wanted, in order (missing columns read as NaN).
        var valueColumns: [String]
        /// `prop_centroid_x` / `prop_centroid_y`.
        var centroidColumns: (x: String, y: String)
        /// `prop_duplicated` when rows labelled duplicates must be dropped, else nil.
        var duplicatedColumn: String?
    }

    /// The result of reading one tile.
    struct Contents {
        var features: [StagedFeature]
        /// Declared SQLite type of each requested value column (nil when the column does not exist).
        var valueColumnTypes: [String?]
        var rowsRead: Int
        var rowsDroppedAsDuplicates: Int
    }

    static func read(path: String, request: Request) throws(RasterizationError) -> Contents {
        guard FileManager.default.fileExists(atPath: path) else {
            throw RasterizationError(.stagedTileUnreadable, "\(path): no such staged tile")
        }
        var database: OpaquePointer?
        guard sqlite3_open_v2(path, &database, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let database else {
            sqlite3_close(database)
            throw RasterizationError(.stagedTileUnreadable, "\(path): SQLite cannot open it")
        }
        defer { sqlite3_close(database) }

        func rows(_ sql: String) throws(RasterizationError) -> [[String?]] {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(database, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
                let message = String(cString: sqlite3_errmsg(database))
                throw RasterizationError(.stagedTileUnreadable, "\(path): \(message)")
            }
            defer { sqlite3_finalize(statement) }
            var result: [[String?]] = []
            while sqlite3_step(statement) == SQLITE_ROW {
                result.append(
                    (0..<sqlite3_column_count(statement)).map { index in
                        sqlite3_column_text(statement, index).map { String(cString: $0) }
                    })
            }
            return result
        }

        guard let geometryRow = try rows("SELECT table_name, column_name FROM gpkg_geometry_columns").first,
            let table = geometryRow[0], let geometryColumn = geometryRow[1]
        else {
            throw RasterizationError(.stagedTileUnreadable, "\(path): not a GeoPackage with a feature table")
        }
        var columnTypes: [String: String] = [:]
        for row in try rows("PRAGMA table_info(\(quote(table)))") {
            if let name = row[1] { columnTypes[name] = row[2] ?? "" }
        }
        let valueTypes = request.valueColumns.map { columnTypes[$0] }
        let hasCentroid = columnTypes[request.centroidColumns.x] != nil && columnTypes[request.centroidColumns.y] != nil
        let duplicated = request.duplicatedColumn.flatMap { columnTypes[$0] != nil ? $0 : nil }

        var selected = [quote(geometryColumn)]
        selected.append(hasCentroid ? quote(request.centroidColumns.x) : "NULL")
        selected.append(hasCentroid ? quote(request.centroidColumns.y) : "NULL")
        selected.append(duplicated.map(quote) ?? "NULL")
        for (column, type) in zip(request.valueColumns, valueTypes) {
            selected.append(type != nil ? quote(column) : "NULL")
        }
        let sql = "SELECT \(selected.joined(separator: ", ")) FROM \(quote(table)) ORDER BY rowid"
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            let message = String(cString: sqlite3_errmsg(database))
            throw RasterizationError(.stagedTileUnreadable, "\(path): \(message)")
        }
        defer { sqlite3_finalize(statement) }

        var features: [StagedFeature] = []
        var rowsRead = 0
        var dropped = 0
        var step = sqlite3_step(statement)
        while step == SQLITE_ROW {
            rowsRead += 1
            defer { step = sqlite3_step(statement) }
            if duplicated != nil, sqlite3_column_type(statement, 3) != SQLITE_NULL, sqlite3_column_int64(statement, 3) != 0 {
                dropped += 1
                continue
            }
            let length = Int(sqlite3_column_bytes(statement, 0))
            guard length > 0, let blob = sqlite3_column_blob(statement, 0) else { continue }
            let bytes = UnsafeRawBufferPointer(start: blob, count: length)
            let polygons: [Polygon]
            do {
                polygons = try GeoPackageGeometryReader.polygons(from: bytes)
            } catch {
                let code: RasterizationError.Code = error.code == .invalidGeometry ? .invalidGeometry : .stagedTileUnreadable
                throw RasterizationError(code, "\(path): row \(rowsRead): \(error.message)")
            }
            if polygons.isEmpty { continue }
            var cx = Double.nan
            var cy = Double.nan
            if hasCentroid, sqlite3_column_type(statement, 1) != SQLITE_NULL, sqlite3_column_type(statement, 2) != SQLITE_NULL {
                cx = sqlite3_column_double(statement, 1)
                cy = sqlite3_column_double(statement, 2)
            } else {
                (cx, cy) = StagedFeature.planarCentroid(of: polygons)
            }
            var values = [Double](repeating: .nan, count: request.valueColumns.count)
            for index in values.indices {
                let column = Int32(4 + index)
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER, SQLITE_FLOAT: values[index] = sqlite3_column_double(statement, column)
                default: break
                }
            }
            features.append(StagedFeature(polygons: polygons, centroidX: cx, centroidY: cy, values: values))
        }
        if step != SQLITE_DONE {
            throw RasterizationError(.stagedTileUnreadable, "\(path): \(String(cString: sqlite3_errmsg(database)))")
        }
        return Contents(features: features, valueColumnTypes: valueTypes, rowsRead: rowsRead, rowsDroppedAsDuplicates: dropped)
    }

    private static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
