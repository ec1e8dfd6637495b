import Foundation
import VizWorkflowTestSupport

/// A bucket of the gcsfuse emulator (`../shared/tools/gcsfuse`, run from the venv `scripts/setup.sh` makes) that
/// tests mount one or more times; each mount stands for one pod.
final class EmulatedBucket {
    /// One mount of the bucket: a foreground emulator process.
    final class Mount {
        let path: String
        let statsPath: String
        let process: Process

        init(path: String, statsPath: String, process: Process) {
            self.path = path
            self.statsPath = statsPath
            self.process = process
        }

        /// Unmounts (the emulator then writes its final statistics) and returns them.
        @discardableResult
        func unmount() throws -> [String: Any] {
            if process.isRunning {
                let unmount = Process()
                unmount.executableURL = URL(fileURLWithPath: "/usr/bin/fusermount3")
                unmount.arguments = ["-u", "-z", path]
                try unmount.run()
                unmount.waitUntilExit()
                let deadline = Date().addingTimeInterval(20)
                while process.isRunning && Date() < deadline { usleep(50_000) }
                if process.isRunning { process.terminate() }
                process.waitUntilExit()
            }
            return try EmulatedBucket.stats(statsPath)
        }
    }

    static let tool = SampleRun.packageRoot + "/../shared/tools/gcsfuse/gcsfuse_emu.py"
    static let python = SampleRun.packageRoot + "/.build-gcsfuse-venv/bin/python"

    /// Why the bucket tests cannot run here, or `nil`: only a machine without FUSE is a reason to skip.
    static var unavailable: String? {
        FileManager.default.fileExists(atPath: "/dev/fuse") ? nil : "no /dev/fuse on this machine"
    }

    let root: String
    var backing: String { root + "/bucket" }
    private var mounts: [Mount] = []

    init() throws {
        root = NSTemporaryDirectory() + "bucket-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: backing, withIntermediateDirectories: true)
    }

    /// Mounts the bucket as pod `node` at `root/<mountPoint>` (default `mnt-<node>`; pods of one Job mount the
    /// bucket at the same path); `enforceRate` is `off`, `delay` or `eio`.
    func mount(node: String, enforceRate: String, mountPoint: String? = nil) throws -> Mount {
        let path = root + "/" + (mountPoint ?? "mnt-" + node)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let stats = root + "/stats-\(node).json"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Self.tool, backing, path, "--node", node, "--stats", stats, "--enforce-rate", enforceRate]
        process.standardOutput = FileHandle.nullDevice
        let log = root + "/emulator-\(node).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while !Self.isMounted(path) {
            guard process.isRunning, Date() < deadline else {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw EmulatorError(message: "the emulator did not mount \(path): \(text)")
            }
            usleep(50_000)
        }
        let mount = Mount(path: path, statsPath: stats, process: process)
        mounts.append(mount)
        return mount
    }

    /// Unmounts everything still mounted and removes the bucket.
    func remove() {
        for mount in mounts { _ = try? mount.unmount() }
        try? FileManager.default.removeItem(atPath: root)
    }

    static func isMounted(_ path: String) -> Bool {
        let table = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return table.split(separator: "\n").contains { $0.split(separator: " ").count > 4 && $0.split(separator: " ")[4] == path }
    }

    static func stats(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    struct EmulatorError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

extension EmulatedBucket {
    /// Every GeoTIFF and PNG under `dir/viz-output`, walked with `readdir` and `stat` (FileManager's enumerator
    /// does not descend on the emulator, whose directories report a link count of 2).
    static func outputs(_ dir: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        func walk(_ relative: String) throws {
            let path = dir + "/viz-output" + (relative.isEmpty ? "" : "/" + relative)
            for name in try FileManager.default.contentsOfDirectory(atPath: path) {
                let child = relative.isEmpty ? name : relative + "/" + name
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    try walk(child)
                } else if name.hasSuffix(".tif") || name.hasSuffix(".png") {
                    files[child] = try Data(contentsOf: URL(fileURLWithPath: path + "/" + name))
                }
            }
        }
        try walk("")
        return files
    }
}

extension [String: Any] {
    /// A number at a dotted path of the emulator's statistics (`rewrites.count`), 0 when absent.
    func number(_ dotted: String) -> Double {
        var current: Any? = self
        for key in dotted.split(separator: ".") { current = (current as? [String: Any])?[String(key)] }
        return (current as? NSNumber)?.doubleValue ?? 0
    }
}
