/// A task returned without writing every output file it declared (Parsl `MissingOutputs`).
///
/// Raised where the task ran, after its body (a Swift closure, or a bash command that exited 0) returned, for
/// each ``DeclaresFiles/outputFiles`` entry that does not exist. It crosses processes as itself and is retried
/// like any app failure.
public struct MissingOutputs: Error, Sendable, Codable, Hashable, CustomStringConvertible {
    /// The app that ran.
    public var appName: String
    /// The declared outputs that were not there, in declaration order.
    public var missing: [DataFile]

    /// An error for `missing` outputs of `appName`.
    public init(appName: String, missing: [DataFile]) {
        self.appName = appName
        self.missing = missing
    }

    /// Names the app and every missing file.
    public var description: String {
        "app '\(appName)' returned without writing \(missing.count == 1 ? "its declared output" : "\(missing.count) declared outputs"): "
            + missing.map(\.path).joined(separator: ", ")
    }
}
