/// What the strategy decided on one tick, with a reason for the logs.
public struct ScalingDecision: Sendable, Hashable, CustomStringConvertible {
    /// The change to make to the set of blocks.
    public enum Action: Sendable, Hashable {
        /// Nothing to do.
        case none
        /// Start this many new blocks.
        case scaleOut(Int)
        /// Drain, then cancel these blocks (best candidates first).
        case scaleIn([String])
        /// Cancel these blocks (they never connected in time) and start as many new ones.
        case replace([String])
    }

    /// What to do: nothing, scale out, scale in, or replace blocks.
    public var action: Action
    /// Why, in words, with the numbers that led to it (for logs and monitoring).
    public var reason: String

    /// A decision to take `action`, explained by `reason`.
    public init(_ action: Action, reason: String) {
        self.action = action
        self.reason = reason
    }

    /// A decision to change nothing, with the reason why.
    public static func none(_ reason: String) -> ScalingDecision { ScalingDecision(.none, reason: reason) }

    public var description: String {
        switch action {
        case .none: "no change: \(reason)"
        case .scaleOut(let count): "scale out \(count): \(reason)"
        case .scaleIn(let ids): "scale in \(ids.joined(separator: ",")): \(reason)"
        case .replace(let ids): "replace \(ids.joined(separator: ",")): \(reason)"
        }
    }
}
