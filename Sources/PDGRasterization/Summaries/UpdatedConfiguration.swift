import Foundation
import PDGTiling

/// PDG's `update_ranges` output: the configuration with the value ranges each zoom level actually used, written
/// to `<filename_config stem>__updated<ext>` (two underscores, as PDG names it), so that a later run over more
/// data can reuse them and keep its colours stable.
///
/// For every statistic and level whose configured range (`z_config["<z>"].val_range`, else `val_range`) leaves an
/// end null, the end used is stored in `z_config["<z>"].val_range`; configured ends stay as written (a stored
/// `null` falls back to `val_range`, as PDG reads it).
public enum UpdatedConfiguration {
    /// Where the updated configuration goes: `config.json` → `config__updated.json`, beside `filename_config`.
    public static func path(for config: WorkflowConfiguration) -> String {
        let file = config.filenameConfig as NSString
        let ext = file.pathExtension
        let stem = file.deletingPathExtension
        return stem + "__updated" + (ext.isEmpty ? "" : "." + ext)
    }

    /// The configuration with `ranges` stored per zoom level.
    public static func applying(_ ranges: [ZoomValueRanges], to config: WorkflowConfiguration) -> WorkflowConfiguration {
        var updated = config
        for (index, statistic) in config.statistics.enumerated() {
            var levels: [String: JSONValue] = [:]
            if case .object(let existing)? = statistic.zConfig { levels = existing }
            for level in ranges.sorted(by: { $0.zoom < $1.zoom }) {
                guard let used = level.ranges[statistic.name] else { continue }
                let configured = ValueRange.configured(for: statistic, zoom: level.zoom)
                guard configured.min == nil || configured.max == nil else { continue }
                let key = String(level.zoom)
                var entry: [String: JSONValue] = [:]
                var pair: [JSONValue] = [.null, .null]
                if case .object(let existing)? = levels[key] {
                    entry = existing
                    if case .array(let written)? = existing["val_range"], written.count == 2 { pair = written }
                }
                if configured.min == nil, let low = used.min, low.isFinite { pair[0] = .number(low) }
                if configured.max == nil, let high = used.max, high.isFinite { pair[1] = .number(high) }
                entry["val_range"] = .array(pair)
                levels[key] = .object(entry)
            }
            updated.statistics[index].zConfig = levels.isEmpty ? statistic.zConfig : .object(levels)
        }
        return updated
    }

    /// Writes ``applying(_:to:)`` to ``path(for:)``; returns the path.
    @discardableResult
    public static func write(_ ranges: [ZoomValueRanges], config: WorkflowConfiguration) throws(RasterizationError) -> String {
        let path = path(for: config)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(applying(ranges, to: config))
        } catch {
            throw RasterizationError(.writeFailed, "\(path): cannot encode the updated configuration: \(error)")
        }
        try AtomicWrite.write(data, to: path)
        return path
    }
}
