import ArgumentParser
import Dataflow
import Foundation
import PDGTilingApps

/// `viz-workflow worker --address HOST:PORT ...`: joins a leader's interchange and runs pipeline tasks.
/// Providers start this; the run secret comes in the environment.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Join a leader's interchange and run pipeline tasks (started by providers).",
        discussion: """
            Options: --address HOST:PORT [--block-id ID] [--max-workers N] [--cores-per-worker C] [--prefetch P]
            [--isolation process|none] [--connect-timeout S]. The run secret is read from \(Authenticator.environmentVariable).
            """
    )

    @Argument(parsing: .captureForPassthrough, help: "Worker options (see above).")
    var options: [String] = []

    func run() async throws {
        let (registry, _) = try TilingApps.registry()
        let code = await WorkerService.run(arguments: options, commandPrefix: ["worker"], apps: registry)
        throw ExitCode(code)
    }
}
