import ArgumentParser
import CVizGDAL
import Foundation

/// `tiling-bench generate`: writes synthetic ice-wedge-like polygon shapefiles (EPSG:3413, attributes like the
/// PDG example) with GDAL, plus a `config.json` staging them to WorldCRS84Quad z13.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Write synthetic input shapefiles.")

    @Option(help: "Output directory (inputs go to <output>/input).")
    var output: String

    @Option(help: "Number of input files (scenes).")
    var files: Int = 2

    @Option(help: "Polygons per file.")
    var polygonsPerFile: Int = 50_000

    @Option(help: "Vertices per polygon ring (closing point excluded).")
    var vertices: Int = 8

    @Option(help: "Scene side length in metres (polygon density = polygons / side²).")
    var sceneSize: Double = 10_000

    func run() throws {
        GDALAllRegister()
        let inputDirectory = output + "/input"
        try FileManager.default.createDirectory(atPath: inputDirectory, withIntermediateDirectories: true)
        guard let driver = GDALGetDriverByName("ESRI Shapefile") else { throw ValidationError("no shapefile driver") }
        let srs = OSRNewSpatialReference(nil)
        OSRImportFromEPSG(srs, 3413)
        defer { OSRRelease(srs) }
        var generator = SplitMix64(seed: 42)
        for file in 0..<files {
            let path = inputDirectory + "/scene_\(String(format: "%04d", file)).shp"
            guard let dataset = GDALCreate(driver, path, 0, 0, 0, GDT_Unknown, nil) else {
                throw ValidationError("cannot create \(path)")
            }
            let layer = GDALDatasetCreateLayer(dataset, "scene", srs, wkbPolygon, nil)
            for name in ["Class", "Sensor", "Date", "Time", "Image"] {
                let field = OGR_Fld_Create(name, OFTString)
                OGR_Fld_SetWidth(field, name == "Image" ? 88 : 80)
                _ = OGR_L_CreateField(layer, field, 1)
                OGR_Fld_Destroy(field)
            }
            for name in ["Area", "CentroidX", "CentroidY", "Perimeter", "Length", "Width"] {
                let field = OGR_Fld_Create(name, OFTReal)
                OGR_Fld_SetWidth(field, 24)
                OGR_Fld_SetPrecision(field, 15)
                _ = OGR_L_CreateField(layer, field, 1)
                OGR_Fld_Destroy(field)
            }
            let definition = OGR_L_GetLayerDefn(layer)
            // Scenes along a row near the golden example (EPSG:3413 around -2122000, 522000), overlapping by 20 %.
            let originX = -2_140_000 + Double(file) * sceneSize * 0.8
            let originY = 510_000.0
            let date = "2019\(String(format: "%02d", 6 + file % 4))\(String(format: "%02d", 1 + file % 28))"
            var ring = [Double](repeating: 0, count: (vertices + 1) * 2)
            for _ in 0..<polygonsPerFile {
                let cx = originX + generator.nextDouble() * sceneSize
                let cy = originY + generator.nextDouble() * sceneSize
                let radius = 3 + generator.nextDouble() * 5
                for vertex in 0..<vertices {
                    // Clockwise, as shapefile outer rings are.
                    let angle = -2 * Double.pi * Double(vertex) / Double(vertices)
                    let r = radius * (0.8 + 0.4 * generator.nextDouble())
                    ring[2 * vertex] = cx + r * cos(angle)
                    ring[2 * vertex + 1] = cy + r * sin(angle)
                }
                ring[2 * vertices] = ring[0]
                ring[2 * vertices + 1] = ring[1]
                let feature = OGR_F_Create(definition)
                OGR_F_SetFieldString(feature, 0, "\(1 + Int(generator.next() % 3))")
                OGR_F_SetFieldString(feature, 1, "WV02")
                OGR_F_SetFieldString(feature, 2, date)
                OGR_F_SetFieldString(feature, 3, "224124")
                OGR_F_SetFieldString(feature, 4, "WV02_\(date)224124_1030010096B66500_\(file)-M1BS-P001_u16rf3413_pansh")
                OGR_F_SetFieldDouble(feature, 5, Double.pi * radius * radius)
                OGR_F_SetFieldDouble(feature, 6, cx)
                OGR_F_SetFieldDouble(feature, 7, cy)
                OGR_F_SetFieldDouble(feature, 8, 2 * Double.pi * radius)
                OGR_F_SetFieldDouble(feature, 9, 2 * radius)
                OGR_F_SetFieldDouble(feature, 10, 1.6 * radius)
                let polygon = OGR_G_CreateGeometry(wkbPolygon)
                let linearRing = OGR_G_CreateGeometry(wkbLinearRing)
                ring.withUnsafeMutableBytes { bytes in
                    OGR_G_SetPoints(linearRing, Int32(vertices + 1), bytes.baseAddress, 16, bytes.baseAddress! + 8, 16, nil, 0)
                }
                OGR_G_AddGeometryDirectly(polygon, linearRing)
                OGR_F_SetGeometryDirectly(feature, polygon)
                _ = OGR_L_CreateFeature(layer, feature)
                OGR_F_Destroy(feature)
            }
            GDALClose(dataset)
        }
        let config: [String: Any] = [
            "dir_input": inputDirectory, "ext_input": ".shp", "dir_staged": output + "/staged",
            "filename_staging_summary": output + "/staging_summary.csv", "tms_id": "WorldCRS84Quad",
            "z_range": [0, 13], "simplify_tolerance": 0.1,
        ]
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: output + "/config.json"))
        print("{\"files\": \(files), \"polygons\": \(files * polygonsPerFile), \"config\": \"\(output)/config.json\"}")
    }
}

/// A small deterministic random generator (SplitMix64), so that generated inputs are identical between runs.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
