/// One entry of an ``AppRegistry``: the app's name, kind and options and its type-erased body.
///
/// The kernel runs apps in-process through ``invoke(_:context:)``; a remote worker that receives encoded
/// bytes runs them through ``invoke(encodedInput:context:)``.
public final class RegisteredApp: Sendable {
    /// The name the app was registered under: unique in its registry, and what tasks use to find it on workers.
    public let name: String
    /// Whether the body is a plain function, a bash command or a join app.
    public let kind: AppKind
    /// The options fixed at registration: caching, allowed executors and walltime.
    public let options: AppOptions
    /// `String(reflecting:)` of the input and output types, part of the registry fingerprint.
    public let signature: String
    /// Whether the input type names files (``DeclaresFiles``).
    public let declaresFiles: Bool
    /// Whether the output type lists the files it wrote (``ProducesFiles``).
    public let producesFiles: Bool
    /// Whether the output type lists items that failed inside a successful task (``ReportsPartialFailures``).
    public let reportsPartialFailures: Bool

    let body: @Sendable (any Sendable, TaskContext) async throws -> any Sendable
    let inputCoder: ValueCoder
    let outputCoder: ValueCoder

    init<Input: Codable & Sendable, Output: Codable & Sendable>(
        name: String,
        kind: AppKind,
        options: AppOptions,
        input: Input.Type,
        output: Output.Type,
        body: @escaping @Sendable (Input, TaskContext) async throws -> Output
    ) {
        self.name = name
        self.kind = kind
        self.options = options
        self.signature = "\(kind.rawValue) \(name)(\(String(reflecting: Input.self))) -> \(String(reflecting: Output.self))"
        self.inputCoder = ValueCoder(Input.self)
        self.outputCoder = ValueCoder(Output.self)
        let declaresFiles = Input.self is any DeclaresFiles.Type
        self.declaresFiles = declaresFiles
        self.producesFiles = Output.self is any ProducesFiles.Type
        self.reportsPartialFailures = Output.self is any ReportsPartialFailures.Type
        self.body = { input, context in
            guard let typed = input as? Input else {
                throw AppError(
                    .typeMismatch,
                    "app '\(name)' expects \(Input.self) but was given \(type(of: input))"
                )
            }
            let output = try await body(typed, context)
            if declaresFiles, let files = typed as? any DeclaresFiles {
                // Checked where the task ran: that is where its files were written.
                let missing = files.outputFiles.filter { !FileFingerprint.exists($0.path) }
                if !missing.isEmpty { throw MissingOutputs(appName: name, missing: missing) }
            }
            return output
        }
    }

    /// The files an input of this app reads (empty unless the input type is ``DeclaresFiles``).
    public func inputFiles(of input: any Sendable) -> [DataFile] {
        guard declaresFiles, let files = input as? any DeclaresFiles else { return [] }
        return files.inputFiles
    }

    /// The files an input of this app must write (empty unless the input type is ``DeclaresFiles``).
    public func outputFiles(of input: any Sendable) -> [DataFile] {
        guard declaresFiles, let files = input as? any DeclaresFiles else { return [] }
        return files.outputFiles
    }

    /// The files an output of this app says it wrote (empty unless the output type is ``ProducesFiles``).
    public func producedFiles(of output: any Sendable) -> [DataFile] {
        guard producesFiles, let files = output as? any ProducesFiles else { return [] }
        return files.producedFiles
    }

    /// The items an output of this app says failed (empty unless the output type is ``ReportsPartialFailures``).
    public func partialFailures(of output: any Sendable) -> [PartialFailure] {
        guard reportsPartialFailures, let report = output as? any ReportsPartialFailures else { return [] }
        return report.partialFailures
    }

    /// Runs the app on an in-memory input.
    public func invoke(_ input: any Sendable, context: TaskContext) async throws -> any Sendable {
        try await body(input, context)
    }

    /// Decodes the input, runs the app and encodes its output: what a worker does with a task from the wire.
    public func invoke(encodedInput: [UInt8], context: TaskContext) async throws -> [UInt8] {
        let input = try decodeInput(encodedInput)
        let output = try await body(input, context)
        return try encodeOutput(output)
    }

    /// Encodes an input value with ``CompactEncoder``; throws ``AppError`` `.typeMismatch` if it is not the app's input type.
    public func encodeInput(_ value: any Sendable) throws -> [UInt8] { try inputCoder.encode(value, app: name) }
    /// Decodes bytes made by ``encodeInput(_:)``; throws ``AppError`` (`.malformedPayload` or `.typeMismatch`) when they do not hold the app's input type.
    public func decodeInput(_ bytes: [UInt8]) throws -> any Sendable { try inputCoder.decode(bytes, app: name) }
    /// Encodes a result value with ``CompactEncoder``; throws ``AppError`` `.typeMismatch` if it is not the app's output type.
    public func encodeOutput(_ value: any Sendable) throws -> [UInt8] { try outputCoder.encode(value, app: name) }
    /// Decodes result bytes made by ``encodeOutput(_:)``; throws ``AppError`` (`.malformedPayload` or `.typeMismatch`) when the bytes do not hold the app's output type.
    public func decodeOutput(_ bytes: [UInt8]) throws -> any Sendable { try outputCoder.decode(bytes, app: name) }
}

/// Encodes and decodes values of one concrete type behind `any Sendable`.
struct ValueCoder: Sendable {
    let encode: @Sendable (any Sendable) throws -> [UInt8]
    let decode: @Sendable ([UInt8]) throws -> any Sendable
    let typeName: String

    init<T: Codable & Sendable>(_ type: T.Type) {
        typeName = String(reflecting: T.self)
        encode = { value in
            guard let typed = value as? T else {
                throw AppError(.typeMismatch, "expected \(T.self), got \(Swift.type(of: value))")
            }
            return try CompactEncoder().encode(typed)
        }
        decode = { bytes in try CompactDecoder().decode(T.self, from: bytes) }
    }

    func encode(_ value: any Sendable, app: String) throws -> [UInt8] {
        do { return try encode(value) } catch let error as AppError { throw error } catch {
            throw AppError(.typeMismatch, "app '\(app)': cannot encode \(typeName): \(error)")
        }
    }

    func decode(_ bytes: [UInt8], app: String) throws -> any Sendable {
        do { return try decode(bytes) } catch let error as AppError {
            throw AppError(error.code, "app '\(app)': \(error.message)")
        } catch {
            throw AppError(.typeMismatch, "app '\(app)': cannot decode \(typeName): \(error)")
        }
    }
}
