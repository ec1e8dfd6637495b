import DataflowStorage
import Foundation

/// The per-tile shard files of one input, written with bounded memory.
///
/// Rows are encoded into one buffer per tile; when a tile's buffer reaches `tileFlushSize` bytes, or all buffers
/// together exceed `flushThreshold`, they are appended to a scratch file per tile (``ScratchFile``: `<shard>.<random>.partial` on POSIX, a local file on object
/// storage; created, truncating, on first use). ``finish()`` flushes and publishes every scratch file to its final
/// name (a rename, or one create-write-close on a bucket), so a killed task leaves only `.partial` files, which
/// merges ignore, and a bucket never sees an append.
final class ShardWriterSet {
    private struct Entry {
        var buffer: [UInt8]
        var rows: Int
        var created: Bool
        let path: String
        var scratch: ScratchFile?
    }

    private let directory: String
    private let layout: TilePathLayout
    private let fileName: String
    private let headerFor: (TileIndex) -> [UInt8]
    private let flushThreshold: Int
    /// Bytes a tile's buffer collects before they are appended to its file. Small, so that each tile's buffer is
    /// reused: a buffer grown to megabytes is reallocated and copied on the way, and each fresh page faults in.
    private let tileFlushSize: Int
    private var entries: [TileIndex: Entry] = [:]
    /// Scratch names are unique per attempt, so that two attempts of the same task (a retry racing a slow first
    /// try) never write the same partial file; the last complete publish wins.
    private let publisher = FilePublisher()
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
        tileFlushSize: Int = 256 << 10,
        header: @escaping (TileIndex) -> [UInt8]
    ) {
        self.tileFlushSize = tileFlushSize
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
        let index: [TileIndex: Entry].Index
        if let existing = entries.index(forKey: tile) {
            index = existing
        } else {
            entries[tile] = Entry(buffer: headerFor(tile), rows: 0, created: false, path: path(for: tile))
            index = entries.index(forKey: tile)!
        }
        let before = entries.values[index].buffer.count
        ShardCodec.encode(row, to: &entries.values[index].buffer)
        entries.values[index].rows += 1
        let size = entries.values[index].buffer.count
        bufferedBytes += size - before
        if size >= tileFlushSize {
            try flush(tile)
        } else if bufferedBytes > flushThreshold {
            try flushAll()
        }
    }

    /// Rows appended per tile so far.
    var rowCounts: [TileIndex: Int] { entries.mapValues(\.rows) }

    private func flushAll() throws(TilingError) {
        // The keys alone: a view of the dictionary would share its storage and so every buffer.
        for tile in Array(entries.keys) {
            try flush(tile)
        }
        bufferedBytes = 0
    }

    private func flush(_ tile: TileIndex) throws(TilingError) {
        // Taken out of the dictionary while written, so that its buffer is not shared and is emptied in place.
        guard var entry = entries.removeValue(forKey: tile) else { return }
        defer { entries[tile] = entry }
        guard !entry.buffer.isEmpty else { return }
        if entry.scratch == nil {
            do {
                entry.scratch = try publisher.scratch(for: entry.path)
            } catch {
                throw TilingError(.writeFailed, "cannot create shard: \(error.message)")
            }
        }
        let partial = entry.scratch!.path
        let flags = O_WRONLY | O_CREAT | (entry.created ? O_APPEND : O_TRUNC)
        let descriptor = open(partial, flags, 0o644)
        guard descriptor >= 0 else {
            throw TilingError(.writeFailed, "\(partial): cannot open shard: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        if let failure = entry.buffer.withUnsafeBytes({ FilePublisher.writeAll(descriptor, $0) }) {
            throw TilingError(.writeFailed, "\(partial): write failed: \(failure)")
        }
        entry.created = true
        bufferedBytes = max(0, bufferedBytes - entry.buffer.count)
        // Buffers are kept for reuse while they cannot add up to more than the memory bound.
        entry.buffer.removeAll(keepingCapacity: (entries.count + 1) * 2 * tileFlushSize <= flushThreshold)
    }

    /// Flushes everything and renames each shard into place. Returns the tiles written, ascending.
    func finish() throws(TilingError) -> [TileIndex] {
        try flushAll()
        let tiles = entries.keys.sorted()
        for tile in tiles {
            do {
                try entries[tile]!.scratch?.publish()
            } catch {
                throw TilingError(.writeFailed, error.message)
            }
        }
        return tiles
    }

    /// Removes all partial files (after a failure).
    func discard() {
        for entry in entries.values { entry.scratch?.discard() }
    }
}
