import Foundation

/// Stages vector inputs into per-tile shard files (unit of work 1 of staging).
///
/// `stageFile` reads ONE input (through GDAL, or `ShapefileReader` for common shapefiles), streaming feature by
/// feature, and writes `<dir_staged>/.shards/<tile path>/<input key>.shard` for every max-z tile the input touches. Each input owns
/// its shard files alone, so any number of inputs can be staged at once on a shared filesystem without locks; a
/// re-run replaces the same files (no duplicated rows). ``TileMerger`` later turns the shards of a tile into the
/// staged GeoPackage.
///
/// ```swift
/// let stager = try VectorTileStager(configuration: config)
/// for input in try stager.discoverInputs() {
///     let summary = try stager.stageFile(input)
/// }
/// ```
///
/// - Important: The stager is `Sendable`, but each `stageFile` call opens its own GDAL and GEOS handles; call it
///   from as many tasks as you like.
public struct VectorTileStager: Sendable {
    /// The configuration (directories as given: relative paths resolve against the current directory).
    public let configuration: WorkflowConfiguration
    /// The tile matrix set of `tms_id`.
    public let tileMatrixSet: TileMatrixSet
    /// The staged-tile path layout.
    public let layout: TilePathLayout

    /// Prepares staging for a configuration.
    public init(configuration: WorkflowConfiguration) throws(TilingError) {
        // PDG picks the OGR driver from the extension; staged tiles here are always GeoPackages.
        guard configuration.extStaged.lowercased() == ".gpkg" else {
            throw TilingError(
                .invalidConfiguration, "config key \"ext_staged\" must be \".gpkg\" (staged tiles are GeoPackages), found \"\(configuration.extStaged)\"")
        }
        self.configuration = configuration
        tileMatrixSet = try configuration.tileMatrixSet()
        layout = try configuration.stagedTileLayout(tileMatrixSet: tileMatrixSet)
        _ = try tileMatrixSet.matrix(zoom: configuration.maxZoom)
    }

    /// `<dir_staged>/.shards`: where shards and per-input manifests live.
    public var shardRoot: String { (configuration.dirStaged as NSString).appendingPathComponent(".shards") }

