import ArgumentParser

struct StageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stage")
}
