import CVizGDAL
import CVizImageShims
import CVizWebP
import Foundation
import PDGTiling

/// The image format of web tiles, as `ext_web_tiles` says: PNG (our encoder), JPEG (libjpeg-turbo) or WebP
/// (libwebp). Any other extension is refused when the config is read, so a file never holds one format under
/// another's name.
public enum WebTileFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case png, jpeg, webp

    /// The format of an extension (`.png`, `.jpg`/`.jpeg`, `.webp`, any case).
    public init(extension ext: String) throws(RasterizationError) {
        switch ext.lowercased() {
        case ".png": self = .png
        case ".jpg", ".jpeg": self = .jpeg
        case ".webp": self = .webp
        default:
            throw RasterizationError(.invalidConfiguration, "ext_web_tiles \"\(ext)\" is not a web tile format: use .png, .jpg, .jpeg or .webp")
        }
    }

    /// JPEG quality (PIL's default, what pdgraster gets for `.jpg`).
    static let jpegQuality: Int32 = 75

    /// Encodes `width × height` RGBA pixels (row 0 = top).
    ///
    /// JPEG has no alpha: pixels are composited over white, so transparent nodata becomes white (PIL refuses RGBA
    /// as JPEG outright). WebP is lossless, alpha included, so its colours are exactly the palette's.
    public func encode(rgba: [UInt8], width: Int, height: Int, pngLevel: Int32 = 6) throws(RasterizationError) -> Data {
        precondition(rgba.count == width * height * 4)
        switch self {
        case .png:
            return try PNGEncoder.encode(rgba: rgba, width: width, height: height, level: pngLevel)
        case .jpeg:
            var rgb = [UInt8](repeating: 0, count: width * height * 3)
            for pixel in 0..<(width * height) {
                let alpha = UInt32(rgba[4 * pixel + 3])
                for channel in 0..<3 {
                    let value = UInt32(rgba[4 * pixel + channel])
                    rgb[3 * pixel + channel] = UInt8((value * alpha + 255 * (255 - alpha) + 127) / 255)
                }
            }
            var output: UnsafeMutablePointer<UInt8>?
            var size = 0
            var message = [CChar](repeating: 0, count: 256)
            let status = viz_jpeg_encode_rgb(rgb, Int32(width), Int32(height), Self.jpegQuality, &output, &size, &message, message.count)
            guard status == 0, let output else {
                let reason = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                throw RasterizationError(.writeFailed, "libjpeg: \(reason)")
            }
            defer { viz_jpeg_free(output) }
            return Data(bytes: output, count: size)
        case .webp:
            return try Self.encodeLosslessWebP(rgba: rgba, width: width, height: height)
        }
    }
}

extension WebTileFormat {
    /// Lossless WebP with `exact`: the RGB under transparent pixels is kept too, so every pixel is the PNG's.
    fileprivate static func encodeLosslessWebP(rgba: [UInt8], width: Int, height: Int) throws(RasterizationError) -> Data {
        var config = WebPConfig()
        var picture = WebPPicture()
        guard WebPConfigInit(&config) != 0, WebPPictureInit(&picture) != 0 else {
            throw RasterizationError(.writeFailed, "libwebp: version mismatch")
        }
        config.lossless = 1
        config.exact = 1
        config.method = 4
        picture.use_argb = 1
        picture.width = Int32(width)
        picture.height = Int32(height)
        defer { WebPPictureFree(&picture) }
        guard WebPPictureImportRGBA(&picture, rgba, Int32(width * 4)) != 0 else {
            throw RasterizationError(.writeFailed, "libwebp could not import a \(width)×\(height) picture")
        }
        var writer = WebPMemoryWriter()
        WebPMemoryWriterInit(&writer)
        defer { WebPMemoryWriterClear(&writer) }
        let encoded = withUnsafeMutablePointer(to: &writer) { pointer in
            picture.writer = WebPMemoryWrite
            picture.custom_ptr = UnsafeMutableRawPointer(pointer)
            return WebPEncode(&config, &picture)
        }
        guard encoded != 0, let bytes = writer.mem else {
            throw RasterizationError(.writeFailed, "libwebp could not encode a \(width)×\(height) tile (error \(picture.error_code.rawValue))")
        }
        return Data(bytes: bytes, count: writer.size)
    }
}

/// Checks on web tiles already on disk (for `overwrite: false`).
enum WebTileImage {
    /// Whether `path` is an image GDAL opens (its header, not every pixel) of `width × height`.
    static func isValid(path: String, width: Int, height: Int) -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        GDALAllRegister()
        guard let dataset = GDALOpenEx(path, UInt32(GDAL_OF_RASTER | GDAL_OF_READONLY), nil, nil, nil) else { return false }
        defer { GDALClose(dataset) }
        return Int(GDALGetRasterXSize(dataset)) == width && Int(GDALGetRasterYSize(dataset)) == height
    }
}
