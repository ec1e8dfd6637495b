extension AppRegistry.Builder {
    /// Registers a join app (Parsl `join_app`): its body runs in the leader, gets the kernel, may submit more
    /// apps and await them, and its future completes with what the body returns. A failure of an app it
    /// awaited fails it with code `joinFailed`. Join apps are never retried (their inner apps are).
    ///
    /// ```swift
    /// let fanOut = apps.joinApp("fan_out") { (n: Int, kernel: DataFlowKernel) in
    ///     let parts = (0..<n).map { kernel.submit(square, $0) }
    ///     return try await kernel.submit(total, gathering: parts).value
    /// }
    /// ```
    @discardableResult
    public mutating func joinApp<Input: Codable & Sendable, Output: Codable & Sendable>(
        _ name: String,
        options: AppOptions = AppOptions(),
        _ body: @escaping @Sendable (Input, DataFlowKernel) async throws -> Output
    ) -> App<Input, Output> {
        register(name, kind: .join, options: options) { (input: Input, context: TaskContext) in
            guard let kernel = context.kernel as? DataFlowKernel else {
                throw AppError(.typeMismatch, "join app '\(name)' can only run in the leader's kernel")
            }
            return try await body(input, kernel)
        }
    }
}
