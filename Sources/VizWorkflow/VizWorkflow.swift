import ArgumentParser

/// The `viz-workflow` command. Minimal root for branch `tiling`; the runtime branch owns the real one.
@main
struct VizWorkflow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "viz-workflow",
        abstract: "PDG visualization workflow tools.",
        subcommands: [StageCommand.self, RasterizeCommand.self, WebTilesCommand.self]
    )
}
