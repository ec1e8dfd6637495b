import Foundation
import PDGTiling

/// Whole-file writes through a temporary file and `rename(2)` (Tiling's ``AtomicFile``), so readers never
/// see a partial PNG or CSV; failures become ``RasterizationError``s naming the file.
enum AtomicWrite {
    static func write(_ data: Data, to path: String) throws(RasterizationError) {
        do {
            try AtomicFile.write(data, to: path)
        } catch {
            throw RasterizationError(.writeFailed, error.message)
        }
    }
}
