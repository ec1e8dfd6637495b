import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// This process's mount table, read from `/proc/self/mountinfo` once and again only after a mount or unmount.
///
/// Why: ``StorageKind/detect(path:)`` runs for every file a ``FilePublisher`` writes, and reading and
/// splitting the whole table each time cost tens of microseconds per output tile. The kernel marks an open
/// `mountinfo` with a priority event (`POLLPRI`) when the table changes (proc(5)), so a poll with no timeout
/// says whether the copy held here is still the table.
final class MountTable: Sendable {
    /// One mount: where it is and its file system type (`ext4`, `fuse.gcsfuse`, ...).
    struct Entry: Sendable {
        var mountPoint: String
        var type: String
    }

    private struct State {
        var descriptor: Int32
        var entries: [Entry]?
    }

    private let state: Mutex<State>

    /// The process's table.
    static let shared = MountTable()

    private init() {
        state = Mutex(State(descriptor: open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC), entries: nil))
    }

    /// The current mounts in table order, or `nil` when the table cannot be read.
    var entries: [Entry]? {
        state.withLock { state in
            guard state.descriptor >= 0 else {
                // No pollable handle (an unusual sandbox): read the table every time.
                return (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)).map(Self.parse)
            }
            var event = pollfd(fd: state.descriptor, events: Int16(POLLPRI), revents: 0)
            let changed = poll(&event, 1, 0) != 0
            if changed || state.entries == nil {
                state.entries = Self.read(state.descriptor).map(Self.parse)
            }
            return state.entries
        }
    }

    /// Reads the whole file from the start through the kept descriptor.
    private static func read(_ descriptor: Int32) -> String? {
        guard lseek(descriptor, 0, SEEK_SET) == 0 else { return nil }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The mount point (field 5, unescaped) and type (the field after `-`) of each line in mountinfo's format.
    static func parse(_ table: String) -> [Entry] {
        table.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count > 6, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { return nil }
            return Entry(mountPoint: StorageKind.unescape(String(fields[4])), type: String(fields[dash + 1]))
        }
    }
}
