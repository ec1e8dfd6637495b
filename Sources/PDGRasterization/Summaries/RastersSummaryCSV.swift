import Foundation
import PDGTiling

/// `filename_rasters_summary`: one row per band each time a GeoTIFF is written or read for web tiles (spec §11.1),
/// appended; the header is written when the file is created.
public enum RastersSummaryCSV {
    /// The header.
    public static let header = "stat,bounds,min,max,mean,median,std,var,sum,path,tile,z\n"

    /// The rows of one summary.
    public static func rows(for summary: RasterTileSummary) -> String {
        let b = summary.bounds
        let bounds = "[\(CSVFormat.number(b.left)), \(CSVFormat.number(b.right)), \(CSVFormat.number(b.bottom)), \(CSVFormat.number(b.top))]"
        return summary.bands.map { band in
            CSVFormat.row([
                band.stat, bounds, CSVFormat.number(band.min), CSVFormat.number(band.max), CSVFormat.number(band.mean),
                CSVFormat.number(band.median), CSVFormat.number(band.std), CSVFormat.number(band.var), CSVFormat.number(band.sum),
                summary.geotiffPath, summary.tile.pdgDescription, String(summary.tile.z),
            ])
        }.joined()
    }

    /// Writes `path` once, whole: the header and the rows of `summaries` (one create-write-close on a bucket).
    public static func write(_ summaries: [RasterTileSummary], to path: String) throws(RasterizationError) {
        try AtomicWrite.write(Data((header + summaries.map(rows(for:)).joined()).utf8), to: path)
    }

    /// Appends the rows of `summaries` to `path` (creating it with a header).
    public static func append(_ summaries: [RasterTileSummary], to path: String) throws(RasterizationError) {
        try CSVAppender.append(summaries.map(rows(for:)).joined(), header: header, to: path)
    }
}
