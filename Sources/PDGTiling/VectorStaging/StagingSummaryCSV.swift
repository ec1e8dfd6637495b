import Foundation

/// The staging summary CSV (`filename_staging_summary`, spec §5.7): one row per (input, tile) of the written
/// tiles, with PDG's columns and float formatting (shortest round-trip digits, like Python's `repr`).
///
/// PDG appends a group of rows after every tile write, re-emitting earlier files' rows after each dedup merge;
/// here the file is written once per run, atomically, with exactly one row per (input, tile).
public enum StagingSummaryCSV {
    /// The header line (without newline).
    public static let header =
        "filename,num_polygons,area_polygons,datetime,tile_x,tile_y,tile_z,tile_top,tile_right,tile_bottom,tile_left,tms_identifier"

    /// The CSV text for merge results (tiles ascending, files by name).
    public static func text(
        for merges: [TileMergeSummary],
        tileMatrixSet: TileMatrixSet,
        date: Date = Date()
    ) throws(TilingError) -> String {
        var lines = [header]
        let timestamp = format(date)
        for merge in merges.sorted(by: { $0.tile < $1.tile }) {
            let bounds = try tileMatrixSet.bounds(of: merge.tile)
            for file in merge.files {
                let fields: [String] = [
                    quoted(file.filename), String(file.rows), "\(file.area)", timestamp,
                    String(merge.tile.x), String(merge.tile.y), String(merge.tile.z),
                    "\(bounds.top)", "\(bounds.right)", "\(bounds.bottom)", "\(bounds.left)",
                    quoted(tileMatrixSet.identifier),
                ]
                lines.append(fields.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the CSV atomically.
    public static func write(
        _ merges: [TileMergeSummary],
        tileMatrixSet: TileMatrixSet,
        to path: String
    ) throws(TilingError) {
        let text = try text(for: merges, tileMatrixSet: tileMatrixSet)
        try AtomicFile.write(Data(text.utf8), to: path)
    }

    /// Local time as `YYYY-MM-DD HH:MM:SS.ffffff` (pandas' `str(datetime.now())`).
    static func format(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        let micro = Int(((seconds - Double(whole)) * 1_000_000).rounded(.down))
        var parts = tm()
        localtime_r(&whole, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let microText = String(micro)
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
            + String(repeating: "0", count: max(0, 6 - microText.count)) + microText
    }

    /// CSV quoting as pandas does it (only when needed).
    static func quoted(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
