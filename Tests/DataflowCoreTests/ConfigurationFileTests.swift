import DataflowCore
import Foundation
import Testing

struct ConfigurationFileTests {
    func load(_ json: String) throws -> DataFlowKernel.Configuration {
        let path = NSTemporaryDirectory() + "config-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try DataFlowKernel.Configuration.load(path: path)
    }

    func message(_ json: String) -> String {
        do {
            _ = try load(json)
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func readsParslOptionNames() throws {
        let c = try load(
            """
            { "run_dir": "r", "retries": 3, "app_cache": false, "checkpoint_mode": "periodic",
              "checkpoint_period": "00:01:30", "monitoring": false, "_note": "comments are fine",
              "executors": [ { "class": "ThreadPoolExecutor", "label": "t", "max_threads": 7 } ] }
            """
        )
        #expect(c.runDirectory == "r")
        #expect(c.retries == 3)
        #expect(c.appCache == false)
        #expect(c.checkpointMode == .periodic(.seconds(90)))
        #expect(c.monitoring == false)
        let executor = try #require(c.executors.first as? ThreadPoolExecutor)
        #expect(executor.label == "t")
        #expect(executor.configuration.maxThreads == 7)
        #expect(try load(#"{"checkpoint_mode": null}"#).checkpointMode == nil)
        #expect(try load("{}").checkpointMode == .taskExit)
    }

    @Test func errorsNameTheKeyAndSuggestFixes() {
        #expect(message(#"{"retires": 2}"#).contains("unknown key 'retires' (did you mean 'retries'?)"))
        #expect(message(#"{"retries": "two"}"#).contains("'retries' must be an integer, not a string"))
        #expect(message(#"{"retries": -1}"#).contains("'retries' must be at least 0"))
        #expect(message(#"{"checkpoint_mode": "sometimes"}"#).contains("'checkpoint_mode' must be one of"))
        #expect(message(#"{"checkpoint_mode": "periodic"}"#).contains("'checkpoint_period' is not set"))
        #expect(message(#"{"checkpoint_period": "1:99:00", "checkpoint_mode": "periodic"}"#).contains("HH:MM:SS"))
        #expect(message(#"{"executors": [{"class": "Nope"}]}"#).contains("'executors[0].class' is 'Nope'"))
        #expect(message(#"{"executors": [{"max_thread": 2}]}"#).contains("unknown key 'executors[0].max_thread'"))
        #expect(message("{not json").contains("not valid JSON"))
    }
}
