import CVizGDAL
import Foundation

/// Process-wide GDAL set-up: drivers registered once, errors collected (not printed), SQLite tuned for GPKG writes.
enum GDALLibrary {
    /// Call before any other GDAL use; cheap after the first call.
    static func ensureInitialized() {
        _ = initialized
    }

    // A `static let` initializer runs exactly once, thread-safely: the Swift equivalent of `std::call_once`.
    private static let initialized: Bool = {
        // Errors are read back with CPLGetLastErrorMsg (thread-local) and reported as TilingError; GDAL must not
        // print them to stderr in the middle of a report.
        CPLSetErrorHandler(CPLQuietErrorHandler)
        // Staged tiles are written to a temporary name and renamed; durability comes from the rename, so SQLite's
        // per-transaction fsync buys nothing.
        CPLSetConfigOption("OGR_SQLITE_SYNCHRONOUS", "OFF")
        GDALAllRegister()
        return true
    }()

    /// The last GDAL error message of this thread, or a fallback.
    static func lastErrorMessage(or fallback: String = "unknown GDAL error") -> String {
        guard let message = CPLGetLastErrorMsg() else { return fallback }
        let text = String(cString: message)
        return text.isEmpty ? fallback : text
    }

    /// Clears this thread's last GDAL error.
    static func resetError() {
        CPLErrorReset()
    }
}
