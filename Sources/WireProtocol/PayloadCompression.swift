import CZstd

/// zstd compression of task inputs and outputs above a size threshold.
enum PayloadCompression {
    static func compress(_ bytes: [UInt8], level: Int32) -> [UInt8]? {
        let bound = ZSTD_compressBound(bytes.count)
        var out = [UInt8](repeating: 0, count: bound)
        let written = bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                ZSTD_compress(dst.baseAddress, bound, src.baseAddress, src.count, level)
            }
        }
        guard ZSTD_isError(written) == 0 else { return nil }
        out.removeSubrange(written...)
        return out
    }

    /// Decompresses a payload whose uncompressed size the sender stated; refuses more than `limit` bytes so
    /// that a hostile frame cannot make us allocate without bound.
    static func decompress(_ bytes: some Collection<UInt8>, originalSize: Int, limit: Int) throws(WireProtocolError) -> [UInt8] {
        guard originalSize <= limit else {
            throw WireProtocolError(.frameTooLarge, "compressed payload claims \(originalSize) bytes, more than the \(limit) allowed")
        }
        var out = [UInt8](repeating: 0, count: originalSize)
        let source = Array(bytes)
        let written = source.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                ZSTD_decompress(dst.baseAddress, originalSize, src.baseAddress, src.count)
            }
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
