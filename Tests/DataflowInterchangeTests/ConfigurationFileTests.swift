import DataflowCore
import DataflowInterchange
import DataflowProviders
import DataflowWireProtocol
import DataflowWorker
import Foundation
import Testing

struct HighThroughputConfigurationFileTests {
    func load(_ json: String) throws -> DataFlowKernel.Configuration {
        let path = NSTemporaryDirectory() + "htex-config-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var factories = DataFlowKernel.Configuration.builtInExecutors
        factories["HighThroughputExecutor"] = HighThroughputExecutor.configurationFactory()
        return try DataFlowKernel.Configuration.load(path: path, executorFactories: factories)
    }

    @Test func readsParslNamesForTheExecutorAndItsProvider() throws {
        let c = try load(
            """
            { "run_dir": "runs", "executors": [ { "class": "HighThroughputExecutor", "label": "htex",
              "address": "0.0.0.0", "worker_port": 54000, "max_workers_per_node": 3, "cores_per_worker": 0.5,
              "prefetch_capacity": 2, "heartbeat_period": 2, "heartbeat_threshold": 10, "worker_isolation": "none",
              "strategy": "htex_auto_scale", "max_idletime": 30, "strategy_period": 1,
              "provider": { "class": "LocalProvider", "init_blocks": 2, "min_blocks": 1, "max_blocks": 4,
                            "nodes_per_block": 1, "parallelism": 0.5, "worker_init": "ulimit -n 4096" } } ] }
            """
        )
        let htex = try #require(c.executors.first as? HighThroughputExecutor)
        #expect(htex.configuration.address == "0.0.0.0")
        #expect(htex.configuration.port == 54000)
        #expect(htex.configuration.maxWorkersPerNode == 3)
        #expect(htex.configuration.prefetchCapacity == 2)
        #expect(htex.configuration.heartbeatThreshold == .seconds(10))
        #expect(htex.configuration.isolation == .none)
        #expect(htex.configuration.strategy == .htexAutoScale)
        let provider = try #require(htex.provider as? LocalProvider)
        #expect(provider.blockLimits == BlockLimits(nodesPerBlock: 1, initBlocks: 2, minBlocks: 1, maxBlocks: 4, parallelism: 0.5))
        #expect(provider.configuration.logDirectory == "runs/local")
        #expect(provider.configuration.workerInit == "ulimit -n 4096")
    }

    @Test func theShippedParametersFileLoads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var factories = DataFlowKernel.Configuration.builtInExecutors
        factories["HighThroughputExecutor"] = HighThroughputExecutor.configurationFactory { $0.maxWorkersPerNode = 3 }
        let c = try DataFlowKernel.Configuration.load(
            path: root.appendingPathComponent("parameters/parsl_config.json").path,
            executorFactories: factories,
            allowing: ["batches"]
        )
        #expect(c.retries == 2)
        let htex = try #require(c.executors.first as? HighThroughputExecutor)
        #expect(htex.configuration.maxWorkersPerNode == 3)
        #expect(htex.provider is LocalProvider)
    }

    @Test func errorsNameTheExecutorAndProviderKeys() {
        func message(_ json: String) -> String {
            do {
                _ = try load(json)
                return ""
            } catch { return "\(error)" }
        }
        #expect(message(#"{"executors": [{"class": "HighThroughputExecutor", "max_workers": 2}]}"#).contains("unknown key 'executors[0].max_workers'"))
        #expect(
            message(#"{"executors": [{"class": "HighThroughputExecutor", "provider": {"class": "SlurmProvider"}}]}"#).contains("known providers: LocalProvider")
        )
        #expect(message(#"{"executors": [{"class": "HighThroughputExecutor", "provider": {"init_block": 1}}]}"#).contains("did you mean 'init_blocks'"))
        #expect(
            message(#"{"executors": [{"class": "HighThroughputExecutor", "heartbeat_period": 10, "heartbeat_threshold": 5}]}"#).contains("heartbeat_threshold"))
        #expect(message(#"{"executors": [{"class": "HighThroughputExecutor", "worker_isolation": "thread"}]}"#).contains("must be one of"))
    }
}
