import Foundation
import PDGTiling

/// `filename_rasterization_events`: one row per GeoTIFF written, per GeoTIFF turned into web tiles, and per error
/// (spec §11.2), with the timing columns pdgraster leaves as placeholders filled in: `id` (a UUID), `type` (the
/// step), `start_time` and `end_time` (Unix seconds), `total_time` (wall seconds), `raster_summary` (JSON of the
/// band statistics).
public enum RasterizationEventsCSV {
    /// The header.
    public static let header = "id,type,start_time,total_time,end_time,error,path,raster_summary,tile,z\n"

    /// The row of a successful unit of work.
    public static func row(for summary: RasterTileSummary) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let bands = (try? encoder.encode(summary.bands)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return CSVFormat.row([
            UUID().uuidString, summary.step.rawValue, CSVFormat.number(summary.startTime), CSVFormat.number(summary.totalTime),
            CSVFormat.number(summary.endTime), "", summary.geotiffPath, bands, summary.tile.pdgDescription, String(summary.tile.z),
        ])
    }

    /// The row of a failure.
    public static func row(for failure: RasterTileFailure) -> String {
        CSVFormat.row([
            UUID().uuidString, failure.step.rawValue, CSVFormat.number(failure.startTime),
            CSVFormat.number(failure.endTime - failure.startTime), CSVFormat.number(failure.endTime), failure.message, failure.path, "",
            failure.tile?.pdgDescription ?? "", failure.tile.map { String($0.z) } ?? "",
        ])
    }

    /// Writes `path` once, whole: the header and every event (one create-write-close on a bucket).
    public static func write(summaries: [RasterTileSummary], failures: [RasterTileFailure], to path: String) throws(RasterizationError) {
        try AtomicWrite.write(Data((header + summaries.map(row(for:)).joined() + failures.map(row(for:)).joined()).utf8), to: path)
    }

    /// Appends events to `path` (creating it with a header).
    public static func append(summaries: [RasterTileSummary], failures: [RasterTileFailure], to path: String) throws(RasterizationError) {
        try CSVAppender.append(summaries.map(row(for:)).joined() + failures.map(row(for:)).joined(), header: header, to: path)
    }
}
