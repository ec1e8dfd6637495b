import CVizGDAL
import CVizSQLite
import DataflowStorage
import Foundation

/// Writes one polygon layer into a new GeoPackage directly through SQLite, inside a single transaction.
///
/// Why not OGR: OGR's per-feature path (feature object, field setters, geometry object, triggers computing the
/// R-tree entry with `ST_*` SQL functions) cost about 35 µs per row, more than all of staging's geometry work.
/// Here rows go through one prepared `INSERT`, the geometry blob (GPKG header + WKB) and the R-tree entry are
/// built from coordinates we already have. The file has the same tables, column types, SRS rows, R-tree
/// extension, triggers and `gpkg_ogr_contents` that GDAL 3.6 writes, so GDAL, fiona and pyogrio read it as a
/// normal GDAL-written GeoPackage (checked by the golden test, which reads tiles back through GDAL).
///
/// The file is created as a ``ScratchFile`` (a temporary name beside the target on POSIX, a local file when the
/// target is on a bucket, so SQLite's writes never reach the bucket) and published by ``commit()``, so readers
/// never see a half-written tile and a killed writer leaves at most a `*.partial` file.
final class GeoPackageWriter {
    private var database: OpaquePointer?
    private var insertRow: OpaquePointer?
    /// One `INSERT` of `batchSize` rows: SQLite's per-statement work (VDBE set-up, the AUTOINCREMENT bookkeeping
    /// in `sqlite_sequence`) is paid once per batch instead of once per row.
    private var insertBatch: OpaquePointer?
    /// Rows waiting for the batch `INSERT`, back to back: per row the geometry blob (`u32` length, then the bytes),
    /// then one cell per attribute column in the shard value encoding (tag 0 null, 1 `i64`, 2 `f64`, 3 `u32`
    /// length + UTF-8). They are bound with `SQLITE_STATIC` straight from here: no value is copied again before
    /// SQLite builds the record.
    private var arena: [UInt8] = []
    private var pendingRows = 0
    private var rowBox = BoundingBox.empty
    private var scratchBody: [UInt8] = []
    private let columnCount: Int
    private static let batchSize = 32
    private let scratch: ScratchFile
    private var temporaryPath: String { scratch.path }
    private let finalPath: String
    private let table: String
    private let srsID: Int32
    private var committed = false
    private var nextFID: Int64 = 1
    private var extent = BoundingBox.empty
    private var boxes: [(id: Int64, box: BoundingBox)] = []

