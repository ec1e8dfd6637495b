import DataflowJSON

extension LocalProvider {
    /// Reads `{"class": "LocalProvider", ...}` with Parsl's option names: `label`, `nodes_per_block`,
    /// `init_blocks`, `min_blocks`, `max_blocks`, `parallelism`, `worker_init`, `log_directory` (default
    /// `<run_dir>/local`) and `cancel_grace_period`.
    public static func configurationFactory() -> ProviderFactory {
        { object, context in
            let d = Configuration()
            return LocalProvider(
                configuration: .init(
                    label: try object.string("label") ?? d.label,
                    nodesPerBlock: try object.int("nodes_per_block", minimum: 1) ?? d.nodesPerBlock,
                    initBlocks: try object.int("init_blocks", minimum: 0) ?? d.initBlocks,
                    minBlocks: try object.int("min_blocks", minimum: 0) ?? d.minBlocks,
                    maxBlocks: try object.int("max_blocks", minimum: 0) ?? d.maxBlocks,
                    parallelism: try object.double("parallelism") ?? d.parallelism,
                    workerInit: try object.string("worker_init"),
                    logDirectory: try object.string("log_directory") ?? "\(context.runDirectory)/local",
                    cancelGracePeriod: try object.double("cancel_grace_period") ?? d.cancelGracePeriod
                )
            )
        }
    }
}
