import PDGTiling

/// Builds a parent tile's bands from its (up to four) children by exact 2 × 2 aggregation.
///
/// pdgraster mosaics the children and reprojects the mosaic with GDAL; because morecantile's parent and child
/// grids differ by ~1e-13°, GDAL weights the source pixels by overlaps like 0.99999999 and the Python output carries
/// ~1e-9 noise (counts like 6200.99999997). Here the grids are treated as nested, so sums of counts stay integral.
/// Missing children count as zeros, as in the original.
enum ParentComposer {
    /// - Parameters:
    ///   - children: child rasters by quadrant order NW, NE, SW, SE (nil = missing).
    static func compose(
        tile: TileIndex, grid: PixelGrid, children: [RasterTile?], methods: [ResamplingMethod]
    ) throws(RasterizationError) -> RasterTile {
        guard let first = children.compactMap({ $0 }).first else {
            throw RasterizationError(.missingChildren, "\(tile): no child GeoTIFF exists")
        }
        let rows = grid.rows
        let columns = grid.columns
        guard rows % 2 == 0, columns % 2 == 0 else {
            throw RasterizationError(.invalidConfiguration, "\(tile): tile_size must be even to build parents by 2 × 2 aggregation")
        }
        for child in children.compactMap({ $0 }) where child.grid.rows != rows || child.grid.columns != columns || child.bands.count != first.bands.count {
            throw RasterizationError(
                .rasterUnreadable,
                "\(child.tile): size or band count differs from its siblings (\(child.grid.rows)×\(child.grid.columns), \(child.bands.count) bands)")
        }
        let halfRows = rows / 2
        let halfColumns = columns / 2
        var bands: [[Double]] = []
        for bandIndex in 0..<first.bands.count {
            let method = methods.isEmpty ? .nearest : methods[min(bandIndex, methods.count - 1)]
            var output = [Double](repeating: 0, count: rows * columns)
            for (quadrant, child) in children.enumerated() {
                let rowOffset = quadrant >= 2 ? halfRows : 0
                let columnOffset = quadrant % 2 == 1 ? halfColumns : 0
                // A missing child is all zeros; only methods where four zeros do not give zero need the pass.
                let zeros = [Double](repeating: 0, count: child == nil ? 4 : 0)
                child?.bands[bandIndex].withUnsafeBufferPointer { source in
                    output.withUnsafeMutableBufferPointer { target in
                        for row in 0..<halfRows {
                            let top = 2 * row * columns
                            let bottom = top + columns
                            let out = (row + rowOffset) * columns + columnOffset
                            for column in 0..<halfColumns {
                                let c = 2 * column
                                target[out + column] = method.combine(source[top + c], source[top + c + 1], source[bottom + c], source[bottom + c + 1])
                            }
                        }
                    }
                }
                if child == nil {
                    let value = method.combine(zeros[0], zeros[1], zeros[2], zeros[3])
                    if value != 0 {
                        for row in 0..<halfRows {
                            for column in 0..<halfColumns { output[(row + rowOffset) * columns + columnOffset + column] = value }
                        }
                    }
                }
            }
            bands.append(output)
        }
        return RasterTile(tile: tile, grid: grid, bands: bands, descriptions: first.descriptions, dataType: first.dataType)
    }
}
