import CVizGDAL
import Foundation

/// Reads the common case of an ESRI shapefile (.shp/.shx + .dbf) directly, without OGR feature objects, and gives
/// the same features, values and polygons as GDAL's shapefile driver through ``VectorLayer``.
///
/// What it reads itself: Polygon, PolygonZ and PolygonM records of one part (the rest of a Z/M record is ignored,
/// as staging keeps x and y only), null shapes, and dBase character, numeric, float and date fields. Text is
/// decoded as the `.cpg` says when that is UTF-8 or ISO-8859-1; pure ASCII text needs no encoding. Anything else in a
/// record (several parts, another shape type, a date that is not `YYYYMMDD`, non-ASCII text in another encoding)
/// is read by GDAL for that record alone (``VectorLayer/feature(at:)``); files it cannot read at all (other field
/// types, record counts that differ between .shx and .dbf, `SHAPE_ENCODING` set) give `nil` from the initializer,
/// and the caller reads the whole file through GDAL.
final class ShapefileReader {
    /// The GDAL layer of the same file: field definitions, CRS, and the reader of records left to GDAL.
    let layer: VectorLayer
    private let path: String
    private let shapes: FileWindow
    private let table: FileWindow
    /// Per record: byte offset of the record header in the .shp, and content length in bytes (from the .shx).
    /// The .shx: per record, the offset of its header in the .shp and its content length, read as the loop goes.
    private let index: FileWindow
    private let recordCount: Int
    private let columns: [Column]
    private let tableHeaderLength: Int
    private let tableRecordLength: Int
    private let encoding: TextEncoding
    /// Records read through GDAL by the last ``forEachFeature(unreadableGeometry:_:)`` (for tests).
    private(set) var recordsReadByGDAL = 0

    private enum TextEncoding { case utf8, latin1, unknown }

    private struct Column {
        enum Kind { case integer, real, string, date }
        var offset: Int
        var width: Int
        var kind: Kind
    }

    /// Opens the companions of the `.shp` at `path`; nil when the file is not one this reader handles.
    init?(path: String, layer: VectorLayer) {
        guard path.lowercased().hasSuffix(".shp"), getenv("SHAPE_ENCODING") == nil else { return nil }
        let base = String(path.dropLast(4))
        func companion(_ extensionName: String) -> String? {
            for candidate in [base + "." + extensionName, base + "." + extensionName.uppercased()]
            where FileManager.default.fileExists(atPath: candidate) {
                return candidate
            }
            return nil
        }
        guard let indexPath = companion("shx"), let tablePath = companion("dbf"),
            let shapes = try? FileWindow(path: path), let index = try? FileWindow(path: indexPath),
            let table = try? FileWindow(path: tablePath)
        else { return nil }

        // .shp header: file code 9994 (big-endian), shape type (little-endian) at 32.
        guard shapes.size >= 100, let header = try? shapes.bytes(at: 0, count: 100),
            header.loadBigEndianInt32(at: 0) == 9994, [5, 15, 25].contains(header.loadLittleEndianInt32(at: 32))
        else { return nil }

        // .shx: 100-byte header, then per record offset and content length in 16-bit words (big-endian).
        guard index.size >= 100 else { return nil }
        let recordCount = (index.size - 100) / 8

        // .dbf header: record count, header and record lengths, then 32-byte field descriptors up to 0x0D.
        guard table.size >= 32, let tableHeader = try? table.bytes(at: 0, count: 32) else { return nil }
        let tableRecordCount = Int(tableHeader.loadLittleEndianUInt32(at: 4))
        let headerLength = Int(tableHeader.load(fromByteOffset: 8, as: UInt8.self)) | Int(tableHeader.load(fromByteOffset: 9, as: UInt8.self)) << 8
        let recordLength = Int(tableHeader.load(fromByteOffset: 10, as: UInt8.self)) | Int(tableHeader.load(fromByteOffset: 11, as: UInt8.self)) << 8
        let languageDriver = tableHeader.load(fromByteOffset: 29, as: UInt8.self)
        guard tableRecordCount == recordCount, headerLength > 32, recordLength >= 1,
            table.size >= headerLength + recordCount * recordLength,
            let descriptors = try? Array(table.bytes(at: 32, count: headerLength - 32))
        else { return nil }
        var columns: [Column] = []
        var offset = 1  // the deletion flag
        var position = 0
        while position + 32 <= descriptors.count, descriptors[position] != 0x0D {
            let descriptor = descriptors[position..<position + 32]
            let type = descriptor[position + 11]
            let width = Int(descriptor[position + 16])
            guard width > 0 else { return nil }
            let fieldIndex = columns.count
            guard fieldIndex < layer.fields.count else { return nil }
            let kind: Column.Kind
            switch (type, layer.fields[fieldIndex].type) {
            case (UInt8(ascii: "C"), .string): kind = .string
            case (UInt8(ascii: "N"), .integer), (UInt8(ascii: "F"), .integer): kind = .integer
            case (UInt8(ascii: "N"), .real), (UInt8(ascii: "F"), .real): kind = .real
            case (UInt8(ascii: "D"), .string) where layer.ogrTypes[fieldIndex] == OFTDate: kind = .date
            default: return nil
            }
            columns.append(Column(offset: offset, width: width, kind: kind))
            offset += width
            position += 32
        }
        guard columns.count == layer.fields.count, offset <= recordLength else { return nil }

        self.layer = layer
        self.path = path
        self.shapes = shapes
        self.table = table
        self.index = index
        self.recordCount = recordCount
        self.columns = columns
        tableHeaderLength = headerLength
        tableRecordLength = recordLength
        encoding = Self.encoding(cpgPath: companion("cpg"), languageDriver: languageDriver)
    }

