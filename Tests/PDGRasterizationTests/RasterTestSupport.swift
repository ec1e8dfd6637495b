import CVizGDAL
import Foundation
import PDGRasterization
import PDGTiling
import Testing

/// Helpers shared by the rasterization tests.
enum RasterTestSupport {
    /// `<package root>/../shared/data/viz-raster-examples/<name>`; fails (not skips) when absent.
    static func golden(_ name: String) throws -> String {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/viz-raster-examples/\(name)").path
        try #require(FileManager.default.fileExists(atPath: path), "golden data missing at \(path): clone shared/ beside the package")
        return path
    }

    /// A fresh temporary directory.
    static func temporaryDirectory(_ name: String = #function) throws -> String {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let path = NSTemporaryDirectory() + "raster-tests-\(safe)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The complete-workflow config with its directories resolved: staged input from the golden folder, outputs
    /// in `output`.
    static func completeWorkflowConfig(output: String) throws -> WorkflowConfiguration {
        let root = try golden("complete-workflow")
        var config = try WorkflowConfiguration(contentsOf: root + "/workflow_config.json").resolvingPaths(against: output)
        config.dirStaged = root + "/staged-vectors"
        return config
    }

    /// Decoded RGBA of a PNG (palette PNGs with tRNS expanded through their colour table), via GDAL.
    static func readPNG(_ path: String) throws -> (width: Int, height: Int, rgba: [UInt8]) {
        GDALAllRegister()
        let dataset = try #require(GDALOpenEx(path, UInt32(GDAL_OF_RASTER | GDAL_OF_READONLY), nil, nil, nil), "cannot open \(path)")
        defer { GDALClose(dataset) }
        let width = Int(GDALGetRasterXSize(dataset))
        let height = Int(GDALGetRasterYSize(dataset))
        let bands = Int(GDALGetRasterCount(dataset))
        var planes: [[UInt8]] = []
        for band in 1...bands {
            var plane = [UInt8](repeating: 0, count: width * height)
            let handle = GDALGetRasterBand(dataset, Int32(band))
            _ = plane.withUnsafeMutableBytes {
                GDALRasterIO(handle, GF_Read, 0, 0, Int32(width), Int32(height), $0.baseAddress, Int32(width), Int32(height), GDT_Byte, 0, 0)
            }
            planes.append(plane)
        }
        var rgba = [UInt8](repeating: 255, count: width * height * 4)
        if bands == 1, let table = GDALGetRasterColorTable(GDALGetRasterBand(dataset, 1)) {
            for pixel in 0..<(width * height) {
                let entry = GDALGetColorEntry(table, Int32(planes[0][pixel]))!.pointee
                rgba[pixel * 4] = UInt8(entry.c1)
                rgba[pixel * 4 + 1] = UInt8(entry.c2)
                rgba[pixel * 4 + 2] = UInt8(entry.c3)
                rgba[pixel * 4 + 3] = UInt8(entry.c4)
            }
        } else {
            for pixel in 0..<(width * height) {
                for channel in 0..<min(bands, 4) { rgba[pixel * 4 + channel] = planes[channel][pixel] }
            }
        }
        return (width, height, rgba)
    }

    /// Every file under `directory` ending with `ext`, as paths relative to it, sorted.
    static func files(under directory: String, ext: String) -> [String] {
        (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(ext) }.sorted()
    }

    /// A closed ring from points.
    static func ring(_ points: [(Double, Double)]) -> [Double] {
        var values: [Double] = []
        for point in points + [points[0]] { values += [point.0, point.1] }
        return values
    }

    /// Shoelace area of a closed interleaved ring (relative to its first point: raw lon/lat products lose
    /// ~1e-4 of a small polygon's area).
    static func area(_ ring: [Double]) -> Double {
        var total = 0.0
        var index = 0
        let x0 = ring[0]
        let y0 = ring[1]
        while index + 3 < ring.count {
            total += (ring[index] - x0) * (ring[index + 3] - y0) - (ring[index + 2] - x0) * (ring[index + 1] - y0)
            index += 2
        }
        return total / 2
    }

    /// Exact reference: area of a polygon clipped to an axis-aligned box (Sutherland–Hodgman; exact in area for any
    /// simple subject polygon against a convex window).
    static func clippedArea(_ ring: [Double], box: BoundingBox) -> Double {
        var points: [(Double, Double)] = []
        var index = 0
        while index + 3 < ring.count {
            points.append((ring[index], ring[index + 1]))
            index += 2
        }
        func clip(_ input: [(Double, Double)], inside: ((Double, Double)) -> Bool, cut: ((Double, Double), (Double, Double)) -> (Double, Double)) -> [(
            Double, Double
        )] {
            guard !input.isEmpty else { return [] }
            var output: [(Double, Double)] = []
            var previous = input[input.count - 1]
            for current in input {
                if inside(current) {
                    if !inside(previous) { output.append(cut(previous, current)) }
                    output.append(current)
                } else if inside(previous) {
                    output.append(cut(previous, current))
                }
                previous = current
            }
            return output
        }
        func atX(_ x: Double) -> ((Double, Double), (Double, Double)) -> (Double, Double) {
            { a, b in (x, a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0)) }
        }
        func atY(_ y: Double) -> ((Double, Double), (Double, Double)) -> (Double, Double) {
            { a, b in (a.0 + (b.0 - a.0) * (y - a.1) / (b.1 - a.1), y) }
        }
        points = clip(points, inside: { $0.0 >= box.left }, cut: atX(box.left))
        points = clip(points, inside: { $0.0 <= box.right }, cut: atX(box.right))
        points = clip(points, inside: { $0.1 >= box.bottom }, cut: atY(box.bottom))
        points = clip(points, inside: { $0.1 <= box.top }, cut: atY(box.top))
        guard points.count >= 3 else { return 0 }
        return abs(area(RasterTestSupport.ring(points)))
    }
}
