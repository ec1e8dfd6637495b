import Foundation

/// Turns one band into RGBA pixels with a palette (spec §10): clamp to [min, max], index =
/// trunc((v − min) · (255 / (max − min))), nodata pixels (value == `nodata_val`) get the nodata colour.
///
/// Differences from pdgraster, on purpose: `max == min` (e.g. an all-zero tile) renders every non-nodata pixel with
/// the first colour instead of raising, and NaN pixels get the nodata colour instead of failing the tile.
enum WebTileRenderer {
    static func render(band: [Double], palette: Palette, range: (min: Double, max: Double), nodata: Double?) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: band.count * 4)
        let low = range.min
        let high = range.max
        let scale = high > low ? 255 / (high - low) : 0
        palette.rgba.withUnsafeBufferPointer { table in
            output.withUnsafeMutableBufferPointer { target in
                band.withUnsafeBufferPointer { values in
                    let colors = UnsafeRawPointer(table.baseAddress!).assumingMemoryBound(to: UInt32.self)
                    let pixels = UnsafeMutableRawPointer(target.baseAddress!).assumingMemoryBound(to: UInt32.self)
                    for index in 0..<values.count {
                        let value = values[index]
                        var slot: Int
                        if let nodata, value == nodata {
                            slot = 256
                        } else if value.isNaN {
                            slot = 256
                        } else {
                            let clamped = value < low ? low : (value > high ? high : value)
                            slot = Int((clamped - low) * scale)
                            if slot > 255 { slot = 255 }
                            if slot < 0 { slot = 0 }
                        }
                        pixels[index] = colors[slot]
                    }
                }
            }
        }
        return output
    }
}
