import Foundation
import PDGTiling

/// Whole-file writes through Tiling's ``AtomicFile`` (rename on POSIX, one create-write-close on a bucket), so readers never
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
