import Foundation
import PDGTiling

/// The raster steps of the PDG workflow as independent, schedulable units of work.
///
/// Every function takes Codable & Sendable inputs (the config and a tile), opens its own files, writes its outputs
/// atomically and returns a Codable summary, so a runtime can run them as tasks in any order that respects the
/// zoom dependencies: all `rasterizeTile` of `max_z`, then `makeParent` level by level down to `min_z`, then
/// `computeRanges` per level and `renderWebTile` for every GeoTIFF.
///
/// ```swift
/// let config = try WorkflowConfiguration(contentsOf: "config.json")
/// let summary = try RasterPipeline.rasterizeTile(config: config, tile: TileIndex(x: 1418, y: 908, z: 13))
/// ```
public enum RasterPipeline {
    // MARK: Paths

    /// Where GeoTIFFs live: `dir_geotiff/<tms>/<z>/<x>/<y>.tif` (config's `tile_path_structure`).
    public static func geotiffLayout(_ config: WorkflowConfiguration) throws(RasterizationError) -> TilePathLayout {
        try wrap { () throws(TilingError) in
            try TilePathLayout(
                structure: config.tilePathStructure, tmsIdentifier: try config.tileMatrixSet().identifier, baseDirectory: config.dirGeotiff,
                fileExtension: ".tif")
        }
    }

    /// Where web tiles live: `dir_web_tiles/<stat>/<tms>/<z>/<x>/<y><ext_web_tiles>`.
    public static func webTileLayout(_ config: WorkflowConfiguration) throws(RasterizationError) -> TilePathLayout {
        try wrap { () throws(TilingError) in
            try TilePathLayout(
                structure: config.tilePathStructure, tmsIdentifier: try config.tileMatrixSet().identifier, baseDirectory: config.dirWebTiles,
                fileExtension: config.extWebTiles)
        }
    }

    /// The config's tile matrix set (`tms_id`).
    public static func tileMatrixSet(_ config: WorkflowConfiguration) throws(RasterizationError) -> TileMatrixSet {
        try wrap { () throws(TilingError) in try config.tileMatrixSet() }
    }

    /// The pixel grid of a tile (`tile_size` over the tile's exact bounds).
    public static func grid(_ config: WorkflowConfiguration, _ tile: TileIndex) throws(RasterizationError) -> PixelGrid {
        let bounds = try wrap { () throws(TilingError) in try config.tileMatrixSet().bounds(of: tile) }
        return PixelGrid(bounds: bounds, rows: config.tileSize[0], columns: config.tileSize[1])
    }

    // MARK: Highest zoom

    /// Rasterizes one staged tile of `max_z` into a GeoTIFF with one band per statistic (spec §7).
    public static func rasterizeTile(
        config: WorkflowConfiguration, tile: TileIndex, options: RasterPipelineOptions = RasterPipelineOptions()
    ) throws(RasterizationError) -> RasterTileSummary {
        let start = ThreadClock.now()
        let cpuStart = ThreadClock.cpu()
        guard tile.z == config.maxZoom else {
            throw RasterizationError(.invalidConfiguration, "\(tile): staged tiles must be at max_z \(config.maxZoom)")
        }
        let stagedSource = try? config.stagedTileLayout(tileMatrixSet: try config.tileMatrixSet()).path(for: tile)
        if let kept = keptGeoTIFF(config, tile, sources: stagedSource.map { [$0] } ?? []) {
            return RasterTileSummary(
                step: .highestZoom, tile: tile, geotiffPath: kept.path, webTilePaths: [], bounds: kept.raster.grid.bounds,
                bands: kept.raster.summaries(), rowsRead: 0, rowsDroppedAsDuplicates: 0, startTime: start, endTime: ThreadClock.now(),
                cpuSeconds: ThreadClock.cpu() - cpuStart
            )
        }
        let (plans, columns) = try StatisticPlan.plans(for: config)
        let stagedPath = try wrap { () throws(TilingError) in try config.stagedTileLayout(tileMatrixSet: try config.tileMatrixSet()).path(for: tile) }
        let dedup = config.deduplicateMethod != nil && config.deduplicateAt.contains(.raster)
        let contents = try StagedTileReader.read(
            path: stagedPath,
            request: .init(
                valueColumns: columns, centroidColumns: (config.properties.centroidX, config.properties.centroidY),
                duplicatedColumn: dedup ? config.properties.duplicated : nil
            )
        )
        let raster = try rasterize(features: contents.features, plans: plans, valueColumnTypes: contents.valueColumnTypes, tile: tile, grid: grid(config, tile))
        let path = try geotiffLayout(config).path(for: tile)
        try GeoTIFFFile.write(raster, to: path, crs: try tileMatrixSet(config).crs, compression: options.compression)
        return RasterTileSummary(
            step: .highestZoom, tile: tile, geotiffPath: path, webTilePaths: [], bounds: raster.grid.bounds,
            bands: raster.summaries(), rowsRead: contents.rowsRead, rowsDroppedAsDuplicates: contents.rowsDroppedAsDuplicates,
            startTime: start, endTime: ThreadClock.now(), cpuSeconds: ThreadClock.cpu() - cpuStart
        )
    }