    /// Creates the (temporary) file and the layer with the given columns.
    /// - Parameters:
    ///   - path: The final path of the tile.
    ///   - layerName: The layer (table) name (PDG uses the file stem, e.g. `908`).
    ///   - crs: The layer CRS as given (e.g. `OGC:CRS84`).
    ///   - fields: The attribute columns in order.
    /// - Parameter lastChange: `gpkg_contents.last_change` as unix seconds; `nil` is now. A time taken from
    ///   the data (the merge passes its newest shard's modification time) makes the file the same bytes each
    ///   time the same rows are written, so a re-merge that changes nothing leaves the tile and what is made
    ///   from it alone.
    init(path: String, layerName: String, crs: String, fields: [FieldDefinition], lastChange: Double? = nil) throws(TilingError) {
        let spatialReference = try SpatialReference(definition: crs)
        do {
            scratch = try FilePublisher().scratch(for: path)
        } catch {
            throw TilingError(.writeFailed, "cannot create GeoPackage: \(error.message)")
        }
        finalPath = path
        table = layerName
        columnCount = fields.count + 2
        let srs = Self.srsRow(for: spatialReference, userInput: crs)
        srsID = srs.id

        // One writer is used by one task at a time (the class is not Sendable): no SQLite mutex per bind and step.
        guard sqlite3_open_v2(temporaryPath, &database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            let message = database.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(database)
            database = nil
            throw TilingError(.writeFailed, "\(path): cannot create GeoPackage: \(message)")
        }
        let quotedTable = Self.quote(table)
        var schema = """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA locking_mode = EXCLUSIVE;
            PRAGMA cache_size = -32768;
            BEGIN;
            PRAGMA application_id = 1196444487;
            PRAGMA user_version = 10200;
            CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL,srs_id INTEGER NOT NULL PRIMARY KEY,organization TEXT NOT NULL,organization_coordsys_id INTEGER NOT NULL,definition  TEXT NOT NULL,description TEXT);
            CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY,data_type TEXT NOT NULL,identifier TEXT UNIQUE,description TEXT DEFAULT '',last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),min_x DOUBLE, min_y DOUBLE,max_x DOUBLE, max_y DOUBLE,srs_id INTEGER,CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
            CREATE TABLE gpkg_ogr_contents(table_name TEXT NOT NULL PRIMARY KEY,feature_count INTEGER DEFAULT NULL);
            CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL,column_name TEXT NOT NULL,geometry_type_name TEXT NOT NULL,srs_id INTEGER NOT NULL,z TINYINT NOT NULL,m TINYINT NOT NULL,CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),CONSTRAINT uk_gc_table_name UNIQUE (table_name),CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
            CREATE TABLE gpkg_extensions (table_name TEXT,column_name TEXT,extension_name TEXT NOT NULL,definition TEXT NOT NULL,scope TEXT NOT NULL,CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
            INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined Cartesian SRS',-1,'NONE',-1,'undefined','undefined Cartesian coordinate reference system');
            INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS',0,'NONE',0,'undefined','undefined geographic coordinate reference system');
            INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic',4326,'EPSG',4326,'\(Self.wgs84Definition)','longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');

            """
        if srs.id != 4326 {
            schema +=
                "INSERT INTO gpkg_spatial_ref_sys VALUES (\(Self.literal(srs.name)),\(srs.id),\(Self.literal(srs.organization)),\(srs.id),\(Self.literal(srs.definition)),NULL);\n"
        }
        var columns = "\"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \"geom\" POLYGON"
        for field in fields {
            let type: String
            switch field.type {
            case .integer: type = "INTEGER"
            case .real: type = "REAL"
            case .string: type = "TEXT"
            case .boolean: type = "BOOLEAN"
            }
            columns += ", \(Self.quote(field.name)) \(type)"
        }
        schema += """
            CREATE TABLE \(quotedTable) ( \(columns));
            INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) VALUES (\(Self.literal(table)),'features',\(Self.literal(table)),'',strftime('%Y-%m-%dT%H:%M:%fZ',\(lastChange.map { String(format: "%.3f", $0) + ",'unixepoch'" } ?? "'now'")),\(srs.id));
            INSERT INTO gpkg_geometry_columns VALUES (\(Self.literal(table)),'geom','POLYGON',\(srs.id),0,0);
            CREATE VIRTUAL TABLE \(Self.quote("rtree_\(table)_geom")) USING rtree(id, minx, maxx, miny, maxy);
            INSERT INTO gpkg_extensions VALUES (\(Self.literal(table)),'geom','gpkg_rtree_index','http://www.geopackage.org/spec120/#extension_rtree','write-only');
            """
        try execute(schema)
        let placeholders = "(" + Array(repeating: "?", count: fields.count + 2).joined(separator: ",") + ")"
        let names = (["fid", "geom"] + fields.map(\.name)).map(Self.quote).joined(separator: ",")
        insertRow = try prepare("INSERT INTO \(quotedTable) (\(names)) VALUES \(placeholders)")
        let batch = Array(repeating: placeholders, count: Self.batchSize).joined(separator: ",")
        insertBatch = try prepare("INSERT INTO \(quotedTable) (\(names)) VALUES \(batch)")
    }

    deinit {
        sqlite3_finalize(insertRow)
        sqlite3_finalize(insertBatch)
        sqlite3_close(database)
        if !committed { scratch.discard() }
    }

    /// Appends one feature; `values` follow the field order given at creation.
    func write(values: [FieldValue], polygon: Polygon) throws(TilingError) {
        scratchBody.removeAll(keepingCapacity: true)
        ShardCodec.appendPolygonBody(polygon, to: &scratchBody)
        scratchBody.withUnsafeBytes { beginRow(polygonBody: $0, box: polygon.boundingBox) }
        for value in values { ShardCodec.append(value, to: &arena) }
        try endRow()
    }

    // MARK: Rows cell by cell (the merge's path: cells copied from shard records)

