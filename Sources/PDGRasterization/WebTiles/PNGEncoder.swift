import CVizZlib
import Foundation

/// A minimal PNG encoder for 8-bit RGBA images (filter type 0 per row, zlib via libz).
///
/// Measured against GDAL's PNG driver (MEM dataset + CreateCopy) it avoids creating two datasets per image; the
/// compression level is configurable (6 = libpng's default, what PIL writes).
public enum PNGEncoder {
    /// Encodes `width × height` RGBA pixels (row 0 = top).
    public static func encode(rgba: [UInt8], width: Int, height: Int, level: Int32 = 6) throws(RasterizationError) -> Data {
        precondition(rgba.count == width * height * 4)
        let stride = width * 4
        var raw = [UInt8](repeating: 0, count: (stride + 1) * height)
        rgba.withUnsafeBufferPointer { source in
            raw.withUnsafeMutableBufferPointer { target in
                for row in 0..<height {
                    target[row * (stride + 1)] = 0
                    let destination = target.baseAddress! + row * (stride + 1) + 1
                    destination.update(from: source.baseAddress! + row * stride, count: stride)
                }
            }
        }
        var compressedLength = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        let status = compress2(&compressed, &compressedLength, raw, uLong(raw.count), level)
        guard status == Z_OK else { throw RasterizationError(.writeFailed, "zlib compress2 failed with status \(status)") }
        compressed.removeSubrange(Int(compressedLength)...)

        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = Data()
        header.append(bigEndian: UInt32(width))
        header.append(bigEndian: UInt32(height))
        header.append(contentsOf: [8, 6, 0, 0, 0])  // 8 bits, RGBA, deflate, filter method 0, no interlace
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", Data(compressed), to: &png)
        appendChunk("IEND", Data(), to: &png)
        return png
    }

    private static func appendChunk(_ type: String, _ body: Data, to png: inout Data) {
        png.append(bigEndian: UInt32(body.count))
        var chunk = Data(type.utf8)
        chunk.append(body)
        png.append(chunk)
        let crc = chunk.withUnsafeBytes { bytes in
            crc32(0, bytes.bindMemory(to: Bytef.self).baseAddress, uInt(bytes.count))
        }
        png.append(bigEndian: UInt32(crc))
    }
}

extension Data {
    fileprivate mutating func append(bigEndian value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)])
    }
}
