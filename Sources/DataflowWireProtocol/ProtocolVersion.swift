/// The wire protocol's version. A leader refuses workers of any other version (docs/wire-protocol.md).
public enum ProtocolVersion {
    public static let current: UInt16 = 1
}