    /// The in-memory core of ``rasterizeTile(config:tile:options:)``: features → bands (no I/O).
    public static func rasterize(
        features: [StagedFeature], config: WorkflowConfiguration, tile: TileIndex, valueColumnTypes: [String?] = []
    ) throws(RasterizationError) -> RasterTile {
        let (plans, columns) = try StatisticPlan.plans(for: config)
        let types = valueColumnTypes.isEmpty ? [String?](repeating: "REAL", count: columns.count) : valueColumnTypes
        return try rasterize(features: features, plans: plans, valueColumnTypes: types, tile: tile, grid: grid(config, tile))
    }

    static func rasterize(
        features: [StagedFeature], plans: [StatisticPlan], valueColumnTypes: [String?], tile: TileIndex, grid: PixelGrid
    ) throws(RasterizationError) -> RasterTile {
        let pixelCount = grid.rows * grid.columns
        var aggregators = plans.map { PixelAggregator(method: $0.aggregation, pixelCount: pixelCount) }
        let countBands = plans.indices.filter { plans[$0].weighting == .count }
        let areaBands = plans.indices.filter { plans[$0].weighting == .area }
        var rasterizer = CoverageRasterizer(grid: grid)
        let columns = grid.columns
        for feature in features {
            if !countBands.isEmpty, let pixel = grid.pixel(containingX: feature.centroidX, y: feature.centroidY) {
                let index = pixel.row * columns + pixel.column
                for band in countBands {
                    let value: Double
                    switch plans[band].source {
                    case .one: value = 1
                    case .column(let column): value = feature.values[column]
                    case .coverage: value = .nan
                    }
                    aggregators[band].add(value, at: index)
                }
            }
            if !areaBands.isEmpty {
                rasterizer.rasterize(feature.polygons) { row, column, coverage in
                    let index = row * columns + column
                    for band in areaBands {
                        let value: Double
                        switch plans[band].source {
                        case .coverage: value = coverage
                        case .one: value = 1
                        case .column(let column): value = feature.values[column]
                        }
                        aggregators[band].add(value, at: index)
                    }
                }
            }
        }
        return RasterTile(
            tile: tile, grid: grid, bands: aggregators.map { $0.finish() }, descriptions: plans.map(\.name),
            dataType: StatisticPlan.dataType(plans: plans, columnTypes: valueColumnTypes)
        )
    }

    // MARK: Parents

