import ArgumentParser

/// `tiling-bench`: synthetic inputs and staging throughput measurements (results as JSON on stdout).
@main
struct TilingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiling-bench",
        abstract: "Benchmarks of the Tiling module.",
        subcommands: [GenerateCommand.self, StageBenchCommand.self]
    )
}