    /// GDAL's reading of the .cpg (or, without one, of the dBase language driver id), for the two encodings read
    /// here; `.unknown` leaves non-ASCII text to GDAL.
    private static func encoding(cpgPath: String?, languageDriver: UInt8) -> TextEncoding {
        guard let cpgPath else { return languageDriver == 0x57 ? .latin1 : .unknown }
        guard let data = FileManager.default.contents(atPath: cpgPath),
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        else { return .unknown }
        switch text {
        case "UTF-8", "UTF8", "65001": return .utf8
        case "ISO-8859-1", "ISO8859-1", "ISO88591", "8859-1", "8859_1", "88591", "LATIN1": return .latin1
        default: return .unknown
        }
    }

    /// Streams the features in file order, as ``VectorLayer/forEachFeature(unreadableGeometry:_:)`` does.
    func forEachFeature(
        unreadableGeometry: ((_ fid: Int64, _ error: TilingError) -> Void)? = nil,
        _ body: (_ fid: Int64, _ values: [FieldValue], _ polygons: [Polygon]?) throws(TilingError) -> Void
    ) throws(TilingError) {
        var values = [FieldValue](repeating: .null, count: columns.count)
        var number = [CChar](repeating: 0, count: 256)
        recordsReadByGDAL = 0
        for record in 0..<recordCount {
            let entry = try index.bytes(at: 100 + record * 8, count: 8)
            let location = (offset: Int(entry.loadBigEndianInt32(at: 0)) * 2, length: Int(entry.loadBigEndianInt32(at: 4)) * 2)
            let fid = Int64(record)
            let row = try table.bytes(at: tableHeaderLength + record * tableRecordLength, count: tableRecordLength)
            // GDAL's sequential reading skips records marked deleted.
            if row[0] == UInt8(ascii: "*") { continue }
            var readable = readValues(row, into: &values, scratch: &number)
            var polygons: [Polygon]? = nil
            do {
                if readable {
                    switch try readPolygon(at: location, fid: fid) {
                    case .polygon(let polygon): polygons = [polygon]
                    case .none: polygons = nil
                    case .unsupported: readable = false
                    }
                }
                if !readable {
                    recordsReadByGDAL += 1
                    guard let feature = try layer.feature(at: fid) else { continue }
                    values = feature.values
                    polygons = feature.polygons
                }
            } catch {
                guard let unreadableGeometry, error.code == .invalidGeometry else { throw error }
                unreadableGeometry(fid, error)
                continue
            }
            try body(fid, values, polygons)
        }
    }

    // MARK: Attributes

