import DataflowWorker
import Foundation
import InterchangeTestApps

// The worker binary of the interchange tests: `InterchangeTestWorker worker --address ... `.
let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.first == "worker" else {
    FileHandle.standardError.write(Data("usage: InterchangeTestWorker worker --address HOST:PORT ...\n".utf8))
    exit(64)
}
exit(await WorkerService.run(arguments: Array(arguments.dropFirst()), commandPrefix: ["worker"], apps: TestApps.registry()))
