import Testing

@testable import DataflowApps

struct AppRegistryTests {
    static func registry(extra: Bool = false) throws -> AppRegistry {
        var builder = AppRegistry.Builder()
        builder.register("square") { (x: Int) in x * x }
        builder.register("concat") { (xs: [String]) in xs.joined() }
        if extra { builder.register("extra") { (x: Double) in x } }
        return try builder.build()
    }

    @Test func duplicateNamesAreRefused() {
        var builder = AppRegistry.Builder()
        builder.register("a") { (x: Int) in x }
        builder.register("a") { (x: String) in x }
        #expect { try builder.build() } throws: { ($0 as? AppError)?.code == .duplicateAppName }
    }

    @Test func fingerprintIsStableAndSeesSignatureChanges() throws {
        #expect(try Self.registry().fingerprint == Self.registry().fingerprint)
        #expect(try Self.registry().fingerprint != Self.registry(extra: true).fingerprint)
        #expect(try Self.registry().fingerprint.count == 16)
    }

    @Test func runsAnAppByNameFromEncodedBytes() async throws {
        let registry = try Self.registry()
        let app = try registry.app(named: "square")
        let context = TaskContext(taskID: 1, tryID: 0, runDirectory: "/tmp", location: "test")
        let output = try await app.invoke(encodedInput: CompactEncoder().encode(12), context: context)
        #expect(try CompactDecoder().decode(Int.self, from: output) == 144)
    }

    @Test func unknownAppNamesTheKnownOnes() throws {
        let registry = try Self.registry()
        #expect { try registry.app(named: "cube") } throws: { error in
            let e = error as? AppError
            return e?.code == .unknownApp && e!.message.contains("concat, square")
        }
    }

    @Test func wrongInputTypeIsATypeMismatch() async throws {
        let app = try Self.registry().app(named: "square")
        let context = TaskContext(taskID: 1, tryID: 0, runDirectory: "/tmp", location: "test")
        await #expect { _ = try await app.invoke("x", context: context) } throws: { ($0 as? AppError)?.code == .typeMismatch }
        await #expect { _ = try await app.invoke(encodedInput: CompactEncoder().encode("x"), context: context) } throws: { _ in true }
    }
}
