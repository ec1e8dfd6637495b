import DataflowCore
import Foundation
import Testing

struct CheckpointTests {
    static func apps(_ counter: CallCounter) -> (AppRegistry, App<Int, Int>, App<Int, Int>) {
        var builder = AppRegistry.Builder()
        let cached = builder.register("cached", options: AppOptions(cacheable: true)) { (x: Int) in
            counter.hit("cached-\(x)")
            return x * 3
        }
        let plain = builder.register("plain") { (x: Int) in
            counter.hit("plain")
            return x
        }
        return (try! builder.build(), cached, plain)
    }

    @Test func identicalCallsRunOnceWithinARun() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            let (registry, cached, plain) = Self.apps(counter)
            let kernel = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: registry)
            #expect(try await kernel.submit(cached, 4).value == 12)
            #expect(try await kernel.submit(cached, 4).value == 12)
            #expect(try await kernel.submit(cached, 5).value == 15)
            _ = try await kernel.submit(plain, 1).value
            _ = try await kernel.submit(plain, 1).value
            await kernel.shutdown()
            #expect(counter.count("cached-4") == 1)
            #expect(counter.count("plain") == 2)
            #expect(kernel.summary.memoized == 1)
        }
    }

    @Test func aLaterRunReusesCheckpointedResults() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            let (registry, cached, _) = Self.apps(counter)
            let first = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: registry)
            for x in 0..<20 { _ = try await first.submit(cached, x).value }
            await first.shutdown()

            let second = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: registry)
            #expect(second.checkpointLoadReport.records == 20)
            #expect(second.runDirectory.hasSuffix("/001"))
            let values = try await (0..<25).map { second.submit(cached, $0) }.asyncMap { try await $0.value }
            await second.shutdown()
            #expect(values == (0..<25).map { $0 * 3 })
            #expect((0..<25).allSatisfy { counter.count("cached-\($0)") == 1 })
            #expect(second.summary.memoized == 20)
        }
    }

    @Test func aTornLastRecordIsIgnoredAndEarlierRecordsSurvive() async throws {
        try await withTemporaryDirectory { root in
            let counter = CallCounter()
            let (registry, cached, _) = Self.apps(counter)
            let first = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: registry)
            for x in 0..<10 { _ = try await first.submit(cached, x).value }
            await first.shutdown()

            // Simulate a crash in the middle of appending an 11th record.
            let file = "\(first.runDirectory)/checkpoint/tasks.ckpt"
            let handle = try #require(FileHandle(forWritingAtPath: file))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data([60, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 42, 42, 42]))
            try handle.close()

            let second = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: registry)
            let loaded = try #require(second.checkpointLoadReport.files.first)
            #expect(loaded.records == 10)
            #expect(loaded.tornBytes == 15)
            for x in 0..<12 { _ = try await second.submit(cached, x).value }
            await second.shutdown()
            #expect((0..<10).allSatisfy { counter.count("cached-\($0)") == 1 })
            #expect(counter.count("cached-11") == 1)

            // A flipped byte inside a record stops reading there, keeping the records before it.
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            bytes[bytes.count / 2] ^= 0xFF
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let third = try await DataFlowKernel(configuration: .testing(runRoot: root), apps: registry)
            let reread = try #require(third.checkpointLoadReport.files.first { $0.path == file })
            #expect(reread.records > 0 && reread.records < 10)
            await third.shutdown()
        }
    }

    @Test func killedRunResumesWithEachTaskExecutedExactlyOnce() async throws {
        try await withTemporaryDirectory { root in
            let log = "\(root)/executions.log"
            let gate = "\(root)/gate"
            let runRoot = "\(root)/runinfo"
            let binary = buildProductsDirectory() + "/DataflowTestWorkflow"
            let tasks = 40
            let gatedFrom = 25

            // First run: tasks 0..<25 finish, the rest block on the gate; kill -9 once 25 are durable.
            let child = Process()
            child.executableURL = URL(fileURLWithPath: binary)
            child.arguments = [runRoot, log, gate, "\(tasks)", "\(gatedFrom)"]
            let pipe = Pipe()
            child.standardOutput = pipe
            try child.run()
            var seen = Data()
            let deadline = Date().addingTimeInterval(60)
            while String(decoding: seen, as: UTF8.self).components(separatedBy: "done ").count - 1 < gatedFrom {
                #expect(Date() < deadline, "the first run did not finish \(gatedFrom) tasks in time")
                if Date() > deadline { break }
                seen.append(pipe.fileHandleForReading.availableData)
            }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal)

            // Second run with the gate open completes everything.
            #expect(FileManager.default.createFile(atPath: gate, contents: Data()))
            let rerun = Process()
            rerun.executableURL = URL(fileURLWithPath: binary)
            rerun.arguments = [runRoot, log, gate, "\(tasks)", "\(gatedFrom)"]
            let output = Pipe()
            rerun.standardOutput = output
            try rerun.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            rerun.waitUntilExit()
            #expect(rerun.terminationStatus == 0)
            #expect(text.contains("total \((0..<tasks).reduce(0) { $0 + $1 * 10 })"))

            let executions = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
            let counts = Dictionary(executions.map { ($0, 1) }, uniquingKeysWith: +)
            #expect(counts.count == tasks + 1)
            #expect(counts.values.allSatisfy { $0 == 1 }, "executed more than once: \(counts.filter { $0.value > 1 })")
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
