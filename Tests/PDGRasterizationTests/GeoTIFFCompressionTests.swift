import CVizGDAL
import Foundation
import PDGRasterization
import PDGTiling
import Testing

/// Every GeoTIFF compression keeps every value bit for bit, as read back by ``GeoTIFFFile`` and by GDAL's own
/// generic path, and writes the layout it promises (tiles, band interleaving, no predictor).
@Suite("GeoTIFF compression")
struct GeoTIFFCompressionTests {
    /// A PDG-like tile: mostly zeros, sparse integral counts in band 1, fractions and awkward doubles in band 2.
    static func raster(dataType: RasterDataType, size: Int = 256) -> RasterTile {
        var counts = [Double](repeating: 0, count: size * size)
        var coverage = [Double](repeating: 0, count: size * size)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for index in counts.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            guard state >> 61 == 0 else { continue }  // about one pixel in eight
            counts[index] = Double(state >> 58 & 7)
            coverage[index] = Double(state >> 11) / Double(1 << 53)
        }
        if dataType == .float64 {
            coverage[0] = .leastNonzeroMagnitude
            coverage[1] = -0.0
            coverage[2] = 1 - .ulpOfOne
            coverage[size * size - 1] = 1
        }
        let grid = PixelGrid(bounds: BoundingBox(left: -180, bottom: 80, right: -170, top: 90), rows: size, columns: size)
        return RasterTile(
            tile: TileIndex(x: 0, y: 0, z: 3), grid: grid, bands: [counts, dataType == .float64 ? coverage : counts.map { $0 * 3 }],
            descriptions: ["iwp_count", "iwp_coverage"], dataType: dataType)
    }

    /// The bands as GDAL reads them through its default open path (all drivers, sibling files listed), in one
    /// dataset-level RasterIO, plus its IMAGE_STRUCTURE metadata and block size.
    static func gdalReads(_ path: String) throws -> (bands: [[Double]], structure: [String: String], block: (Int32, Int32)) {
        GDALAllRegister()
        let dataset = try #require(GDALOpenEx(path, UInt32(GDAL_OF_RASTER | GDAL_OF_READONLY), nil, nil, nil), "GDAL cannot open \(path)")
        defer { GDALClose(dataset) }
        let columns = Int(GDALGetRasterXSize(dataset))
        let rows = Int(GDALGetRasterYSize(dataset))
        let count = Int(GDALGetRasterCount(dataset))
        var values = [Double](repeating: .nan, count: columns * rows * count)
        var bandList = (1...count).map { Int32($0) }
        let error = values.withUnsafeMutableBytes {
            GDALDatasetRasterIO(
                dataset, GF_Read, 0, 0, Int32(columns), Int32(rows), $0.baseAddress, Int32(columns), Int32(rows), GDT_Float64, Int32(count),
                &bandList, 0, 0, 0)
        }
        #expect(error == CE_None)
        var structure: [String: String] = [:]
        if let list = GDALGetMetadata(dataset, "IMAGE_STRUCTURE") {
            var index = 0
            while let entry = list[index] {
                let pair = String(cString: entry).split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2 { structure[pair[0]] = pair[1] }
                index += 1
            }
        }
        var block: (Int32, Int32) = (0, 0)
        GDALGetBlockSize(GDALGetRasterBand(dataset, 1), &block.0, &block.1)
        let bands = (0..<count).map { Array(values[$0 * rows * columns..<($0 + 1) * rows * columns]) }
        return (bands, structure, block)
    }

    static func bits(_ band: [Double]) -> [UInt64] { band.map(\.bitPattern) }

    @Test(
        "Values survive every compression bit for bit, read by GeoTIFFFile and by GDAL's generic path",
        arguments: [GeoTIFFCompression.none, .deflate, .zstd], [RasterDataType.float64, .int32])
    func roundTrip(compression: GeoTIFFCompression, dataType: RasterDataType) throws {
        let directory = try RasterTestSupport.temporaryDirectory("compression-\(compression)-\(dataType)")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let raster = Self.raster(dataType: dataType)
        let path = directory + "/3/0/0.tif"
        try GeoTIFFFile.write(raster, to: path, crs: "EPSG:4326", compression: compression)

        let ours = try GeoTIFFFile.read(path: path, tile: raster.tile)
        #expect(ours.descriptions == raster.descriptions)
        #expect(ours.dataType == dataType)
        #expect(ours.bands.map(Self.bits) == raster.bands.map(Self.bits))

        let gdal = try Self.gdalReads(path)
        #expect(gdal.bands.map(Self.bits) == raster.bands.map(Self.bits))
        #expect(gdal.structure["PREDICTOR"] == nil, "no predictor: it makes PDG's sparse bands bigger")
        switch compression {
        case .none:
            #expect(gdal.structure["COMPRESSION"] == nil)
            #expect(gdal.structure["INTERLEAVE"] == "PIXEL")
            #expect(gdal.block.0 == 256 && gdal.block.1 < 256, "uncompressed strips, as pdgraster writes")
        case .deflate, .zstd:
            #expect(gdal.structure["COMPRESSION"] == (compression == .zstd ? "ZSTD" : "DEFLATE"))
            #expect(gdal.structure["INTERLEAVE"] == "BAND")
            #expect(gdal.block == (256, 256))
        }
    }

    @Test("Reads ignore sidecar files: the tile is opened as alone in its directory")
    func sidecarsIgnored() throws {
        let directory = try RasterTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let raster = Self.raster(dataType: .float64, size: 16)
        let path = directory + "/0.tif"
        try GeoTIFFFile.write(raster, to: path, crs: "EPSG:4326", compression: .zstd)
        #expect(!FileManager.default.fileExists(atPath: path + ".aux.xml"), "writes leave no PAM sidecar")
        // GTiff's default GEOREF_SOURCES put PAM first: a sidecar's geotransform wins when GDAL looks for sidecars.
        let sidecar = "<PAMDataset><GeoTransform>1000, 1, 0, 2000, 0, -1</GeoTransform></PAMDataset>"
        try Data(sidecar.utf8).write(to: URL(fileURLWithPath: path + ".aux.xml"))

        GDALAllRegister()
        let dataset = try #require(GDALOpenEx(path, UInt32(GDAL_OF_RASTER | GDAL_OF_READONLY), nil, nil, nil))
        var generic = [Double](repeating: 0, count: 6)
        GDALGetGeoTransform(dataset, &generic)
        GDALClose(dataset)
        #expect(generic[0] == 1000, "GDAL's default open applies the sidecar (the premise of this test)")
        let ours = try GeoTIFFFile.read(path: path, tile: raster.tile)
        #expect(ours.grid.bounds.left == raster.grid.bounds.left)
        #expect(ours.grid.bounds.top == raster.grid.bounds.top)
        #expect(ours.grid.bounds.right == raster.grid.bounds.right)
    }

    @Test("Compressed tiles are a fraction of the uncompressed size")
    func sizes() throws {
        let directory = try RasterTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let raster = Self.raster(dataType: .float64)
        var bytes: [GeoTIFFCompression: Int] = [:]
        for compression in [GeoTIFFCompression.none, .deflate, .zstd] {
            let path = directory + "/\(compression).tif"
            try GeoTIFFFile.write(raster, to: path, crs: "EPSG:4326", compression: compression)
            bytes[compression] = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        }
        let uncompressed = try #require(bytes[.none])
        #expect(uncompressed > 2 * 256 * 256 * 8)
        // One pixel in eight carries a random 53-bit fraction: about 1/8 of the coverage band is incompressible.
        #expect(try #require(bytes[.zstd]) < uncompressed / 4)
        #expect(try #require(bytes[.deflate]) < uncompressed / 4)
    }
}
