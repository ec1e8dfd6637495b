import DataflowStorage
import Foundation

/// Writes whole files so that readers never see a partial one, with ``FilePublisher``: a temporary file and
/// `rename(2)` on POSIX, one create-write-close on a bucket (object storage). A file that already holds
/// exactly these bytes is left as it is.
public enum AtomicFile {
    /// Writes `data` as the whole content of `path`, creating its directory; an identical file is kept.
    public static func write(_ data: Data, to path: String) throws(TilingError) {
        do {
            try FilePublisher().write(data, to: path)
        } catch {
            throw TilingError(.writeFailed, error.message)
        }
    }

}
