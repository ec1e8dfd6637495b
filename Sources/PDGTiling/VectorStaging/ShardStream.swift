import Foundation

/// Reads a shard file record by record through a bounded buffer, so that merging a tile without deduplication
/// never holds more than one record of each shard in memory.
final class ShardStream {
    /// The shard's header.
    private(set) var header: ShardHeader
    let path: String
    /// The shard file's modification time (unix seconds): when its input last changed what it holds, since a
    /// re-staging that writes the same bytes keeps the file.
    private(set) var modificationTime = 0.0
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var offset = 0
    private var endOfFile = false
    private var lastSequence: UInt64?
    private static let chunkSize = 1 << 20
    /// Bytes asked of each `read`: small for the header (the merge opens every shard of a tile for its header
    /// first), a chunk once records are read.
    private var readSize = 16 << 10
    /// Where `read` puts bytes before they join `buffer`; allocated once, not zeroed per read.
    private let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: ShardStream.chunkSize, alignment: 16)

    /// Opens a shard and reads its header.
    init(path: String) throws(TilingError) {
        self.path = path
        header = ShardHeader(version: 0, filename: "", tile: TileIndex(x: 0, y: 0, z: 0), fields: [])
        descriptor = open(path, O_RDONLY)
        // Every property is set from here on, so on a throw `deinit` closes the file and frees the chunk.
        guard descriptor >= 0 else {
            throw TilingError(.shardCorrupt, "\(path): cannot open shard: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        if fstat(descriptor, &info) == 0 { modificationTime = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9 }
        try fill(12)
        guard buffer.count >= 12 else { throw TilingError(.shardCorrupt, "\(path): not a staging shard (too short)") }
        let headerLength = Int(buffer[8]) | Int(buffer[9]) << 8 | Int(buffer[10]) << 16 | Int(buffer[11]) << 24
        try fill(12 + headerLength)
        var reader = ShardReader(bytes: Array(buffer[0..<min(buffer.count, 12 + headerLength)]), path: path)
        header = try reader.header()
        offset = reader.offset
        readSize = Self.chunkSize
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        chunk.deallocate()
    }

    /// Buffers the next whole record and returns its length (after its 4-byte length), or nil at the end.
    private func nextRecordLength() throws(TilingError) -> Int? {
        try fill(offset + 4)
        if offset == buffer.count && endOfFile { return nil }
        guard offset + 4 <= buffer.count else { throw TilingError(.shardCorrupt, "\(path): truncated record length") }
        let length =
            Int(buffer[offset]) | Int(buffer[offset + 1]) << 8 | Int(buffer[offset + 2]) << 16
            | Int(buffer[offset + 3]) << 24
        try fill(offset + 4 + length)
        guard offset + 4 + length <= buffer.count else { throw TilingError(.shardCorrupt, "\(path): truncated record") }
        return length
    }

    /// The next row, or nil at the end of the shard.
    /// - Throws: `TilingError.shardCorrupt` for a truncated record or rows out of input order.
    func next() throws(TilingError) -> StagedRow? {
        guard let length = try nextRecordLength() else { return nil }
        var reader = ShardReader(bytes: Array(buffer[offset..<(offset + 4 + length)]), path: path)
        let row = try reader.row(fieldCount: header.fields.count, zoom: header.tile.z)
        offset += 4 + length
        if let lastSequence, row.sequence <= lastSequence {
            throw TilingError(.shardCorrupt, "\(path): rows out of input order")
        }
        lastSequence = row.sequence
        return row
    }

    /// Hands the next record to `body` in place, without decoding it (valid only during the call); nil at the end.
    /// - Throws: `TilingError.shardCorrupt` for a truncated record or rows out of input order, or what `body` throws.
    func nextRecord<Result>(_ body: (ShardRecordView) throws(TilingError) -> Result) throws(TilingError) -> Result? {
        guard let length = try nextRecordLength() else { return nil }
        let start = offset + 4
        let fieldCount = header.fields.count
        let path = path
        let lastSequence = lastSequence
        let outcome: Swift.Result<(Result, UInt64), TilingError> = buffer.withUnsafeBytes { raw in
            do throws(TilingError) {
                let record = try ShardRecordView(UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)]), fieldCount: fieldCount, path: path)
                if let lastSequence, record.sequence <= lastSequence {
                    throw TilingError(.shardCorrupt, "\(path): rows out of input order")
                }
                return .success((try body(record), record.sequence))
            } catch {
                return .failure(error)
            }
        }
        let (result, sequence) = try outcome.get()
        offset = start + length
        self.lastSequence = sequence
        return result
    }

    /// Makes sure `buffer` holds bytes up to `end` (or the whole rest of the file). May drop consumed bytes and
    /// reset `offset`, so callers re-read `offset` afterwards.
    private func fill(_ end: Int) throws(TilingError) {
        guard end > buffer.count, !endOfFile else { return }
        var end = end
        if offset >= Self.chunkSize {
            buffer.removeFirst(offset)
            end -= offset
            offset = 0
        }
        try read(until: end)
    }

    private func read(until end: Int) throws(TilingError) {
        while buffer.count < end, !endOfFile {
            let count = Foundation.read(descriptor, chunk.baseAddress, min(chunk.count, max(readSize, end - buffer.count)))
            if count < 0 {
                throw TilingError(.shardCorrupt, "\(path): read failed: \(String(cString: strerror(errno)))")
            }
            if count == 0 {
                endOfFile = true
            } else {
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
            }
        }
    }
}
