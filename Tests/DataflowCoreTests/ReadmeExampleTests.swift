import DataflowCore
import Testing

/// The README's 15-line example, as written there (with a temporary run directory), so it cannot rot.
struct ReadmeExampleTests {
    @Test func theReadmeWorkflowComputesWhatItPrints() async throws {
        try await withTemporaryDirectory { root in
            var apps = AppRegistry.Builder()
            let square = apps.register("square", options: AppOptions(cacheable: true)) { (x: Int) in x * x }
            let total = apps.register("total") { (xs: [Int]) in xs.reduce(0, +) }
            let fanOut = apps.joinApp("fan_out") { (n: Int, kernel: DataFlowKernel) in
                try await kernel.submit(total, gathering: (1...n).map { kernel.submit(square, $0) }).value
            }

            try await withDataFlowKernel(
                configuration: .init(runDirectory: root + "/runinfo", retries: 2),
                apps: apps.build()
            ) { kernel async throws in
                let squares = (1...10).map { kernel.submit(square, $0) }
                #expect(try await kernel.submit(total, gathering: squares).value == 385)
                #expect(try await kernel.submit(fanOut, 5).value == 55)
            }
        }
    }
}
