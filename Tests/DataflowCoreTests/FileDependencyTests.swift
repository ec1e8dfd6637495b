import DataflowCore
import DataflowMonitoring
import Foundation
import Testing

/// Writes `text` to `target`.
struct WriteText: Codable, Sendable, DeclaresFiles {
    var text: String
    var target: DataFile
    var outputFiles: [DataFile] { [target] }
}

/// Reads `source` and writes it upper-cased to `target`.
struct UpperCase: Codable, Sendable, DeclaresFiles {
    var source: DataFile
    var target: DataFile
    var inputFiles: [DataFile] { [source] }
    var outputFiles: [DataFile] { [target] }
}

/// Declares an output it never writes.
struct Forgetful: Codable, Sendable, DeclaresFiles {
    var target: DataFile
    var outputFiles: [DataFile] { [target] }
}

/// What a batch wrote, known only after it ran.
struct BatchWritten: Codable, Sendable, ProducesFiles {
    var paths: [String]
    var producedFiles: [DataFile] { paths.map(DataFile.init) }
}

struct FileDependencyTests {
    struct Apps {
        var registry: AppRegistry
        var write: App<WriteText, Int>
        var upper: App<UpperCase, Int>
        var forgetful: App<Forgetful, Int>
        var batch: App<[String], BatchWritten>
    }

    static func apps(_ counter: CallCounter, fingerprint: FileFingerprint.Mode? = nil) -> Apps {
        var builder = AppRegistry.Builder()
        let options = AppOptions(cacheable: true, fileFingerprint: fingerprint)
        let write = builder.register("write", options: options) { (input: WriteText) in
            counter.hit("write")
            try Data(input.text.utf8).write(to: URL(fileURLWithPath: input.target.path))
            return input.text.count
        }
        let upper = builder.register("upper", options: options) { (input: UpperCase) in
            counter.hit("upper")
            let text = try String(contentsOfFile: input.source.path, encoding: .utf8)
            try Data(text.uppercased().utf8).write(to: URL(fileURLWithPath: input.target.path))
            return text.count
        }
        let forgetful = builder.register("forgetful", options: options) { (_: Forgetful) in 1 }
        let batch = builder.register("batch", options: options) { (paths: [String]) in
            counter.hit("batch")
            var written: [String] = []
            // Items whose name contains "bad" fail alone and write nothing; the batch still succeeds.
            for path in paths where !path.contains("bad") {
                try Data(path.utf8).write(to: URL(fileURLWithPath: path))
                written.append(path)
            }
            return BatchWritten(paths: written)
        }
        return Apps(registry: try! builder.build(), write: write, upper: upper, forgetful: forgetful, batch: batch)
    }

    /// write(a.txt) → upper(a.txt → b.txt), the second waiting on the first's data future.
    static func pipeline(_ kernel: DataFlowKernel, _ apps: Apps, root: String) async throws -> String {
        let written = kernel.submit(apps.write, WriteText(text: "ice wedge", target: DataFile("\(root)/a.txt")))
        #expect(written.outputs.count == 1)
        let upper = kernel.submit(
            apps.upper, UpperCase(source: DataFile("\(root)/a.txt"), target: DataFile("\(root)/b.txt")), after: written.outputs)
        _ = try await upper.value
        #expect(try await upper.outputs[0].value == DataFile("\(root)/b.txt"))
        return try String(contentsOfFile: "\(root)/b.txt", encoding: .utf8)
    }

