import DataflowStorage
import Foundation

/// Publishes consistent snapshots of a live monitoring database to a run directory on object storage.
///
/// On a bucket (gcsfuse) SQLite's WAL cannot work across pods and every commit would re-upload the file, so the
/// leader keeps the live database on its local disk and this type copies it out: at start, then every
/// `interval` if anything
/// was committed, `VACUUM INTO` a local file (a consistent snapshot, taken on its own read-only connection while
/// the writer goes on), switched to rollback-journal mode so readers need no `-shm`, then published with one
/// create-write-close under a new name `<root>/monitoring-snapshots/<run>-<seq>.db`. A small pointer object
/// `<root>/monitoring.latest` (JSON ``Pointer``) names the newest snapshot; it is written at most once per
/// ``minimumPointerInterval`` (Cloud Storage takes about one write per second to one object name). Older
/// snapshots of this run are deleted, keeping the newest ``keep``.
///
/// A big database is snapshot less often: the wait after a snapshot is at least its size divided by
/// ``uploadBudget`` (a 200 MB database of a long run is published every 100 s, not every 2 s), so snapshots
/// cost a bounded share of the leader's upload bandwidth.
///
/// `viz-workflow status` from any pod reads the pointer, then the snapshot read-only (`immutable=1`).
public final class MonitoringSnapshots: @unchecked Sendable {
    // @unchecked: mutable state is guarded by `condition`; the connection is used only by the thread (and by
    // `close()` after the thread has stopped).

    /// The pointer object's content.
    public struct Pointer: Codable, Sendable, Equatable {
        /// The snapshot, relative to the run directory root.
        public var snapshot: String
        /// When the snapshot was taken (Unix seconds).
        public var time: Double
        /// The leader's host name.
        public var host: String
        /// The live database on the leader's local disk (readable on that host only).
        public var live: String

        /// A pointer to `snapshot` (relative to the run directory root), taken at `time` on `host`.
        public init(snapshot: String, time: Double, host: String, live: String) {
            self.snapshot = snapshot
            self.time = time
            self.host = host
            self.live = live
        }
    }

    /// The pointer object's name in the run directory root.
    public static let pointerName = "monitoring.latest"
    /// The folder of snapshots in the run directory root.
    public static let snapshotFolder = "monitoring-snapshots"
    /// Shortest time between two writes of the pointer object.
    public static let minimumPointerInterval = 1.2
    /// Snapshots of this run kept; older ones are deleted.
    public let keep = 3
    /// Bytes per second of snapshot uploads, at most, on average: sets the wait after a big snapshot.
    public static let uploadBudget = 2.0 * 1024 * 1024

    private let livePath: String
    private let root: String
    private let runTag: String
    private let interval: TimeInterval
    private let publisher: FilePublisher
    private let localDirectory: String
    private let condition = NSCondition()
    private var stopping = false
    private var stopped = false
    private var connection: SQLiteConnection?
    private var lastDataVersion: String?
    private var sequence = 0
    private var published: [String] = []
    private var lastPointerWrite: Double = 0
    private var lastErrorText: String?
    /// Wait before the next snapshot: `interval`, or longer after a big one.
    private var nextWait: TimeInterval

    /// Starts publishing snapshots of `livePath` into `root` every `interval`.
    /// - Parameters:
    ///   - livePath: The live database (WAL mode) on local disk.
    ///   - root: The run directory root on the bucket (`runinfo`).
    ///   - runTag: A short name for this run, unique in `root` (e.g. the run directory's number and a random part).
    ///   - interval: Time between snapshots when the database changes.
    ///   - publisher: How files reach `root`.
    public init(livePath: String, root: String, runTag: String, interval: Duration, publisher: FilePublisher) throws(MonitoringError) {
        self.livePath = livePath
        self.root = root
        self.runTag = runTag
        let parts = interval.components
        self.interval = max(1, Double(parts.seconds) + Double(parts.attoseconds) * 1e-18)
        self.publisher = publisher
        self.localDirectory = (livePath as NSString).deletingLastPathComponent
        // The first snapshot at once: another pod's `status` sees the run as soon as it has started.
        self.nextWait = 0
        self.connection = try SQLiteConnection(path: livePath, readOnly: true)
        let thread = Thread { [self] in loop() }
        thread.name = "monitoring-snapshots"
        thread.start()
    }

