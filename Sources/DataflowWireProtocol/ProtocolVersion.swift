/// The wire protocol's version. A leader refuses workers of any other version (docs/wire-protocol.md).
///
/// - 1: the first version.
/// - 2: a failed result also carries the error itself, compact-encoded, so a registered `Codable` error
///   arrives on the leader as its own type.
public enum ProtocolVersion {
    /// The version this build speaks.
    public static let current: UInt16 = 2
}