    /// All inputs under `dir_input` whose names end with `ext_input`, sorted by path (PDG uses unsorted walk
    /// order; sorting makes runs reproducible).
    public func discoverInputs() throws(TilingError) -> [String] {
        let root = configuration.dirInput
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TilingError(.inputUnreadable, "dir_input \(root) is not a directory")
        }
        // Enumerate the resolved directory (the root itself may be a symlink) but report paths under `root`, so
        // that `staging_filename` strips the configured prefix exactly as PDG does.
        let resolved = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        guard let enumerator = FileManager.default.enumerator(atPath: resolved) else {
            throw TilingError(.inputUnreadable, "dir_input \(root) cannot be listed")
        }
        var inputs: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if relative.hasSuffix(configuration.extInput) {
                inputs.append((root as NSString).appendingPathComponent(relative))
            }
        }
        return inputs.sorted()
    }

    /// The inputs listed in a JSON file (an array of paths), instead of scanning `dir_input`, as the production IWP
    /// run was given its files. A relative path is relative to `dir_input`, so `staging_filename` is that path; a
    /// listed file that does not exist fails alone when staged.
    public func inputs(listedIn path: String) throws(TilingError) -> [String] {
        let value: JSONValue
        do {
            value = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: path)), source: path)
        } catch let error as ConfigurationError {
            throw TilingError(.inputUnreadable, error.message)
        } catch {
            throw TilingError(.inputUnreadable, "\(path): cannot read the input list: \(error.localizedDescription)")
        }
        guard case .array(let items) = value else {
            throw TilingError(.inputUnreadable, "\(path): the input list must be a JSON array of paths, found \(value.typeName)")
        }
        var inputs: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let entry) = item, !entry.isEmpty else {
                throw TilingError(.inputUnreadable, "\(path): entry \(index) of the input list is not a path")
            }
            inputs.append(entry.hasPrefix("/") ? entry : (configuration.dirInput as NSString).appendingPathComponent(entry))
        }
        return Array(Set(inputs)).sorted()
    }

    /// `staging_filename` of an input: the path with the `dir_input` string removed from its start and leading
    /// and trailing `/` stripped (e.g. `iwp/scene_0002.shp`).
    public func filename(forInputPath path: String) -> String {
        var text = Substring(path)
        if text.hasPrefix(configuration.dirInput) { text = text.dropFirst(configuration.dirInput.count) }
        while text.hasPrefix("/") { text = text.dropFirst() }
        while text.hasSuffix("/") { text = text.dropLast() }
        return String(text)
    }

    /// Every file that staging `inputPath` reads, existing or not: the input, a shapefile's companions
    /// (`.shx`, `.dbf`, `.prj`, `.cpg`, in either case) and, when deduplication clips to footprints, the
    /// footprint file with its companions. A re-run compares them to decide whether the input changed.
    public func sourceFiles(forInputPath inputPath: String) -> [String] {
        func withCompanions(_ path: String) -> [String] {
            guard path.lowercased().hasSuffix(".shp") else { return [path] }
            let base = (path as NSString).deletingPathExtension
            return [path] + ["shx", "dbf", "prj", "cpg"].flatMap { ["\(base).\($0)", "\(base).\($0.uppercased())"] }
        }
        var files = withCompanions(inputPath)
        if configuration.clipsToFootprint {
            files += withCompanions(FootprintLayer.path(forFilename: filename(forInputPath: inputPath), configuration: configuration))
        }
        return files.sorted()
    }

    /// What the last successful staging of `inputPath` wrote (its manifest), if it was ever staged.
    public func previousSummary(forInputPath inputPath: String) -> StagedShardSummary? {
        Self.readManifest(manifestPath(inputKey: StableIdentifier.inputKey(filename: filename(forInputPath: inputPath))))
    }

    /// Forgets every staged input whose file name is not among `inputPaths`' (an input removed from the input
    /// set): deletes its shards and manifest, and returns the tiles it had reached, whose merged outputs are
    /// now stale.
    public func forgetInputs(notIn inputPaths: some Sequence<String>) -> Set<TileIndex> {
        let folder = "\(shardRoot)/_inputs"
        let current = Set(inputPaths.map { filename(forInputPath: $0) })
        var tiles: Set<TileIndex> = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasSuffix(".json") {
            guard let previous = Self.readManifest("\(folder)/\(name)"), !current.contains(previous.filename) else { continue }
            for entry in previous.tiles {
                unlink(shardPath(filename: previous.filename, tile: entry.tile))
                tiles.insert(entry.tile)
            }
            tiles.formUnion(previous.tilesDropped ?? [])
            unlink("\(folder)/\(name)")
        }
        return tiles
    }

    private static func readManifest(_ path: String) -> StagedShardSummary? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(StagedShardSummary.self, from: data)
    }

    /// The shard path of one input for one tile.
    public func shardPath(filename: String, tile: TileIndex) -> String {
        "\(shardRoot)/\(layout.relativeStem(for: tile))/\(StableIdentifier.inputKey(filename: filename)).shard"
    }

    /// Where staging records what one input wrote (`<shardRoot>/_inputs/<input key>.json`).
    public func manifestPath(inputKey: String) -> String {
        "\(shardRoot)/_inputs/\(inputKey).json"
    }

    // MARK: Staging one file

    /// Stages one input file into shards it alone owns. See the type documentation.
    /// - Throws: `TilingError` naming the file (unreadable, missing companion or CRS, empty, invalid geometry,
    ///   missing footprint …). Nothing of a failed run replaces earlier shards.
    public func stageFile(_ inputPath: String) throws(TilingError) -> StagedShardSummary {
        var run = try FileStagingRun(stager: self, inputPath: inputPath)
        return try run.stage()
    }
}