    /// Reads one dBase record as shapelib and GDAL do; false when a value needs GDAL.
    private func readValues(_ row: UnsafeRawBufferPointer, into values: inout [FieldValue], scratch: inout [CChar]) -> Bool {
        for (index, column) in columns.enumerated() {
            // shapelib's C string: up to the first NUL, then trimmed of spaces at both ends.
            let field = UnsafeRawBufferPointer(rebasing: row[column.offset..<column.offset + column.width])
            var end = memchr(field.baseAddress!, 0, field.count).map { $0 - UnsafeMutableRawPointer(mutating: field.baseAddress!) } ?? field.count
            var start = 0
            while start < end, field[start] == UInt8(ascii: " ") { start += 1 }
            while end > start, field[end - 1] == UInt8(ascii: " ") { end -= 1 }
            let text = UnsafeRawBufferPointer(rebasing: field[start..<end])
            switch column.kind {
            case .string:
                if text.isEmpty {
                    values[index] = .null
                } else if let string = decode(text) {
                    values[index] = .string(string)
                } else {
                    return false
                }
            case .integer, .real:
                if text.isEmpty || text[0] == UInt8(ascii: "*") {
                    values[index] = .null
                    continue
                }
                if column.kind == .integer {
                    values[index] = .integer(Self.leadingInteger(text))
                } else if let parsed = DecimalText.double(text) {
                    // Plain decimals: strtod's result without its slow path for 17+ digits.
                    values[index] = .real(parsed)
                } else {
                    // CPLAtof is strtod in the C locale; a NUL-terminated copy keeps it inside the field.
                    guard text.count < scratch.count else { return false }
                    let parsed = scratch.withUnsafeMutableBufferPointer { buffer in
                        for offset in 0..<text.count { buffer[offset] = CChar(bitPattern: text[offset]) }
                        buffer[text.count] = 0
                        return strtod(buffer.baseAddress!, nil)
                    }
                    values[index] = .real(parsed)
                }
            case .date:
                if text.elementsEqual("00000000".utf8) || text.elementsEqual("0".utf8) {
                    values[index] = .null
                    continue
                }
                guard text.count == 8, text.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return false }
                var formatted = [UInt8](text[0..<4])
                formatted.append(UInt8(ascii: "/"))
                formatted += text[4..<6]
                formatted.append(UInt8(ascii: "/"))
                formatted += text[6..<8]
                values[index] = .string(String(decoding: formatted, as: UTF8.self))
            }
        }
        return true
    }

    private func decode(_ text: UnsafeRawBufferPointer) -> String? {
        if !text.contains(where: { $0 >= 0x80 }) { return String(decoding: text, as: UTF8.self) }
        switch encoding {
        // GDAL recodes UTF-8 to UTF-8 as is; Swift repairs invalid sequences as `String(cString:)` does.
        case .utf8: return String(decoding: text, as: UTF8.self)
        case .latin1:
            var scalars = String.UnicodeScalarView()
            for byte in text { scalars.append(Unicode.Scalar(byte)) }
            return String(scalars)
        case .unknown: return nil
        }
    }

    /// `atoi`/`strtoll` of a trimmed field: an optional sign and the leading digits (saturating, as `strtoll`).
    private static func leadingInteger(_ text: UnsafeRawBufferPointer) -> Int64 {
        var index = 0
        var negative = false
        if index < text.count, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        var magnitude: UInt64 = 0
        while index < text.count, text[index] >= UInt8(ascii: "0"), text[index] <= UInt8(ascii: "9") {
            let digit = UInt64(text[index] - UInt8(ascii: "0"))
            let (times, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(digit)
            if overflow1 || overflow2 || sum > UInt64(Int64.max) + 1 {
                return negative ? Int64.min : Int64.max
            }
            magnitude = sum
            index += 1
        }
        if negative { return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude) }
        return magnitude > UInt64(Int64.max) ? Int64.max : Int64(magnitude)
    }

    // MARK: Geometry

    private enum RecordGeometry {
        case polygon(Polygon)
        case none
        case unsupported
    }

    /// Reads a one-part polygon record; other records are `.unsupported` (GDAL reads them).
    private func readPolygon(at location: (offset: Int, length: Int), fid: Int64) throws(TilingError) -> RecordGeometry {
        guard location.offset >= 100, location.length >= 4, location.offset + 8 + location.length <= shapes.size else { return .unsupported }
        let content = try shapes.bytes(at: location.offset + 8, count: location.length)
        let shapeType = content.loadLittleEndianInt32(at: 0)
        if shapeType == 0 { return .none }
        guard shapeType == 5 || shapeType == 15 || shapeType == 25, content.count >= 44 else { return .unsupported }
        let partCount = Int(content.loadLittleEndianInt32(at: 36))
        let pointCount = Int(content.loadLittleEndianInt32(at: 40))
        guard partCount == 1, pointCount > 0, content.loadLittleEndianInt32(at: 44) == 0,
            48 + 16 * pointCount <= content.count
        else { return .unsupported }
        guard pointCount >= 4 else {
            throw TilingError(.invalidGeometry, "\(path): feature \(fid): ring 0 has \(pointCount) points (a ring needs at least 4)")
        }
        var coordinates = [Double](unsafeUninitializedCapacity: 2 * pointCount + 2) { buffer, initialized in
            // Shapefile doubles are little-endian, as every supported host.
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: content[48..<48 + 16 * pointCount]))
            initialized = 2 * pointCount
        }
        try VectorLayer.closeRing(&coordinates, fid: fid, path: path)
        return .polygon(Polygon(rings: [coordinates]))
    }
}

extension UnsafeRawBufferPointer {
    fileprivate func loadBigEndianInt32(at offset: Int) -> Int32 {
        Int32(bigEndian: loadUnaligned(fromByteOffset: offset, as: Int32.self))
    }

    fileprivate func loadLittleEndianInt32(at offset: Int) -> Int32 {
        Int32(littleEndian: loadUnaligned(fromByteOffset: offset, as: Int32.self))
    }

    fileprivate func loadLittleEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
