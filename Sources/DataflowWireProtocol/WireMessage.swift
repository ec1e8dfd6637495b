/// Every message of the leader–worker protocol (docs/wire-protocol.md describes the bytes).
///
/// The conversation: the leader sends ``challenge``; the worker answers ``register`` proving it knows the
/// run secret; the leader answers ``accepted`` (proving the same) or closes. Then the leader sends
/// ``tasks`` batches, the worker sends ``started`` and ``results`` batches, both send ``heartbeat`` when
/// otherwise idle, and the leader may send ``drain`` (finish and leave, answered by ``drained``) or
/// ``shutdown`` (leave now).
public enum WireMessage: Sendable, Equatable {
    /// Leader → worker, first: protocol version and a nonce to sign.
    case challenge(Challenge)
    /// Worker → leader: who the worker is, with its proof of the run secret.
    case register(Registration)
    /// Leader → worker: registration accepted, with the leader's proof and heartbeat settings.
    case accepted(Acceptance)
    /// Sent only to a worker that proved it knows the secret, when it is still refused (another protocol
    /// version or another app registry); the text says why.
    case rejected(String)
    /// Leader → worker: a batch of tries to run.
    case tasks([TaskAssignment])
    /// Worker → leader: these tries have started running.
    case started([TaskKey])
    /// Worker → leader: a batch of finished tries.
    case results([TaskResult])
    /// Either way: still alive (sent when nothing else was sent for a heartbeat period).
    case heartbeat
    /// Leader → worker: take no new tries, finish the held ones, then answer ``drained`` and leave.
    case drain
    /// Worker → leader: every held try has finished; the worker is leaving.
    case drained
    /// Leader → worker: leave now, abandoning held tries.
    case shutdown

    /// The one-byte type code that follows the length prefix.
    public enum Kind: UInt8, Sendable {
        /// One code per ``WireMessage`` case, in protocol order; the values are part of the wire format.
        case challenge = 1, register = 2, accepted = 3, rejected = 4, tasks = 5, started = 6, results = 7, heartbeat = 8, drain = 9,
            drained = 10, shutdown = 11
    }

    /// The type code this message is framed with.
    public var kind: Kind {
        switch self {
        case .challenge: .challenge
        case .register: .register
        case .accepted: .accepted
        case .rejected: .rejected
        case .tasks: .tasks
        case .started: .started
        case .results: .results
        case .heartbeat: .heartbeat
        case .drain: .drain
        case .drained: .drained
        case .shutdown: .shutdown
        }
    }
}

/// The leader's greeting: its protocol version and a fresh random nonce to sign.
public struct Challenge: Sendable, Equatable {
    /// The leader's protocol version (``ProtocolVersion/current``).
    public var version: UInt16
    /// 32 random bytes the worker must sign (``Authenticator/nonce()``).
    public var nonce: [UInt8]
    /// A challenge; `version` defaults to this build's protocol version.
    public init(version: UInt16 = ProtocolVersion.current, nonce: [UInt8]) {
        self.version = version
        self.nonce = nonce
    }
}

/// A worker's registration, signed with the run secret.
public struct Registration: Sendable, Equatable {
    /// The worker's protocol version; the leader rejects any other.
    public var version: UInt16
    /// HMAC-SHA256(secret, "register" ‖ leader nonce ‖ worker nonce).
    public var proof: [UInt8]
    /// The worker's own nonce, which the leader signs back in ``Acceptance``.
    public var nonce: [UInt8]
    /// ``AppRegistry.fingerprint`` of the worker's apps.
    public var fingerprint: String
    /// The worker node's host name, as shown in monitoring.
    public var hostname: String
    /// The block the worker belongs to (from `--block-id`).
    public var blockID: String
    /// Unique per worker process, e.g. "<block>.<host>.<pid>".
    public var workerID: String
    /// How many tasks it runs at once.
    public var capacity: UInt32
    /// The worker's process id on its host.
    public var pid: UInt32

