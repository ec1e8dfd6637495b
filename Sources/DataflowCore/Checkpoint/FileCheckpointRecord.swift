import DataflowApps

/// What the kernel stores for a task of an app with declared files: the output, the files the task wrote
/// with their fingerprints at the time, and the memo key the task had without its input files' fingerprints.
///
/// Tasks of apps without files store their output bytes alone, as before, so their checkpoints cost nothing
/// more. Which form a record has is decided by the app (``RegisteredApp/declaresFiles`` or
/// ``RegisteredApp/producesFiles``); the magic prefix only lets the loader index the records that have files.
struct FileCheckpointRecord: Codable, Sendable {
    /// A file the task wrote, as it was when the task finished.
    struct RecordedFile: Codable, Sendable, Hashable {
        var path: String
        var fingerprint: FileFingerprint
    }

    /// The memo key of the same call with no input-file fingerprints: finding it under a different full key
    /// means an input file changed.
    var inputKey: [UInt8]
    /// The input files as the task read them, to name the one that changed.
    var inputs: [RecordedFile]
    var outputs: [RecordedFile]
    var output: [UInt8]

    static let magic: [UInt8] = [0, 0x56, 0x46, 0x31]  // "\0VF1"

    func encoded() throws -> [UInt8] {
        Self.magic + (try CompactEncoder().encode(self))
    }

    /// The record in `bytes`, or nil when they are not one (an output stored before the app had files).
    static func decode(_ bytes: [UInt8]) -> FileCheckpointRecord? {
        guard bytes.count > magic.count, bytes.starts(with: magic) else { return nil }
        return try? CompactDecoder().decode(FileCheckpointRecord.self, from: Array(bytes.dropFirst(magic.count)))
    }

    /// The first recorded output that is gone or differs now, with what it is now.
    func firstChangedOutput() -> (RecordedFile, FileFingerprint)? {
        for file in outputs {
            let now = FileFingerprint(path: file.path, mode: file.fingerprint.sha256.isEmpty ? .metadata : .contentHash)
            if now != file.fingerprint { return (file, now) }
        }
        return nil
    }
}
