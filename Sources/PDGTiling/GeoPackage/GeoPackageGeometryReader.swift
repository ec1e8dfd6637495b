/// Decodes GeoPackage geometry blobs (header + ISO/extended WKB) into polygons: the reading side of
/// ``GeoPackageWriter``'s encoding, beside it, for the raster steps that read staged tiles.
package enum GeoPackageGeometryReader {
    /// The polygons of a Polygon or MultiPolygon blob (Z/M coordinates ignored); empty for an empty geometry.
    /// - Throws: `invalidGeometry` for other geometry types, `malformedGeometry` for malformed blobs.
    package static func polygons(from blob: UnsafeRawBufferPointer) throws(TilingError) -> [Polygon] {
        guard blob.count >= 8, blob[0] == 0x47, blob[1] == 0x50 else {
            throw TilingError(.malformedGeometry, "geometry blob lacks the GeoPackage \"GP\" header")
        }
        let flags = blob[3]
        if flags & 0x10 != 0 { return [] }
        let envelopeBytes: Int
        switch (flags >> 1) & 0x7 {
        case 0: envelopeBytes = 0
        case 1: envelopeBytes = 32
        case 2, 3: envelopeBytes = 48
        case 4: envelopeBytes = 64
        default: throw TilingError(.malformedGeometry, "invalid GeoPackage envelope code")
        }
        var reader = WKBReader(bytes: blob, offset: 8 + envelopeBytes)
        return try reader.readPolygonal()
    }

    private struct WKBReader {
        let bytes: UnsafeRawBufferPointer
        var offset: Int
        var littleEndian = true

        init(bytes: UnsafeRawBufferPointer, offset: Int) {
            self.bytes = bytes
            self.offset = offset
        }

        mutating func need(_ count: Int) throws(TilingError) {
            guard offset + count <= bytes.count else {
                throw TilingError(.malformedGeometry, "truncated WKB geometry")
            }
        }

        mutating func uint32() throws(TilingError) -> UInt32 {
            try need(4)
            let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            offset += 4
            return littleEndian ? UInt32(littleEndian: raw) : UInt32(bigEndian: raw)
        }

        mutating func double() -> Double {
            let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
            return Double(bitPattern: littleEndian ? UInt64(littleEndian: raw) : UInt64(bigEndian: raw))
        }

        /// Byte order + type; returns (base type 1…7, coordinate dimension).
        mutating func header() throws(TilingError) -> (type: UInt32, dimensions: Int) {
            try need(1)
            littleEndian = bytes[offset] == 1
            offset += 1
            let raw = try uint32()
            var type = raw & 0x0FFF_FFFF
            var dimensions = 2
            if raw & 0x8000_0000 != 0 { dimensions += 1 }  // EWKB Z
            if raw & 0x4000_0000 != 0 { dimensions += 1 }  // EWKB M
            switch type / 1000 {
            case 1, 2: dimensions = 3
            case 3: dimensions = 4
            default: break
            }
            type %= 1000
            return (type, dimensions)
        }

        mutating func readPolygonal() throws(TilingError) -> [Polygon] {
            let (type, dimensions) = try header()
            switch type {
            case 3: return [try polygonBody(dimensions: dimensions)]
            case 6:
                let count = Int(try uint32())
                var parts: [Polygon] = []
                parts.reserveCapacity(count)
                for _ in 0..<count {
                    let (partType, partDimensions) = try header()
                    guard partType == 3 else { throw nonPolygon(partType) }
                    parts.append(try polygonBody(dimensions: partDimensions))
                }
                return parts.filter { !$0.rings.isEmpty }
            default:
                throw nonPolygon(type)
            }
        }

        func nonPolygon(_ type: UInt32) -> TilingError {
            let names: [UInt32: String] = [1: "Point", 2: "LineString", 4: "MultiPoint", 5: "MultiLineString", 7: "GeometryCollection"]
            return TilingError(.invalidGeometry, "geometry type \(names[type] ?? "\(type)") is not a Polygon or MultiPolygon")
        }

        mutating func polygonBody(dimensions: Int) throws(TilingError) -> Polygon {
            let ringCount = Int(try uint32())
            var rings: [[Double]] = []
            rings.reserveCapacity(ringCount)
            for _ in 0..<ringCount {
                let points = Int(try uint32())
                try need(points * dimensions * 8)
                var ring = [Double](repeating: 0, count: points * 2)
                for point in 0..<points {
                    ring[2 * point] = double()
                    ring[2 * point + 1] = double()
                    offset += (dimensions - 2) * 8
                }
                if points > 0 { rings.append(ring) }
            }
            return Polygon(rings: rings)
        }
    }
}
