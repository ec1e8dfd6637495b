import ArgumentParser
import Foundation
import PDGTiling

/// `tiling-bench stage`: runs a whole staging (stage + merge + summary) and prints throughput, CPU time and peak
/// RSS as JSON.
struct StageBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stage", abstract: "Measure staging throughput.")

    @Option(help: "PDG workflow config (e.g. written by `generate`).")
    var config: String

    @Option(help: "Concurrent units of work.")
    var workers: Int = 1

    @Flag(help: "Delete dir_staged before the run.")
    var clean = false

    func run() async throws {
        let workflow = try WorkflowConfiguration(contentsOf: config)
        // `cpu_seconds` counts the whole process, the clean-up included, as it always has; `clean_cpu_seconds`
        // says how much of it the clean-up took.
        let beforeClean = Self.processCPUSeconds()
        if clean { try? FileManager.default.removeItem(atPath: workflow.dirStaged) }
        let cleanCPU = Self.processCPUSeconds() - beforeClean
        var options = StagingRunner.Configuration()
        options.workers = workers
        let start = ContinuousClock.now
        let report = try await StagingRunner(workflow: workflow, configuration: options).run()
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu =
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        let polygons = report.staged.reduce(0) { $0 + $1.polygonsStaged }
        let result: [String: Any] = [
            "workers": workers,
            "inputs": report.staged.count,
            "failures": report.failures.count,
            "polygons": polygons,
            "rows_written": report.merged.reduce(0) { $0 + $1.rowsWritten },
            "tiles": report.merged.count,
            "stage_seconds": report.stageSeconds,
            "merge_seconds": report.mergeSeconds,
            "stage_cpu_seconds": report.stageCPUSeconds,
            "merge_cpu_seconds": report.mergeCPUSeconds,
            "stage_polygons_per_cpu_second": Double(polygons) / report.stageCPUSeconds,
            "wall_seconds": seconds,
            "cpu_seconds": cpu,
            "clean_cpu_seconds": cleanCPU,
            "polygons_per_second": Double(polygons) / seconds,
            "polygons_per_cpu_second": Double(polygons) / cpu,
            "peak_rss_mib": Double(usage.ru_maxrss) / 1024,
        ]
        let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        if !report.failures.isEmpty { throw ExitCode(1) }
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
