/// The set of apps a workflow can run, looked up by name.
///
/// Build it the same way in the leader and in every worker (the same binary calls the same registration
/// function), so that a task naming an app finds the same closure everywhere. ``fingerprint`` summarises
/// names and signatures so that a leader and a worker built from different code can refuse each other.
///
/// ```swift
/// var builder = AppRegistry.Builder()
/// let square = builder.register("square") { (x: Int) in x * x }
/// let registry = try builder.build()
/// ```
public struct AppRegistry: Sendable {
    private let apps: [String: RegisteredApp]
    /// Error types that cross processes as values, by `String(reflecting:)` of the type.
    let errorTypes: [String: RegisteredErrorType]

    /// A stable digest of every app's kind, name and input/output types, and of the registered error types.
    public let fingerprint: String

    /// Every registered app name, sorted.
    public var names: [String] { apps.keys.sorted() }

    /// The app registered under `name`, if any.
    public subscript(name: String) -> RegisteredApp? { apps[name] }

    /// The app registered under `name`, or an ``AppError`` with code `.unknownApp`.
    public func app(named name: String) throws(AppError) -> RegisteredApp {
        guard let app = apps[name] else {
            throw AppError(.unknownApp, "no app named '\(name)' in this registry (known: \(names.joined(separator: ", ")))")
        }
        return app
    }

    /// The error types registered with ``Builder/register(error:)``, plus the runtime's own, sorted by name.
    public var errorTypeNames: [String] { errorTypes.keys.sorted() }

    init(apps: [String: RegisteredApp], errorTypes: [String: RegisteredErrorType]) {
        self.apps = apps
        self.errorTypes = errorTypes
        // FNV-1a over the sorted signatures: stable across processes, unlike Hasher.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for signature in apps.values.map(\.signature).sorted() + errorTypes.keys.sorted().map({ "error " + $0 }) {
            for byte in signature.utf8 + [0] {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
        }
        let hex = String(hash, radix: 16)
        fingerprint = String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Collects app registrations; ``build()`` checks them and makes the registry.
    public struct Builder: Sendable {
        private var apps: [RegisteredApp] = []
        private var errorTypes: [RegisteredErrorType] = [
            RegisteredErrorType(AppError.self), RegisteredErrorType(BashFailure.self), RegisteredErrorType(MissingOutputs.self),
        ]

        /// An empty builder.
        public init() {}

        /// Lets errors of type `E` thrown by app bodies reach the leader as `E` with every field, on every
        /// executor (on threads they always do). Without this a worker's error arrives as a
        /// ``RemoteFailure``-like error with the type's name and description only. Register the same types in
        /// the leader and the workers (the registry fingerprint includes them).
        ///
        /// ```swift
        /// struct CalibrationError: Error, Codable { var station: String; var drift: Double }
        /// builder.register(error: CalibrationError.self)
        /// ```
        public mutating func register<E: Error & Codable & Sendable>(error type: E.Type) {
            let registered = RegisteredErrorType(type)
            guard !errorTypes.contains(where: { $0.typeName == registered.typeName }) else { return }
            errorTypes.append(registered)
        }

        /// Registers a Swift closure as an app (Parsl `python_app`) and returns its typed handle.
        @discardableResult
        public mutating func register<Input: Codable & Sendable, Output: Codable & Sendable>(
            _ name: String,
            options: AppOptions = AppOptions(),
            _ body: @escaping @Sendable (Input) async throws -> Output
        ) -> App<Input, Output> {
            register(name, kind: .function, options: options) { input, _ in try await body(input) }
        }

        /// Registers a closure that also receives the ``TaskContext`` of the running task.
        @discardableResult
        public mutating func register<Input: Codable & Sendable, Output: Codable & Sendable>(
            _ name: String,
            options: AppOptions = AppOptions(),
            withContext body: @escaping @Sendable (Input, TaskContext) async throws -> Output
        ) -> App<Input, Output> {
            register(name, kind: .function, options: options, body)
        }

        /// Registers an app of any kind; the Dataflow module builds join apps on this.
        package mutating func register<Input: Codable & Sendable, Output: Codable & Sendable>(
            _ name: String,
            kind: AppKind,
            options: AppOptions,
            _ body: @escaping @Sendable (Input, TaskContext) async throws -> Output
        ) -> App<Input, Output> {
            let app = RegisteredApp(
                name: name,
                kind: kind,
                options: options,
                input: Input.self,
                output: Output.self,
                body: body
            )
            apps.append(app)
            return App(registered: app)
        }

        /// Checks that names are unique and returns the registry.
        public func build() throws(AppError) -> AppRegistry {
            var byName: [String: RegisteredApp] = [:]
            for app in apps {
                guard byName[app.name] == nil else {
                    throw AppError(.duplicateAppName, "two apps are registered as '\(app.name)'")
                }
                byName[app.name] = app
            }
            return AppRegistry(apps: byName, errorTypes: Dictionary(errorTypes.map { ($0.typeName, $0) }) { first, _ in first })
        }
    }
}
