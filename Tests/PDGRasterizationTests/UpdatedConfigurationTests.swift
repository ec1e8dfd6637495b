import Foundation
import PDGRasterization
import PDGTiling
import Testing

/// `filename_config`'s `__updated` file, as PDG's `update_ranges` writes it.
@Suite("Updated configuration (update_ranges)")
struct UpdatedConfigurationTests {
    @Test("Minimal example: the per-zoom ranges stored match the shipped config__updated.json")
    func matchesTheShippedUpdatedConfig() async throws {
        let root = try RasterTestSupport.golden("minimal-example")
        let output = try RasterTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let shipped = try WorkflowConfiguration(contentsOf: root + "/config__updated.json")
        var config = shipped.resolvingPaths(against: output)
        config.dirStaged = root + "/staged"
        // Start from the config as the user wrote it: no z_config yet.
        for index in config.statistics.indices { config.statistics[index].zConfig = nil }
        let report = try await RasterizationRunner(workflow: config).rasterize()
        #expect(report.failures.isEmpty)
        let ranges = (config.minZoom...config.maxZoom).map { RasterPipeline.computeRanges(config: config, zoom: $0, summaries: report.summaries) }
        let path = try UpdatedConfiguration.write(ranges, config: config)
        #expect(path == output + "/config__updated.json")
        let written = try WorkflowConfiguration(contentsOf: path)
        // coverage's range [0, 1] is complete: nothing stored, as in the shipped file.
        #expect(written.statistics[1].zConfig == nil)
        guard case .object(let ours)? = written.statistics[0].zConfig, case .object(let theirs)? = shipped.statistics[0].zConfig else {
            Issue.record("polygon_count has no z_config")
            return
        }
        #expect(ours.keys.sorted() == theirs.keys.sorted())
        for (zoom, level) in theirs {
            guard case .object(let expected) = level, case .array(let pair)? = expected["val_range"], case .object(let actual)? = ours[zoom],
                case .array(let got)? = actual["val_range"], case .number(let high) = pair[1], case .number(let ourHigh) = got[1]
            else {
                Issue.record("zoom \(zoom): unexpected shape \(String(describing: ours[zoom]))")
                continue
            }
            #expect(pair[0] == .null && got[0] == .null, "zoom \(zoom): the configured min 0 is not stored")
            #expect(abs(high - ourHigh) <= 1e-6 * max(1, abs(high)), "zoom \(zoom): \(ourHigh) vs \(high)")
        }
        // Read back, the stored ranges are the configured ones: a later run keeps its colours.
        let again = ValueRange.configured(for: written.statistics[0], zoom: 13)
        #expect(again.min == 0 && again.max == ranges.last?.ranges["polygon_count"]?.max)
    }
}
