import CVizZstd

/// zstd compression of task inputs and outputs above a size threshold.
enum PayloadCompression {
    static func compress(_ bytes: [UInt8], level: Int32) -> [UInt8]? {
        let bound = ZSTD_compressBound(bytes.count)
        var failed = false
        // Uninitialised: zero-filling a buffer that zstd overwrites costs as much as a copy.
        let out = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            let written = bytes.withUnsafeBytes { src in ZSTD_compress(buffer.baseAddress, bound, src.baseAddress, src.count, level) }
            failed = ZSTD_isError(written) != 0
            count = failed ? 0 : written
        }
        return failed ? nil : out
    }

    /// Decompresses a payload whose uncompressed size the sender stated; refuses more than `limit` bytes so
    /// that a hostile frame cannot make us allocate without bound.
    static func decompress(_ bytes: some Collection<UInt8>, originalSize: Int, limit: Int) throws(WireProtocolError) -> [UInt8] {
        guard originalSize <= limit else {
            throw WireProtocolError(.frameTooLarge, "compressed payload claims \(originalSize) bytes, more than the \(limit) allowed")
        }
        var written = 0
        let out = [UInt8](unsafeUninitializedCapacity: originalSize) { buffer, count in
            written =
                bytes.withContiguousStorageIfAvailable { src in
                    ZSTD_decompress(buffer.baseAddress, originalSize, src.baseAddress, src.count)
                } ?? Array(bytes).withUnsafeBytes { src in ZSTD_decompress(buffer.baseAddress, originalSize, src.baseAddress, src.count) }
            count = ZSTD_isError(written) == 0 ? written : 0
        }
        guard ZSTD_isError(written) == 0 else {
            throw WireProtocolError(.malformedFrame, "bad zstd payload: \(String(cString: ZSTD_getErrorName(written)))")
        }
        guard written == originalSize else {
            throw WireProtocolError(.malformedFrame, "zstd payload is \(written) bytes, but \(originalSize) were announced")
        }
        return out
    }
}
