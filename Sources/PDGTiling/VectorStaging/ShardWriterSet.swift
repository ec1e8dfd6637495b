import Foundation

/// The per-tile shard files of one input, written with bounded memory.
///
/// Rows are encoded into one buffer per tile; when all buffers together exceed `flushThreshold` bytes they are
/// appended to `<shard>.<random>.partial` files (created, truncating, on first use). ``finish()`` flushes and
/// renames every partial file to its final name, so a killed task leaves only `.partial` files, which merges ignore.
final class ShardWriterSet {
    private struct Entry {
        var buffer: [UInt8]
        var rows: Int
        var created: Bool
        let path: String
    }

    private let directory: String
    private let layout: TilePathLayout
    private let fileName: String
    private let headerFor: (TileIndex) -> [UInt8]
    private let flushThreshold: Int
    private var entries: [TileIndex: Entry] = [:]
    /// Unique per attempt, so that two attempts of the same task (a retry racing a slow first try) never write
    /// the same partial file; the last complete rename wins.
    private let partialSuffix = ".\(UInt32.random(in: 0...UInt32.max)).partial"
    private var bufferedBytes = 0

    /// - Parameters:
    ///   - shardRoot: `<dir_staged>/.shards`.
    ///   - layout: Tile path layout (without base directory) used for the per-tile directories.
    ///   - inputKey: The shard file stem owned by this input.
    ///   - flushThreshold: Bytes buffered in memory before appending to disk.
    ///   - header: The header bytes of the shard of a tile.
    init(
        shardRoot: String,
        layout: TilePathLayout,
        inputKey: String,
        flushThreshold: Int = 32 << 20,
        header: @escaping (TileIndex) -> [UInt8]
    ) {
        self.directory = shardRoot
        self.layout = layout
        self.fileName = inputKey + ".shard"
        self.headerFor = header
        self.flushThreshold = flushThreshold
    }

    /// The shard path of a tile.
    func path(for tile: TileIndex) -> String {
        "\(directory)/\(layout.relativeStem(for: tile))/\(fileName)"
    }

    /// Appends one row to a tile's shard.
    func append(_ row: StagedRow, to tile: TileIndex) throws(TilingError) {
        if entries[tile] == nil {
            entries[tile] = Entry(buffer: headerFor(tile), rows: 0, created: false, path: path(for: tile))
        }
        let before = entries[tile]!.buffer.count
        ShardCodec.encode(row, to: &entries[tile]!.buffer)
        entries[tile]!.rows += 1
        bufferedBytes += entries[tile]!.buffer.count - before
        if bufferedBytes > flushThreshold {
            try flushAll()
        }
    }

    /// Rows appended per tile so far.
    var rowCounts: [TileIndex: Int] { entries.mapValues(\.rows) }

    private func flushAll() throws(TilingError) {
        for tile in entries.keys {
            try flush(tile)
        }
        bufferedBytes = 0
    }

    private func flush(_ tile: TileIndex) throws(TilingError) {
        guard var entry = entries[tile], !entry.buffer.isEmpty else { return }
        let partial = entry.path + partialSuffix
        if !entry.created {
            let directory = (entry.path as NSString).deletingLastPathComponent
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw TilingError(.writeFailed, "\(directory): cannot create shard directory: \(error.localizedDescription)")
            }
        }
        let flags = O_WRONLY | O_CREAT | (entry.created ? O_APPEND : O_TRUNC)
        let descriptor = open(partial, flags, 0o644)
        guard descriptor >= 0 else {
            throw TilingError(.writeFailed, "\(partial): cannot open shard: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let written = entry.buffer.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let count = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if count <= 0 { return false }
                offset += count
            }
            return true
        }
        guard written else {
            throw TilingError(.writeFailed, "\(partial): write failed: \(String(cString: strerror(errno)))")
        }
        entry.created = true
        entry.buffer.removeAll(keepingCapacity: false)
        entries[tile] = entry
    }

    /// Flushes everything and renames each shard into place. Returns the tiles written, ascending.
    func finish() throws(TilingError) -> [TileIndex] {
        try flushAll()
        let tiles = entries.keys.sorted()
        for tile in tiles {
            let path = entries[tile]!.path
            // A re-staging that wrote the same shard keeps the old file, so the tile's merge is not redone.
            if AtomicFile.sameContent(path + partialSuffix, path) {
                unlink(path + partialSuffix)
                continue
            }
            guard rename(path + partialSuffix, path) == 0 else {
                throw TilingError(.writeFailed, "\(path): rename failed: \(String(cString: strerror(errno)))")
            }
        }
        return tiles
    }

    /// Removes all partial files (after a failure).
    func discard() {
        for entry in entries.values where entry.created {
            unlink(entry.path + partialSuffix)
        }
    }
}