    /// The latest snapshot error, if any (publishing goes on).
    public var lastError: String? {
        condition.lock()
        defer { condition.unlock() }
        return lastErrorText
    }

    /// Stops the thread and publishes a final snapshot with its pointer (waiting, if needed, until the pointer
    /// may be written again). Call after the store has committed everything (``MonitoringStore/close()``).
    public func close() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
        snapshotIfChanged(isFinal: true)
        connection?.close()
        connection = nil
    }

    private func loop() {
        condition.lock()
        while !stopping {
            _ = condition.wait(until: Date(timeIntervalSinceNow: nextWait))
            if stopping { break }
            condition.unlock()
            snapshotIfChanged(isFinal: false)
            condition.lock()
        }
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func snapshotIfChanged(isFinal: Bool) {
        guard let connection else { return }
        do {
            // data_version changes when another connection commits: no commit, no new snapshot.
            let version = try connection.scalarText("PRAGMA data_version")
            if version == lastDataVersion && !published.isEmpty && !isFinal { return }
            sequence += 1
            let name = "\(runTag)-\(String(format: "%06d", sequence)).db"
            let local = (localDirectory as NSString).appendingPathComponent("snapshot-" + name)
            unlink(local)
            defer { unlink(local) }
            try connection.execute("VACUUM INTO '\(local.replacingOccurrences(of: "'", with: "''"))'")
            // Rollback-journal mode: a reader opening it immutable needs no -shm or WAL.
            let copy = try SQLiteConnection(path: local)
            _ = try copy.scalarText("PRAGMA journal_mode=DELETE")
            copy.close()
            lastDataVersion = version
            let relative = Self.snapshotFolder + "/" + name
            do {
                try publisher.copy(file: local, to: (root as NSString).appendingPathComponent(relative), exclusive: true)
            } catch {
                throw MonitoringError(code: .write, message: "publishing snapshot \(relative): \(error)")
            }
            published.append(relative)
            let size = (try? FileManager.default.attributesOfItem(atPath: local))?[.size] as? Int ?? 0
            nextWait = max(interval, Double(size) / Self.uploadBudget)
            let wait = Self.minimumPointerInterval - (Date().timeIntervalSince1970 - lastPointerWrite)
            if wait > 0 {
                // Between snapshots a pointer write is never this close; at close, wait rather than skip it.
                guard isFinal else { return }
                Thread.sleep(forTimeInterval: wait)
            }
            let pointer = Pointer(snapshot: relative, time: Date().timeIntervalSince1970, host: ProcessInfo.processInfo.hostName, live: livePath)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            do {
                try publisher.write(try encoder.encode(pointer), to: (root as NSString).appendingPathComponent(Self.pointerName))
            } catch {
                throw MonitoringError(code: .write, message: "writing \(Self.pointerName): \(error)")
            }
            lastPointerWrite = Date().timeIntervalSince1970
            // A later success supersedes an earlier failure: the latest snapshot is out.
            condition.lock()
            lastErrorText = nil
            condition.unlock()
            // Keep the newest few, so a reader that just read the pointer still finds its snapshot.
            while published.count > keep {
                unlink((root as NSString).appendingPathComponent(published.removeFirst()))
            }
        } catch {
            condition.lock()
            lastErrorText = "\(error)"
            condition.unlock()
        }
    }

    // MARK: Reading

    /// The pointer in `root`, if there is one.
    public static func latest(in root: String) -> Pointer? {
        guard let data = FileManager.default.contents(atPath: (root as NSString).appendingPathComponent(pointerName)) else { return nil }
        return try? JSONDecoder().decode(Pointer.self, from: data)
    }

    /// Copies the newest published snapshot in `root` to `livePath` (if there is one and `livePath` does not
    /// exist), so a new leader's local database keeps the earlier runs' history. Returns whether it did.
    @discardableResult
    public static func seed(livePath: String, from root: String) -> Bool {
        guard !FileManager.default.fileExists(atPath: livePath), let pointer = latest(in: root) else { return false }
        let source = (root as NSString).appendingPathComponent(pointer.snapshot)
        guard let data = FileManager.default.contents(atPath: source) else { return false }
        return FileManager.default.createFile(atPath: livePath, contents: data)
    }
}