    /// Builds the GeoTIFF of a parent tile from its existing children (spec §8), exact 2 × 2 aggregation with each
    /// band's `resampling_method`; missing children count as zeros.
    public static func makeParent(
        config: WorkflowConfiguration, tile: TileIndex, options: RasterPipelineOptions = RasterPipelineOptions()
    ) throws(RasterizationError) -> RasterTileSummary {
        let start = ThreadClock.now()
        let cpuStart = ThreadClock.cpu()
        let childSources = (try? geotiffLayout(config)).map { layout in tile.children.map { layout.path(for: $0) } } ?? []
        if let kept = keptGeoTIFF(config, tile, sources: childSources) {
            return RasterTileSummary(
                step: .parent, tile: tile, geotiffPath: kept.path, webTilePaths: [], bounds: kept.raster.grid.bounds, bands: kept.raster.summaries(),
                rowsRead: 0, rowsDroppedAsDuplicates: 0, startTime: start, endTime: ThreadClock.now(), cpuSeconds: ThreadClock.cpu() - cpuStart
            )
        }
        let layout = try geotiffLayout(config)
        var methods: [ResamplingMethod] = []
        for statistic in config.statistics {
            methods.append(try ResamplingMethod(configValue: statistic.resamplingMethod, statistic: statistic.name))
        }
        // Quadrant order NW, NE, SW, SE.
        let quadrants = [
            TileIndex(x: 2 * tile.x, y: 2 * tile.y, z: tile.z + 1), TileIndex(x: 2 * tile.x + 1, y: 2 * tile.y, z: tile.z + 1),
            TileIndex(x: 2 * tile.x, y: 2 * tile.y + 1, z: tile.z + 1), TileIndex(x: 2 * tile.x + 1, y: 2 * tile.y + 1, z: tile.z + 1),
        ]
        var children: [RasterTile?] = []
        for child in quadrants {
            let path = layout.path(for: child)
            children.append(FileManager.default.fileExists(atPath: path) ? try GeoTIFFFile.read(path: path, tile: child) : nil)
        }
        let raster = try ParentComposer.compose(tile: tile, grid: grid(config, tile), children: children, methods: methods)
        let path = layout.path(for: tile)
        try GeoTIFFFile.write(raster, to: path, crs: try tileMatrixSet(config).crs, compression: options.compression)
        return RasterTileSummary(
            step: .parent, tile: tile, geotiffPath: path, webTilePaths: [], bounds: raster.grid.bounds, bands: raster.summaries(),
            rowsRead: 0, rowsDroppedAsDuplicates: 0, startTime: start, endTime: ThreadClock.now(), cpuSeconds: ThreadClock.cpu() - cpuStart
        )
    }

    // MARK: Web tiles

    /// The value ranges of every statistic at zoom `z`: configured ends (`z_config`, `val_range`), null ends filled
    /// with the min / max over the band summaries of all GeoTIFFs of that level (zeros included, as pdgraster).
    public static func computeRanges(config: WorkflowConfiguration, zoom: Int, summaries: [RasterTileSummary]) -> ZoomValueRanges {
        var ranges: [String: ValueRange] = [:]
        for statistic in config.statistics {
            var range = ValueRange.configured(for: statistic, zoom: zoom)
            let bands = summaries.filter { $0.tile.z == zoom }.flatMap(\.bands).filter { $0.stat == statistic.name }
            if range.min == nil, let low = bands.map(\.min).filter({ $0.isFinite }).min() { range.min = low }
            if range.max == nil, let high = bands.map(\.max).filter({ $0.isFinite }).max() { range.max = high }
            ranges[statistic.name] = range
        }
        return ZoomValueRanges(zoom: zoom, ranges: ranges)
    }

    /// Band summaries of an existing GeoTIFF (the input of ``computeRanges(config:zoom:summaries:)`` when the
    /// GeoTIFF step ran in another process).
    public static func summarizeGeoTIFF(config: WorkflowConfiguration, tile: TileIndex) throws(RasterizationError) -> RasterTileSummary {
        let start = ThreadClock.now()
        let cpuStart = ThreadClock.cpu()
        let path = try geotiffLayout(config).path(for: tile)
        let raster = try GeoTIFFFile.read(path: path, tile: tile)
        return RasterTileSummary(
            step: .webTiles, tile: tile, geotiffPath: path, webTilePaths: [], bounds: raster.grid.bounds, bands: raster.summaries(),
            rowsRead: 0, rowsDroppedAsDuplicates: 0, startTime: start, endTime: ThreadClock.now(), cpuSeconds: ThreadClock.cpu() - cpuStart
        )
    }