    /// Starts a row with its polygon: `polygonBody` is the WKB polygon after its type (`u32` ring count, then per
    /// ring the `u32` point count and the coordinates, little-endian), `box` the box of its shell.
    func beginRow(polygonBody: UnsafeRawBufferPointer, box: BoundingBox) {
        rowBox = box
        ShardCodec.append(UInt32(4 + 4 + 32 + 1 + 4 + polygonBody.count), to: &arena)
        // GPKG geometry blob: "GP", version 0, flags (little-endian, envelope [minx, maxx, miny, maxy]), srs_id,
        // envelope, then little-endian WKB Polygon.
        arena.append(contentsOf: [0x47, 0x50, 0x00, 0x03])
        ShardCodec.append(UInt32(bitPattern: srsID), to: &arena)
        ShardCodec.append(box.left, to: &arena)
        ShardCodec.append(box.right, to: &arena)
        ShardCodec.append(box.bottom, to: &arena)
        ShardCodec.append(box.top, to: &arena)
        arena.append(0x01)
        ShardCodec.append(UInt32(3), to: &arena)
        arena.append(contentsOf: polygonBody)
    }

    /// Appends cells already in the shard value encoding (one per column, in column order).
    func appendCells(_ cells: UnsafeRawBufferPointer) {
        arena.append(contentsOf: cells)
    }

    /// Appends a REAL cell.
    func appendReal(_ value: Double) {
        arena.append(2)
        ShardCodec.append(value, to: &arena)
    }

    /// Appends an INTEGER (or BOOLEAN) cell.
    func appendInteger(_ value: Int64) {
        arena.append(1)
        ShardCodec.append(value, to: &arena)
    }

    /// Appends a TEXT cell from UTF-8 bytes.
    func appendText(_ utf8: UnsafeRawBufferPointer) {
        arena.append(3)
        ShardCodec.append(UInt32(utf8.count), to: &arena)
        arena.append(contentsOf: utf8)
    }

    /// Ends the row begun by ``beginRow(polygonBody:box:)``; every column must have had its cell.
    func endRow() throws(TilingError) {
        extent.extend(rowBox)
        boxes.append((nextFID, rowBox))
        nextFID += 1
        pendingRows += 1
        if pendingRows == Self.batchSize {
            try insertPending(insertBatch, rowsPerStatement: Self.batchSize)
        }
    }