    /// A registration; `version` defaults to this build's protocol version.
    public init(
        version: UInt16 = ProtocolVersion.current,
        proof: [UInt8],
        nonce: [UInt8],
        fingerprint: String,
        hostname: String,
        blockID: String,
        workerID: String,
        capacity: UInt32,
        pid: UInt32
    ) {
        self.version = version
        self.proof = proof
        self.nonce = nonce
        self.fingerprint = fingerprint
        self.hostname = hostname
        self.blockID = blockID
        self.workerID = workerID
        self.capacity = capacity
        self.pid = pid
    }
}

/// The leader's acceptance, with its own proof and the heartbeat settings the worker must follow.
public struct Acceptance: Sendable, Equatable {
    /// HMAC-SHA256(secret, "accept" ‖ worker nonce).
    public var proof: [UInt8]
    /// How often the worker must send a heartbeat when otherwise idle, in milliseconds.
    public var heartbeatPeriodMilliseconds: UInt32
    /// Silence after which each side gives the other up, in milliseconds.
    public var heartbeatThresholdMilliseconds: UInt32
    /// An acceptance with the leader's proof and heartbeat settings (milliseconds).
    public init(proof: [UInt8], heartbeatPeriodMilliseconds: UInt32, heartbeatThresholdMilliseconds: UInt32) {
        self.proof = proof
        self.heartbeatPeriodMilliseconds = heartbeatPeriodMilliseconds
        self.heartbeatThresholdMilliseconds = heartbeatThresholdMilliseconds
    }
}

/// Identifies one try of one task.
public struct TaskKey: Hashable, Sendable {
    /// The kernel's task id.
    public var taskID: UInt64
    /// The try of that task, from 0.
    public var tryID: UInt32
    /// The key of try `tryID` of task `taskID`.
    public init(taskID: UInt64, tryID: UInt32) {
        self.taskID = taskID
        self.tryID = tryID
    }
}

/// One try sent to a worker: which app to run on which encoded input.
public struct TaskAssignment: Sendable, Equatable {
    /// Which try this is.
    public var key: TaskKey
    /// The name the app is registered under in both sides' app registry.
    public var app: String
    /// The compact-encoded input (compressed on the wire when large).
    public var input: [UInt8]
    /// An assignment of try `key` of app `app` on `input`.
    public init(key: TaskKey, app: String, input: [UInt8]) {
        self.key = key
        self.app = app
        self.input = input
    }
}

/// How one try ended on a worker.
public struct TaskResult: Sendable, Equatable {
    /// The try's output, or why it failed.
    public enum Outcome: Sendable, Equatable {
        /// The compact-encoded output.
        case success([UInt8])
        /// The app threw (or the worker could not run it): the error's type and description.
        case failure(RemoteFailure)
    }
    /// Which try ended.
    public var key: TaskKey
    /// Its output or failure.
    public var outcome: Outcome
    /// A result for try `key`.
    public init(key: TaskKey, outcome: Outcome) {
        self.key = key
        self.outcome = outcome
    }
}

/// An error from a remote try: its type name and description, and (protocol 2) the error itself when its
/// type is registered with the app registry, so that the leader can rebuild the same Swift value.
public struct RemoteFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where a remote try failed: in the app, at its walltime, or in the worker.
    public enum Kind: UInt8, Sendable {
        /// The app's body threw.
        case appError = 0
        /// The try exceeded its walltime.
        case walltime = 1
        /// The worker could not run the app (unknown app, undecodable input, output too large).
        case workerError = 2
    }
    /// Why the try failed.
    public var kind: Kind
    /// `String(reflecting:)` of the thrown error's type.
    public var typeName: String
    /// `String(describing:)` of the thrown error.
    public var message: String
    /// The thrown error, compact-encoded, when its type is registered (``typeName`` names it); `nil` for
    /// errors that are not `Codable`, which arrive as this ``RemoteFailure``.
    public var encodedError: [UInt8]?

    /// Creates a failure.
    public init(kind: Kind, typeName: String, message: String, encodedError: [UInt8]? = nil) {
        self.kind = kind
        self.typeName = typeName
        self.message = message
        self.encodedError = encodedError
    }

    public var description: String { "\(typeName): \(message)" }
}