    /// Renders one PNG per statistic from a tile's GeoTIFF (spec §10). Null range ends come from `ranges` (per zoom);
    /// with `options.rangeMode == .perTileLegacy`, or when `ranges` lacks them, from this tile's band.
    /// `bandSummaries`: the summaries of this GeoTIFF's bands when the caller already has them (from the step that
    /// wrote it, or ``summarizeGeoTIFF(config:tile:)``), so they are not computed a second time.
    public static func renderWebTile(
        config: WorkflowConfiguration, tile: TileIndex, ranges: ZoomValueRanges?, options: RasterPipelineOptions = RasterPipelineOptions(),
        bandSummaries: [BandSummary]? = nil
    ) throws(RasterizationError) -> RasterTileSummary {
        let start = ThreadClock.now()
        let cpuStart = ThreadClock.cpu()
        let path = try geotiffLayout(config).path(for: tile)
        let raster = try GeoTIFFFile.read(path: path, tile: tile)
        let layout = try webTileLayout(config)
        let format = try WebTileFormat(extension: config.extWebTiles)
        if !config.overwrite {
            // overwrite false (pdgworkflow 1.1.0): web tiles that open at the tile size, are newer than their
            // GeoTIFF and whose colour range is fully configured (a data-derived end may move) are kept.
            let outputs = config.statistics.map { layout.path(for: tile, style: $0.name) }
            let fixedRanges = config.statistics.allSatisfy { ValueRange.configured(for: $0, zoom: tile.z).isComplete }
            if fixedRanges,
                outputs.allSatisfy({
                    OutputFreshness.isNewer($0, than: [path]) && WebTileImage.isValid(path: $0, width: raster.grid.columns, height: raster.grid.rows)
                })
            {
                return RasterTileSummary(
                    step: .webTiles, tile: tile, geotiffPath: path, webTilePaths: outputs, bounds: raster.grid.bounds, bands: raster.summaries(),
                    rowsRead: 0, rowsDroppedAsDuplicates: 0, startTime: start, endTime: ThreadClock.now(), cpuSeconds: ThreadClock.cpu() - cpuStart
                )
            }
        }
        var written: [String] = []
        var summaries: [BandSummary] = []
        for (index, statistic) in config.statistics.enumerated() {
            guard index < raster.bands.count else {
                throw RasterizationError(
                    .rasterUnreadable, "\(path): has \(raster.bands.count) band(s), statistic \"\(statistic.name)\" needs band \(index + 1)")
            }
            let band = raster.bands[index]
            if let bandSummaries, index < bandSummaries.count, bandSummaries[index].stat == statistic.name {
                summaries.append(bandSummaries[index])
            } else {
                summaries.append(BandSummary(stat: statistic.name, values: band))
            }
            var range = ValueRange.configured(for: statistic, zoom: tile.z)
            if options.rangeMode == .perZoom, let computed = ranges?.ranges[statistic.name] {
                range.min = range.min ?? computed.min
                range.max = range.max ?? computed.max
            }
            // The band's own ends only when the range lacks them (no copy of the band otherwise).
            let low = range.min ?? band.lazy.filter { $0.isFinite }.min() ?? 0
            let high = range.max ?? band.lazy.filter { $0.isFinite }.max() ?? 0
            let palette = try Palette.cached(for: statistic)
            let pixels = WebTileRenderer.render(band: band, palette: palette, range: (low, high), nodata: statistic.nodataValue)
            let image = try format.encode(rgba: pixels, width: raster.grid.columns, height: raster.grid.rows, pngLevel: options.pngCompressionLevel)
            let output = layout.path(for: tile, style: statistic.name)
            try AtomicWrite.write(image, to: output)
            written.append(output)
        }
        return RasterTileSummary(
            step: .webTiles, tile: tile, geotiffPath: path, webTilePaths: written, bounds: raster.grid.bounds, bands: summaries,
            rowsRead: 0, rowsDroppedAsDuplicates: 0, startTime: start, endTime: ThreadClock.now(), cpuSeconds: ThreadClock.cpu() - cpuStart
        )
    }

    // MARK: Helpers

    /// With `overwrite` false (pdgworkflow 1.1.0), the tile's GeoTIFF when it exists and is valid: newer than every
    /// existing file it is made from (`sources`: the staged tile, or the children), and GDAL reads it with one band
    /// per statistic at `tile_size`. Anything else is rebuilt, so a changed input is never hidden by a kept output.
    static func keptGeoTIFF(_ config: WorkflowConfiguration, _ tile: TileIndex, sources: [String]) -> (path: String, raster: RasterTile)? {
        guard !config.overwrite, let path = try? geotiffLayout(config).path(for: tile), OutputFreshness.isNewer(path, than: sources),
            let raster = try? GeoTIFFFile.read(path: path, tile: tile), raster.bands.count == config.statistics.count,
            raster.grid.rows == config.tileSize[0], raster.grid.columns == config.tileSize[1]
        else { return nil }
        return (path, raster)
    }

    static func wrap<T>(_ body: () throws(TilingError) -> T) throws(RasterizationError) -> T {
        do {
            return try body()
        } catch {
            throw RasterizationError(.invalidConfiguration, error.description)
        }
    }
}
