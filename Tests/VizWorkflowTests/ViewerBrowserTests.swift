import CVizGDAL
import Foundation
import PDGTileViewer
import PDGTiling
import Testing
import VizWorkflowTestSupport

@testable import VizWorkflow

/// The viewer in a real headless browser (Chromium from Debian): the map shows tiles where the sample is,
/// and switching layers changes what is drawn.
@Suite(.serialized) struct ViewerBrowserTests {
    struct Screenshot {
        var width: Int
        var height: Int
        var rgb: [[UInt8]]  // three planes

        func pixel(_ x: Int, _ y: Int) -> (Int, Int, Int) {
            let i = y * width + x
            return (Int(rgb[0][i]), Int(rgb[1][i]), Int(rgb[2][i]))
        }
    }

    static func read(_ path: String) throws -> Screenshot {
        GDALAllRegister()
        guard let dataset = GDALOpen(path, GA_ReadOnly) else { throw CocoaError(.fileReadCorruptFile) }
        defer { GDALClose(dataset) }
        let w = Int(GDALGetRasterXSize(dataset))
        let h = Int(GDALGetRasterYSize(dataset))
        var planes: [[UInt8]] = []
        for band in 1...3 {
            var plane = [UInt8](repeating: 0, count: w * h)
            let rc = plane.withUnsafeMutableBytes {
                GDALRasterIO(GDALGetRasterBand(dataset, Int32(band)), GF_Read, 0, 0, Int32(w), Int32(h), $0.baseAddress, Int32(w), Int32(h), GDT_Byte, 0, 0)
            }
            #expect(rc == CE_None)
            planes.append(plane)
        }
        return Screenshot(width: w, height: h, rgb: planes)
    }

    func screenshot(_ url: String, to path: String) throws {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let browser = try #require(chromium, "Chromium is not installed (scripts/setup.sh installs it)")
        let profile = "\(NSTemporaryDirectory())chromium-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=900,600",
            "--virtual-time-budget=5000", "--user-data-dir=\(profile)",
            "--screenshot=\(path)", url,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    /// Pixels of the central area that are tile colours rather than the page's dark background and grid.
    func colouredPixels(_ shot: Screenshot) -> Int {
        var count = 0
        for y in stride(from: shot.height / 4, to: 3 * shot.height / 4, by: 2) {
            for x in stride(from: shot.width / 4, to: 3 * shot.width / 4, by: 2) {
                let (r, _, b) = shot.pixel(x, y)
                if r > 110 && r > b + 20 { count += 1 }  // palettes run from purple-pink to orange
            }
        }
        return count
    }

    @Test func theMapShowsTilesAtTheSampleAndTheLayerSwitchChangesThem() async throws {
        let e2e = PipelineEndToEndTests()
        let dir = try e2e.makeRun(.threads)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, text) = try await e2e.run(in: dir)
        #expect(status == 0, "\(text)")

        // Resolved against the run's directory, as `viz-workflow serve` run there would.
        let workflow = try WorkflowConfiguration(contentsOf: dir + "/parameters/workflow_config.json").resolvingPaths(against: dir)
        let server = try ServeCommand.makeServer(workflow: workflow)
        let port = try await server.start(host: "127.0.0.1", port: 0)
        defer { Task { await server.stop() } }

        let coverage = dir + "/coverage.png"
        let count = dir + "/count.png"
        try await SampleRun.onThread { try self.screenshot("http://127.0.0.1:\(port)/?layer=iwp_coverage", to: coverage) }
        try await SampleRun.onThread { try self.screenshot("http://127.0.0.1:\(port)/?layer=iwp_count", to: count) }
        let a = try Self.read(coverage)
        let b = try Self.read(count)
        #expect(a.width == 900 && a.height == 600)
        // Tiles are drawn where the sample is (the page opens on the data's extent).
        #expect(colouredPixels(a) > 2000, "coverage layer: \(colouredPixels(a)) coloured pixels")
        // Counts are mostly 1 per pixel, which the count palette draws in a faint translucent purple.
        #expect(colouredPixels(b) > 50, "count layer: \(colouredPixels(b)) coloured pixels")
        // The two layers look different.
        var differing = 0
        for y in stride(from: 150, to: 450, by: 2) {
            for x in stride(from: 250, to: 650, by: 2) where a.pixel(x, y) != b.pixel(x, y) { differing += 1 }
        }
        #expect(differing > 2000, "only \(differing) pixels differ between the layers")
        // Outside the data, nothing but background and graticule.
        let corner = a.pixel(890, 300)
        #expect(corner.0 < 80 && corner.1 < 80 && corner.2 < 90)
    }
}
