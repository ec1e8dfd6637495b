import Foundation
import PDGTiling

/// Reads a PDG config for a command: warnings (unknown keys with their likely meaning, keys of features not made)
/// go to standard error; with `--strict` they are one error instead.
enum WorkflowConfigurationLoader {
    static func load(_ path: String, strict: Bool) throws -> WorkflowConfiguration {
        var warnings: [String] = []
        let workflow = try WorkflowConfiguration(contentsOf: path, strict: strict, warnings: &warnings)
        for warning in warnings {
            FileHandle.standardError.write(Data("viz-workflow: warning: \(warning)\n".utf8))
        }
        return workflow
    }
}