    /// Binds the pending rows (`rowsPerStatement` at a time) from the arena and steps the statement.
    private func insertPending(_ statement: OpaquePointer?, rowsPerStatement: Int) throws(TilingError) {
        let firstFID = nextFID - Int64(pendingRows)
        let rows = pendingRows
        let columns = columnCount
        let status: Int32 = arena.withUnsafeBytes { raw in
            var offset = 0
            var row = 0
            while row < rows {
                for slotRow in 0..<rowsPerStatement {
                    let base = Int32(slotRow * columns)
                    sqlite3_bind_int64(statement, base + 1, firstFID + Int64(row))
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
                    sqlite3_bind_blob(statement, base + 2, raw.baseAddress! + offset + 4, Int32(length), nil)
                    offset += 4 + length
                    for column in 0..<(columns - 2) {
                        let slot = base + Int32(column + 3)
                        let tag = raw[offset]
                        offset += 1
                        switch tag {
                        case 1:
                            sqlite3_bind_int64(statement, slot, Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
                            offset += 8
                        case 2:
                            let bits = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                            sqlite3_bind_double(statement, slot, Double(bitPattern: bits))
                            offset += 8
                        case 3:
                            let count = Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
                            let text = (raw.baseAddress! + offset + 4).assumingMemoryBound(to: CChar.self)
                            sqlite3_bind_text(statement, slot, text, Int32(count), nil)
                            offset += 4 + count
                        default:
                            sqlite3_bind_null(statement, slot)
                        }
                    }
                    row += 1
                }
                // SQLITE_STATIC (nil destructor): SQLite reads the cells in place while stepping.
                let status = sqlite3_step(statement)
                sqlite3_reset(statement)
                if status != SQLITE_DONE { return status }
            }
            precondition(offset == raw.count, "GeoPackageWriter: a row had more or fewer cells than columns")
            return SQLITE_DONE
        }
        arena.removeAll(keepingCapacity: true)
        pendingRows = 0
        guard status == SQLITE_DONE else {
            throw TilingError(.writeFailed, "\(finalPath): insert failed: \(String(cString: sqlite3_errmsg(database)))")
        }
    }

    /// Inserts the rows of a partly filled batch one by one.
    private func flushPartialBatch() throws(TilingError) {
        guard pendingRows > 0 else { return }
        try insertPending(insertRow, rowsPerStatement: 1)
    }

    /// Records the extent and count, writes the packed R-tree, adds GDAL's triggers, commits and renames the
    /// file over the final path.
    func commit() throws(TilingError) {
        try flushPartialBatch()
        try writeSpatialIndex()
        let quotedTable = Self.quote(table)
        let rtree = Self.quote("rtree_\(table)_geom")
        let name = Self.literal(table)
        let geometry = "\"geom\""
        var sql = ""
        if !extent.isEmpty {
            sql +=
                "UPDATE gpkg_contents SET min_x = \(extent.left.description), min_y = \(extent.bottom.description), max_x = \(extent.right.description), max_y = \(extent.top.description) WHERE table_name = \(name);\n"
        }
        sql += """
            INSERT INTO gpkg_ogr_contents VALUES (\(name), \(nextFID - 1));
            CREATE TRIGGER \(Self.quote("trigger_insert_feature_count_\(table)")) AFTER INSERT ON \(quotedTable) BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1 WHERE lower(table_name) = lower(\(name)); END;
            CREATE TRIGGER \(Self.quote("trigger_delete_feature_count_\(table)")) AFTER DELETE ON \(quotedTable) BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1 WHERE lower(table_name) = lower(\(name)); END;
            CREATE TRIGGER \(Self.quote("rtree_\(table)_geom_insert")) AFTER INSERT ON \(quotedTable) WHEN (new.\(geometry) NOT NULL AND NOT ST_IsEmpty(NEW.\(geometry))) BEGIN INSERT OR REPLACE INTO \(rtree) VALUES (NEW."fid",ST_MinX(NEW.\(geometry)), ST_MaxX(NEW.\(geometry)),ST_MinY(NEW.\(geometry)), ST_MaxY(NEW.\(geometry))); END;
            CREATE TRIGGER \(Self.quote("rtree_\(table)_geom_update1")) AFTER UPDATE OF \(geometry) ON \(quotedTable) WHEN OLD."fid" = NEW."fid" AND (NEW.\(geometry) NOTNULL AND NOT ST_IsEmpty(NEW.\(geometry))) BEGIN INSERT OR REPLACE INTO \(rtree) VALUES (NEW."fid",ST_MinX(NEW.\(geometry)), ST_MaxX(NEW.\(geometry)),ST_MinY(NEW.\(geometry)), ST_MaxY(NEW.\(geometry))); END;
            CREATE TRIGGER \(Self.quote("rtree_\(table)_geom_update2")) AFTER UPDATE OF \(geometry) ON \(quotedTable) WHEN OLD."fid" = NEW."fid" AND (NEW.\(geometry) ISNULL OR ST_IsEmpty(NEW.\(geometry))) BEGIN DELETE FROM \(rtree) WHERE id = OLD."fid"; END;
            CREATE TRIGGER \(Self.quote("rtree_\(table)_geom_update3")) AFTER UPDATE ON \(quotedTable) WHEN OLD."fid" != NEW."fid" AND (NEW.\(geometry) NOTNULL AND NOT ST_IsEmpty(NEW.\(geometry))) BEGIN DELETE FROM \(rtree) WHERE id = OLD."fid"; INSERT OR REPLACE INTO \(rtree) VALUES (NEW."fid",ST_MinX(NEW.\(geometry)), ST_MaxX(NEW.\(geometry)),ST_MinY(NEW.\(geometry)), ST_MaxY(NEW.\(geometry))); END;
            CREATE TRIGGER \(Self.quote("rtree_\(table)_geom_update4")) AFTER UPDATE ON \(quotedTable) WHEN OLD."fid" != NEW."fid" AND (NEW.\(geometry) ISNULL OR ST_IsEmpty(NEW.\(geometry))) BEGIN DELETE FROM \(rtree) WHERE id IN (OLD."fid", NEW."fid"); END;
            CREATE TRIGGER \(Self.quote("rtree_\(table)_geom_delete")) AFTER DELETE ON \(quotedTable) WHEN old.\(geometry) NOT NULL BEGIN DELETE FROM \(rtree) WHERE id = OLD."fid"; END;
            COMMIT;
            """
        try execute(sql)
        sqlite3_finalize(insertRow)
        sqlite3_finalize(insertBatch)
        insertRow = nil
        insertBatch = nil
        guard sqlite3_close(database) == SQLITE_OK else {
            throw TilingError(.writeFailed, "\(finalPath): closing the GeoPackage failed")
        }
        database = nil
        committed = true
        do {
            try scratch.publish()
        } catch {
            throw TilingError(.writeFailed, "publishing the finished tile failed: \(error.message)")
        }
    }

    /// Fills the R-tree's shadow tables from a packed tree (the virtual table's root node already exists).
    private func writeSpatialIndex() throws(TilingError) {
        let tree = PackedRTree(boxes: boxes)
        let name = "rtree_\(table)_geom"
        let nodes = try prepare("INSERT OR REPLACE INTO \(Self.quote(name + "_node")) VALUES (?, ?)")
        let rowids = try prepare("INSERT INTO \(Self.quote(name + "_rowid")) VALUES (?, ?)")
        // One row per feature: many to a statement, as for the features themselves.
        let rowidsPerStatement = 64
        let rowidBatch = try prepare(
            "INSERT INTO \(Self.quote(name + "_rowid")) VALUES " + Array(repeating: "(?, ?)", count: rowidsPerStatement).joined(separator: ","))
        let parents = try prepare("INSERT INTO \(Self.quote(name + "_parent")) VALUES (?, ?)")
        defer {
            sqlite3_finalize(nodes)
            sqlite3_finalize(rowids)
            sqlite3_finalize(rowidBatch)
            sqlite3_finalize(parents)
        }
        for node in tree.nodes {
            let bytes = tree.blob(of: node)
            sqlite3_bind_int64(nodes, 1, node.number)
            bytes.withUnsafeBytes { raw in
                _ = sqlite3_bind_blob(nodes, 2, raw.baseAddress, Int32(raw.count), Self.transient)
            }
            try step(nodes)
        }
        let leaves = tree.leafOfID
        var start = 0
        while start + rowidsPerStatement <= leaves.count {
            for index in 0..<rowidsPerStatement {
                sqlite3_bind_int64(rowidBatch, Int32(2 * index + 1), leaves[start + index].id)
                sqlite3_bind_int64(rowidBatch, Int32(2 * index + 2), leaves[start + index].node)
            }
            try step(rowidBatch)
            start += rowidsPerStatement
        }
        for entry in leaves[start...] {
            sqlite3_bind_int64(rowids, 1, entry.id)
            sqlite3_bind_int64(rowids, 2, entry.node)
            try step(rowids)
        }
        for entry in tree.parentOfNode {
            sqlite3_bind_int64(parents, 1, entry.node)
            sqlite3_bind_int64(parents, 2, entry.parent)
            try step(parents)
        }
    }

    // MARK: SQLite helpers

    // SQLITE_TRANSIENT: SQLite copies bound values before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func execute(_ sql: String) throws(TilingError) {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(database, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            throw TilingError(.writeFailed, "\(finalPath): \(text)")
        }
    }

    private func prepare(_ sql: String) throws(TilingError) -> OpaquePointer? {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database, sql, -1, &statement, nil) == SQLITE_OK else {
            throw TilingError(.writeFailed, "\(finalPath): \(String(cString: sqlite3_errmsg(database)))")
        }
        return statement
    }

    private func step(_ statement: OpaquePointer?) throws(TilingError) {
        let status = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard status == SQLITE_DONE else {
            throw TilingError(.writeFailed, "\(finalPath): insert failed: \(String(cString: sqlite3_errmsg(database)))")
        }
    }

    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    // MARK: SRS rows (as GDAL 3.6 writes them)

    static let wgs84Definition =
        #"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#

    static let crs84Definition =
        #"GEOGCS["WGS 84 (CRS84)",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Longitude",EAST],AXIS["Latitude",NORTH],AUTHORITY["OGC","CRS84"]]"#

    /// EPSG CRSs keep their code as `srs_id`; anything else (OGC:CRS84 included, as GDAL 3.6 does) becomes the
    /// custom id 100000 with organization `NONE` and its WKT1 definition.
    static func srsRow(for reference: SpatialReference, userInput: String) -> (id: Int32, name: String, organization: String, definition: String) {
        var wkt: UnsafeMutablePointer<CChar>?
        OSRExportToWkt(reference.handle, &wkt)
        let definition = wkt.map { String(cString: $0) } ?? "undefined"
        VSIFree(wkt)
        let name = OSRGetName(reference.handle).map { String(cString: $0) } ?? "Unknown"
        if userInput.uppercased() == "OGC:CRS84" {
            // GDAL 3.6 with this PROJ database loses the OGC identifier; write the row pdgstaging's files carry.
            return (100000, "WGS 84 (CRS84)", "NONE", crs84Definition)
        }
        if let authority = OSRGetAuthorityName(reference.handle, nil).map({ String(cString: $0) }), authority == "EPSG",
            let codeText = OSRGetAuthorityCode(reference.handle, nil).map({ String(cString: $0) }), let code = Int32(codeText)
        {
            return (code, name, "EPSG", definition)
        }
        return (100000, name, "NONE", definition)
    }
}
