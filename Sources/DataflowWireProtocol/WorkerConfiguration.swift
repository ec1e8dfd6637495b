import Foundation

/// How a worker process joins an interchange and runs tasks (Parsl `process_worker_pool` options), and the
/// worker command line that carries them: the leader builds it (``arguments``), the worker parses it
/// (``parse(arguments:environment:)``). It lives with the wire protocol because it is the other half of the
/// leader–worker contract; in the worker it is `WorkerService.Configuration`.
public struct WorkerConfiguration: Sendable, Hashable {
    /// Interchange host to dial.
    public var host: String
    /// Interchange port.
    public var port: Int
    /// The block this worker belongs to (set by the provider).
    public var blockID: String
    /// Tasks run at once on this node (Parsl `max_workers`).
    public var maxWorkers: Int
    /// Cores each task needs (Parsl `cores_per_worker`); caps workers at cores ÷ this.
    public var coresPerWorker: Double
    /// Extra tasks held ready beyond the running ones (Parsl `prefetch_capacity`). Default 1 per slot.
    public var prefetch: Int
    /// `.process` (default) runs each slot in its own child process, so a crash in one task (a trap, a
    /// segfault in C code) loses only that task's try; `.none` runs every task in this process.
    public var isolation: Isolation
    /// How long to keep trying to reach the interchange at start (the leader may still be starting).
    public var connectTimeout: Duration
    /// Whether to speak TLS keyed by the run secret (``TransportSecurity``); must match the leader.
    public var encrypted: Bool
    /// The run secret; normally from ``Authenticator/environmentVariable``.
    public var secret: String
    /// Set in slot child processes: which slot of the node this process is.
    public var slot: Int?

    /// Whether worker slots run in child processes (`--isolation`).
    public enum Isolation: String, Sendable, Hashable, CaseIterable {
        /// `process`: one child process per slot, so a crash loses one try; `none`: every task in this process.
        case process, none
    }

    /// A worker configuration for the interchange at `host`:`port`; other options default as their
    /// properties say (max workers: the active core count; connect timeout 30 s; TLS on).
    public init(
        host: String,
        port: Int,
        blockID: String = "0",
        maxWorkers: Int = ProcessInfo.processInfo.activeProcessorCount,
        coresPerWorker: Double = 1,
        prefetch: Int = 1,
        isolation: Isolation = .process,
        connectTimeout: Duration = .seconds(30),
        encrypted: Bool = true,
        secret: String,
        slot: Int? = nil
    ) {
        self.host = host
        self.port = port
        self.blockID = blockID
        self.maxWorkers = maxWorkers
        self.coresPerWorker = coresPerWorker
        self.prefetch = prefetch
        self.isolation = isolation
        self.connectTimeout = connectTimeout
        self.encrypted = encrypted
        self.secret = secret
        self.slot = slot
    }

    /// Slots on this node: `maxWorkers`, capped by cores ÷ `coresPerWorker`.
    public var effectiveWorkers: Int {
        let byCores = coresPerWorker > 0 ? Int(Double(ProcessInfo.processInfo.activeProcessorCount) / coresPerWorker) : maxWorkers
        return max(1, min(maxWorkers, max(1, byCores)))
    }

    /// Parses the worker command line that providers launch:
    /// `--address HOST:PORT [--block-id ID] [--max-workers N] [--cores-per-worker C] [--prefetch P]
    /// [--isolation process|none] [--connect-timeout S] [--encrypted true|false] [--slot K]`. The secret comes from the environment.
    public static func parse(arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> WorkerConfiguration
    {
        var values: [String: String] = [:]
        var i = 0
        let known = [
            "--address", "--block-id", "--max-workers", "--cores-per-worker", "--prefetch", "--isolation", "--connect-timeout", "--slot", "--encrypted",
        ]
        while i < arguments.count {
            let key = arguments[i]
            guard known.contains(key) else { throw WorkerError("unknown worker option '\(key)'; known: \(known.joined(separator: " "))") }
            guard i + 1 < arguments.count else { throw WorkerError("\(key) needs a value") }
            values[key] = arguments[i + 1]
            i += 2
        }
        guard let address = values["--address"] else { throw WorkerError("--address HOST:PORT is required") }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else {
            throw WorkerError("--address must be HOST:PORT, not '\(address)'")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let secret = environment[Authenticator.environmentVariable], !secret.isEmpty else {
            throw WorkerError("the run secret is missing: set \(Authenticator.environmentVariable) (providers do this)")
        }
        func int(_ key: String, default value: Int, minimum: Int) throws -> Int {
            guard let text = values[key] else { return value }
            guard let n = Int(text), n >= minimum else { throw WorkerError("\(key) must be an integer ≥ \(minimum), not '\(text)'") }
            return n
        }
        var configuration = WorkerConfiguration(host: host, port: port, secret: secret)
        configuration.blockID = values["--block-id"] ?? "0"
        configuration.maxWorkers = try int("--max-workers", default: configuration.maxWorkers, minimum: 1)
        configuration.prefetch = try int("--prefetch", default: configuration.prefetch, minimum: 0)
        if let text = values["--cores-per-worker"] {
            guard let c = Double(text), c > 0 else { throw WorkerError("--cores-per-worker must be a positive number, not '\(text)'") }
            configuration.coresPerWorker = c
        }
        if let text = values["--isolation"] {
            guard let isolation = Isolation(rawValue: text) else { throw WorkerError("--isolation must be process or none, not '\(text)'") }
            configuration.isolation = isolation
        }
        configuration.connectTimeout = .seconds(try int("--connect-timeout", default: 30, minimum: 1))
        if let text = values["--encrypted"] {
            guard let flag = Bool(text) else { throw WorkerError("--encrypted must be true or false, not '\(text)'") }
            configuration.encrypted = flag
        }
        if values["--slot"] != nil { configuration.slot = try int("--slot", default: 0, minimum: 0) }
        return configuration
    }

    /// The arguments that ``parse(arguments:environment:)`` reads back.
    public var arguments: [String] {
        var args = [
            "--address", host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)",
            "--block-id", blockID,
            "--max-workers", "\(maxWorkers)",
            "--cores-per-worker", "\(coresPerWorker)",
            "--prefetch", "\(prefetch)",
            "--isolation", isolation.rawValue,
            "--connect-timeout", "\(connectTimeout.components.seconds)",
            "--encrypted", "\(encrypted)",
        ]
        if let slot { args += ["--slot", "\(slot)"] }
        return args
    }
}

/// A worker could not start or had to stop: bad options, missing secret, unreachable or refusing interchange.
public struct WorkerError: Error, Sendable, CustomStringConvertible {
    /// The kind of error; compare with the static constants, e.g. `.unreachable`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        /// The command line or environment is wrong.
        public static let invalidOptions = Code("invalidOptions")
        /// The interchange could not be reached within the connect timeout.
        public static let unreachable = Code("unreachable")
        /// The interchange refused this worker, or could not prove it knows the run secret.
        public static let refused = Code("refused")
    }
    /// What kind of error this is.
    public var code: Code
    /// What went wrong, for people (names the option or the interchange).
    public var message: String
    /// An error explained by `message`, of kind `code` (default `invalidOptions`).
    public init(_ message: String, code: Code = .invalidOptions) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(code): \(message)" }
}
