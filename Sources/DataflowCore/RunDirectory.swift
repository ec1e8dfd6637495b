import Foundation

/// Parsl's run directory layout: `<root>/000`, `<root>/001`, … one per run, each with its `checkpoint/`.
enum RunDirectory {
    /// Makes the next numbered run directory under `root` and returns its path.
    static func create(under root: String) throws -> String {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw DataflowError(.io, "cannot create run directory \(root): \(error.localizedDescription)")
        }
        var next = (runs(under: root).last.flatMap { Int($0) } ?? -1) + 1
        while true {
            let path = "\(root)/\(String(format: "%03d", next))"
            // mkdir fails if another leader took the number first; then try the next one.
            if mkdir(path, 0o755) == 0 { return path }
            guard errno == EEXIST else {
                throw DataflowError(.io, "cannot create run directory \(path): \(String(cString: strerror(errno)))")
            }
            next += 1
        }
    }

    /// The numbered run directories under `root`, in order.
    static func runs(under root: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { !$0.isEmpty && $0.allSatisfy(\.isNumber) }.sorted { Int($0)! < Int($1)! }
    }

    /// Checkpoint files of earlier runs under `root`, oldest first: each run's append log `tasks.ckpt` (POSIX)
    /// and its segments `segment-NNNNNN.ckpt` and merged segments `segment-FIRST-LAST.ckpt` (object storage) in
    /// order of their first segment number, which is record order. A segment that is missing (never published) leaves a gap, which is
    /// fine: every segment is complete on its own.
    static func earlierCheckpoints(under root: String, excluding current: String) -> [String] {
        runs(under: root).map { "\(root)/\($0)" }
            .filter { $0 != current }
            .flatMap { run -> [String] in
                let directory = "\(run)/checkpoint"
                let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                // By first segment number (names stop sorting as text past six digits), a merge before its parts.
                let segments = names.filter { $0.hasPrefix("segment-") && $0.hasSuffix(".ckpt") }
                    .map { (first: Int($0.dropFirst(8).prefix { $0.isNumber }) ?? 0, name: $0) }
                    .sorted { ($0.first, $0.name) < ($1.first, $1.name) }.map(\.name)
                return (names.contains("tasks.ckpt") ? ["tasks.ckpt"] : []).map { "\(directory)/\($0)" }
                    + segments.map { "\(directory)/\($0)" }
            }
    }
}