    @Test func dataFuturesOrderTasksAndCompleteWithTheirFile() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            let apps = Self.apps(counter)
            let kernel = try await DataFlowKernel(configuration: .testing(runRoot: "\(root)/runinfo"), apps: apps.registry)
            #expect(try await Self.pipeline(kernel, apps, root: root) == "ICE WEDGE")
            await kernel.shutdown()
            #expect(counter.count("write") == 1 && counter.count("upper") == 1)
        }
    }

    @Test func aFailedWriterFailsItsReadersAsDependencyFailures() async throws {
        try await withTemporaryDirectory { root in
            let apps = Self.apps(CallCounter())
            let kernel = try await DataFlowKernel(configuration: .testing(runRoot: "\(root)/runinfo"), apps: apps.registry)
            let forgot = kernel.submit(apps.forgetful, Forgetful(target: DataFile("\(root)/never.txt")))
            let reader = kernel.submit(
                apps.upper, UpperCase(source: DataFile("\(root)/never.txt"), target: DataFile("\(root)/out.txt")), after: forgot.outputs)
            await #expect(throws: MissingOutputs(appName: "forgetful", missing: [DataFile("\(root)/never.txt")])) {
                _ = try await forgot.output
            }
            await #expect(throws: MissingOutputs.self) { _ = try await forgot.outputs[0].output }
            do {
                _ = try await reader.value
                Issue.record("the reader ran")
            } catch let error as TaskError {
                #expect(error.code == .dependencyFailed)
            }
            await kernel.shutdown()
        }
    }

    @Test func aBashAppThatExitsZeroWithoutItsDeclaredOutputFails() async throws {
        try await withTemporaryDirectory { root in
            var builder = AppRegistry.Builder()
            let touch = builder.bashApp("touch") { (input: WriteText) in
                BashCommand(input.text == "skip" ? "true" : "printf %s '\(input.text)' > '\(input.target.path)'")
            }
            let kernel = try await DataFlowKernel(configuration: .testing(runRoot: "\(root)/runinfo"), apps: try builder.build())
            let good = kernel.submit(touch, WriteText(text: "hello", target: DataFile("\(root)/hello.txt")))
            let bad = kernel.submit(touch, WriteText(text: "skip", target: DataFile("\(root)/skipped.txt")))
            #expect(try await good.value.exitCode == 0)
            #expect(try String(contentsOfFile: "\(root)/hello.txt", encoding: .utf8) == "hello")
            do {
                _ = try await bad.output
                Issue.record("a bash app without its output succeeded")
            } catch let error as MissingOutputs {
                #expect(error.missing == [DataFile("\(root)/skipped.txt")])
                #expect(error.description.contains("skipped.txt"))
            }
            await kernel.shutdown()
        }
    }

    @Test func deletedOutputsAreMadeAgainAndOnlyWhatDependsOnThem() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            let apps = Self.apps(counter)
            func run() async throws -> DataFlowKernel {
                let kernel = try await DataFlowKernel(
                    configuration: .testing(runRoot: "\(root)/runinfo", monitoring: true), apps: apps.registry)
                #expect(try await Self.pipeline(kernel, apps, root: root) == "ICE WEDGE")
                await kernel.shutdown()
                return kernel
            }
            _ = try await run()
            // Nothing changed: everything is reused.
            let unchanged = try await run()
            #expect(unchanged.summary.memoized == 2 && counter.count("write") == 1 && counter.count("upper") == 1)

            // The last output is gone: only its task runs again.
            try FileManager.default.removeItem(atPath: "\(root)/b.txt")
            let lastGone = try await run()
            #expect(counter.count("write") == 1 && counter.count("upper") == 2)
            #expect(lastGone.summary.memoized == 1 && lastGone.summary.rerunForMissingOutputs == 1)

            // The first output is gone: it is made again, which changes the second task's input.
            try FileManager.default.removeItem(atPath: "\(root)/a.txt")
            let firstGone = try await run()
            #expect(counter.count("write") == 2 && counter.count("upper") == 3)
            #expect(firstGone.summary.rerunForMissingOutputs == 1 && firstGone.summary.rerunForChangedInputs == 1)

            // `status` reads the reasons back from monitoring.
            let report = try StatusReport.load(databasePath: "\(root)/runinfo/monitoring.db", runID: firstGone.runID)
            #expect(report.reruns == ["output_missing": 1, "input_changed": 1])
            #expect(report.render().contains("1 because an output file was missing or changed, 1 because an input file changed"))
        }
    }

    @Test func anOutputChangedBehindTheRunsBackIsMadeAgain() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            let apps = Self.apps(counter)
            for round in 0..<2 {
                let kernel = try await DataFlowKernel(configuration: .testing(runRoot: "\(root)/runinfo"), apps: apps.registry)
                _ = try await kernel.submit(apps.write, WriteText(text: "abc", target: DataFile("\(root)/a.txt"))).value
                await kernel.shutdown()
                if round == 0 { try Data("tampered".utf8).write(to: URL(fileURLWithPath: "\(root)/a.txt")) }
            }
            #expect(counter.count("write") == 2)
            #expect(try String(contentsOfFile: "\(root)/a.txt", encoding: .utf8) == "abc")
        }
    }

    /// An input edited in place: metadata mode re-runs on any rewrite, content mode only when the bytes differ.
    @Test(arguments: [FileFingerprint.Mode.metadata, .contentHash])
    func anInputChangedInPlaceRunsItsReaderAgain(mode: FileFingerprint.Mode) async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            let apps = Self.apps(counter, fingerprint: mode)
            let source = "\(root)/source.txt"
            func setSource(_ text: String, modified: TimeInterval) throws {
                try Data(text.utf8).write(to: URL(fileURLWithPath: source))
                try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: modified)], ofItemAtPath: source)
            }
            func run() async throws -> DataFlowKernel.Summary {
                let kernel = try await DataFlowKernel(configuration: .testing(runRoot: "\(root)/runinfo"), apps: apps.registry)
                _ = try await kernel.submit(apps.upper, UpperCase(source: DataFile(source), target: DataFile("\(root)/out.txt"))).value
                await kernel.shutdown()
                return kernel.summary
            }
            try setSource("polygon", modified: 1_000_000)
            _ = try await run()
            // Same bytes, new time: a rewrite.
            try setSource("polygon", modified: 2_000_000)
            let rewritten = try await run()
            #expect(counter.count("upper") == (mode == .metadata ? 2 : 1))
            #expect(rewritten.rerunForChangedInputs == (mode == .metadata ? 1 : 0))
            // Other bytes of the same size, same time as before: only a content hash sees it.
            try setSource("POLYGON", modified: 2_000_000)
            _ = try await run()
            // metadata: unchanged size and time, reused (2 runs so far); content: the first change it sees (2).
            #expect(counter.count("upper") == 2)
            // Another size: both see it.
            try setSource("polygons", modified: 2_000_000)
            _ = try await run()
            #expect(counter.count("upper") == 3)
            #expect(try String(contentsOfFile: "\(root)/out.txt", encoding: .utf8) == "POLYGONS")
        }
    }

    @Test func filesAnOutputReportsAreCheckedOnReuse() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            let apps = Self.apps(counter)
            let paths = ["\(root)/1.txt", "\(root)/bad.txt", "\(root)/2.txt"]
            for round in 0..<3 {
                let kernel = try await DataFlowKernel(configuration: .testing(runRoot: "\(root)/runinfo"), apps: apps.registry)
                let written = try await kernel.submit(apps.batch, paths).value
                #expect(written.paths == [paths[0], paths[2]])
                await kernel.shutdown()
                // Round 1 reuses (the failed item was never required); after it, an output goes missing.
                if round == 1 { try FileManager.default.removeItem(atPath: paths[2]) }
            }
            #expect(counter.count("batch") == 2)
            #expect(FileManager.default.fileExists(atPath: paths[2]))
        }
    }
}
