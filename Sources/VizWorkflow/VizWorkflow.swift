import ArgumentParser

/// The `viz-workflow` executable: the PDG tiling workflow's leader, worker and single-step commands.
@main
struct VizWorkflow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "viz-workflow",
        abstract: "Permafrost Discovery Gateway tiling workflow on a Parsl-style task runtime.",
        subcommands: [
            RunCommand.self, WorkerCommand.self, StatusCommand.self, StageCommand.self, RasterizeCommand.self, WebTilesCommand.self, ServeCommand.self,
            PodManifestCommand.self,
        ]
    )
}
