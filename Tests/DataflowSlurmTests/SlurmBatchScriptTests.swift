import DataflowCore
import DataflowInterchange
import DataflowJSON
import DataflowProviders
import Foundation
import Testing
import VizWorkflowTestSupport

/// The generated batch script, the launchers, and the `slurm` section of a configuration file.
struct SlurmBatchScriptTests {
    static let command = ["/shared/bin/viz-workflow", "worker", "--address", "login1:50001", "--block-id", "3", "--max-workers", "64"]

    func request(environmentFile: String? = "/shared/run/runinfo/slurm/pdg-0badcafe.env") -> SlurmProvider.BatchScriptRequest {
        .init(
            jobName: "pdg-0badcafe-block-3", blockID: "3", command: Self.command, stdoutPath: "/shared/run/runinfo/slurm/pdg-0badcafe-block-3.out",
            stderrPath: "/shared/run/runinfo/slurm/pdg-0badcafe-block-3.err", environmentFile: environmentFile
        )
    }

    @Test func everyOptionBecomesAnSbatchLineInOrder() {
        let c = SlurmProvider.Configuration(
            partition: "cpu", account: "bbou-delta-cpu", qos: "normal", constraint: "scratch", exclusive: true, nodesPerBlock: 2, coresPerNode: 64,
            memPerNode: 200, walltime: "02:00:00", schedulerOptions: "#SBATCH --mail-type=FAIL\n\n  #SBATCH --gpus-per-node=0",
            workerInit: "module load gdal\nulimit -n 4096\n", launcher: SrunLauncher(overrides: "--cpu-bind=none")
        )
        let expected = #"""
            #!/bin/bash
            # viz-workflow block 3, written by SlurmProvider (submitted with sbatch; kept for reading).
            # It holds no secret: the run secret reaches the workers from a file only this user can read.
            #SBATCH --job-name=pdg-0badcafe-block-3
            #SBATCH --output=/shared/run/runinfo/slurm/pdg-0badcafe-block-3.out
            #SBATCH --error=/shared/run/runinfo/slurm/pdg-0badcafe-block-3.err
            #SBATCH --nodes=2
            #SBATCH --ntasks-per-node=1
            #SBATCH --time=02:00:00
            #SBATCH --exclusive
            #SBATCH --partition=cpu
            #SBATCH --account=bbou-delta-cpu
            #SBATCH --qos=normal
            #SBATCH --constraint=scratch
            #SBATCH --cpus-per-task=64
            #SBATCH --mem=200g
            # scheduler_options
            #SBATCH --mail-type=FAIL
            #SBATCH --gpus-per-node=0

            # worker_init
            module load gdal
            ulimit -n 4096

            export JOBNAME=pdg-0badcafe-block-3
            export PARSL_CORES=64
            export PARSL_MEMORY_GB=200
            # The run secret: from a file of mode 0600 on the shared file system, so that neither this script nor
            # any command line (squeue, ps) shows it.
            . /shared/run/runinfo/slurm/pdg-0badcafe.env || { printf 'viz-workflow: cannot read the run secret from %s: the script directory must be on a file system this node shares with the leader\n' /shared/run/runinfo/slurm/pdg-0badcafe.env >&2; exit 78; }

            # SrunLauncher: 2 worker(s), 1 per node, in one job step.
            exec srun --ntasks=2 --ntasks-per-node=1 --cpus-per-task="${SLURM_CPUS_PER_TASK:-${SLURM_CPUS_ON_NODE:-1}}" --label --cpu-bind=none \
                /shared/bin/viz-workflow worker --address login1:50001 --block-id 3 --max-workers 64

            """#
        #expect(SlurmProvider.batchScript(c, request()) == expected)
    }

    @Test func defaultsAskForLittle() {
        let script = SlurmProvider.batchScript(.init(), request(environmentFile: nil))
        let directives = script.split(separator: "\n").filter { $0.hasPrefix("#SBATCH") }
        #expect(
            directives.map(String.init) == [
                "#SBATCH --job-name=pdg-0badcafe-block-3", "#SBATCH --output=/shared/run/runinfo/slurm/pdg-0badcafe-block-3.out",
                "#SBATCH --error=/shared/run/runinfo/slurm/pdg-0badcafe-block-3.err", "#SBATCH --nodes=1", "#SBATCH --ntasks-per-node=1",
                "#SBATCH --time=00:10:00", "#SBATCH --exclusive",
            ])
        #expect(script.contains("through the job's environment (sbatch --export=ALL)"))
        #expect(!script.contains(". /"))
        #expect(!script.contains("worker_init"))
    }

    @Test func argumentsWithSpacesAndQuotesSurviveTheShell() async throws {
        try await withTemporaryDirectory { dir in
            let command = ["/bin/sh", "-c", "printf '%s|' \"$@\" > \"$0\"", "\(dir)/args", "it's", "a b", "$HOME", ""]
            let launcher = SingleNodeLauncher()
            let script = "#!/bin/bash\n" + launcher.script(command: command, tasksPerNode: 1, nodesPerBlock: 1)
            try script.write(toFile: dir + "/run.sh", atomically: true, encoding: .utf8)
            let output = try await CommandRunner.run(["/bin/bash", dir + "/run.sh"], timeout: .seconds(10))
            #expect(output.status == 0, "\(output.stderr)")
            #expect(try String(contentsOfFile: dir + "/args", encoding: .utf8) == "it's|a b|$HOME||")
        }
    }

    @Test func singleNodeLauncherFailsWhenAllWorkersFailOrAnyWithFailOnAny() async throws {
        try await withTemporaryDirectory { dir in
            // The first copy to take the lock fails with 5; the others succeed.
            let command = ["/bin/sh", "-c", "mkdir \"$0\" 2>/dev/null && exit 5; exit 0", dir + "/lock"]
            func run(_ launcher: SingleNodeLauncher, _ copies: Int) async throws -> Int32 {
                try? FileManager.default.removeItem(atPath: dir + "/lock")
                let script = "#!/bin/bash\n" + launcher.script(command: command, tasksPerNode: copies, nodesPerBlock: 1)
                try script.write(toFile: dir + "/run.sh", atomically: true, encoding: .utf8)
                return try await CommandRunner.run(["/bin/bash", dir + "/run.sh"], timeout: .seconds(10)).status
            }
            #expect(try await run(SingleNodeLauncher(), 3) == 0)
            #expect(try await run(SingleNodeLauncher(failOnAny: true), 3) == 5)
            #expect(try await run(SingleNodeLauncher(), 1) == 5)  // exec: the worker's own status
            let all = ["/bin/sh", "-c", "exit 4"]
            let script = "#!/bin/bash\n" + SingleNodeLauncher().script(command: all, tasksPerNode: 2, nodesPerBlock: 1)
            try script.write(toFile: dir + "/all.sh", atomically: true, encoding: .utf8)
            #expect(try await CommandRunner.run(["/bin/bash", dir + "/all.sh"], timeout: .seconds(10)).status == 4)
        }
    }

    @Test func everyGeneratedScriptIsValidBash() async throws {
        try await withTemporaryDirectory { dir in
            let launchers: [any Launcher] = [SrunLauncher(), SrunLauncher(overrides: "--mpi=none"), SingleNodeLauncher(), SingleNodeLauncher(failOnAny: true)]
            for (index, launcher) in launchers.enumerated() {
                for nodes in [1, 3] {
                    let c = SlurmProvider.Configuration(nodesPerBlock: nodes, workerInit: "echo 'it''s' \"$HOME\"", launcher: launcher)
                    try SlurmProvider.batchScript(c, request()).write(toFile: "\(dir)/\(index)-\(nodes).sbatch", atomically: true, encoding: .utf8)
                    let check = try await CommandRunner.run(["/bin/bash", "-n", "\(dir)/\(index)-\(nodes).sbatch"], timeout: .seconds(10))
                    #expect(check.status == 0, "\(launcher) \(nodes): \(check.stderr)")
                }
            }
        }
    }

    @Test func walltimes() {
        #expect(SlurmProvider.Configuration.walltimeMinutes("00:10:00") == 10)
        #expect(SlurmProvider.Configuration.walltimeMinutes("01:00:30") == 61)
        #expect(SlurmProvider.Configuration.walltimeMinutes("2-00:00:00") == 2880)
        #expect(SlurmProvider.Configuration.walltimeMinutes("1-12") == 2160)
        #expect(SlurmProvider.Configuration.walltimeMinutes("45") == 45)
        #expect(SlurmProvider.Configuration.walltimeMinutes("5:30") == 6)
        for bad in ["", "ten", "1:2:3:4", "00:00:00", "-1:00:00", "1h"] {
            #expect(SlurmProvider.Configuration.walltimeMinutes(bad) == nil, "\(bad)")
        }
        #expect(SlurmProvider.Configuration(walltime: "1h").problem?.contains("walltime '1h'") == true)
        #expect(SlurmProvider.Configuration(jobName: "my run").problem?.contains("job_name") == true)
        #expect(SlurmProvider.Configuration(schedulerOptions: "#SBATCH --x\nmodule load y").problem?.contains("worker_init") == true)
        #expect(SlurmProvider.Configuration().problem == nil)
    }

    // MARK: Configuration file

    func read(_ json: String, runDirectory: String = "runinfo") throws -> SlurmProvider.Configuration {
        let object = try ConfigurationObject(JSONValue.parse(Data(json.utf8), source: "test.json"), source: "test.json", path: "slurm")
        let c = try SlurmProvider.configuration(from: object, runDirectory: runDirectory)
        try object.finish()
        return c
    }

    @Test func everyKeyIsRead() throws {
        let c = try read(
            """
            { "partition": "cpu", "account": "acct", "qos": "debug", "constraint": "a100", "exclusive": false, "nodes_per_block": 2,
              "cores_per_node": 16, "mem_per_node": 32, "walltime": "00:30:00", "scheduler_options": ["#SBATCH --a", "#SBATCH --b"],
              "worker_init": "module load gdal", "cmd_timeout": 20, "init_blocks": 2, "min_blocks": 1, "max_blocks": 8, "parallelism": 0.5,
              "launcher": {"class": "SingleNodeLauncher", "fail_on_any": true, "debug": true}, "label": "hpc", "job_name": "pdg-iwp",
              "script_dir": "/scratch/x", "orphan_policy": "report", "secret_delivery": "export", "status_polling_interval": 30,
              "cancel_timeout": 5, "address_by_interface": "ib0", "_comment": "comments are fine" }
            """)
        #expect(c.partition == "cpu" && c.account == "acct" && c.qos == "debug" && c.constraint == "a100" && !c.exclusive)
        #expect(c.nodesPerBlock == 2 && c.coresPerNode == 16 && c.memPerNode == 32 && c.walltime == "00:30:00")
        #expect(c.schedulerOptions == "#SBATCH --a\n#SBATCH --b" && c.workerInit == "module load gdal" && c.cmdTimeout == 20)
        #expect(c.initBlocks == 2 && c.minBlocks == 1 && c.maxBlocks == 8 && c.parallelism == 0.5)
        #expect((c.launcher as? SingleNodeLauncher) == SingleNodeLauncher(failOnAny: true))
        #expect(c.label == "hpc" && c.jobName == "pdg-iwp" && c.scriptDirectory == "/scratch/x")
        #expect(c.orphanPolicy == .report && c.secretDelivery == .export && c.statusPollingInterval == 30 && c.cancelTimeout == 5)
        #expect(c.addressByInterface == "ib0")
    }

    @Test func defaultsAndLauncherNames() throws {
        let c = try read(#"{ "launcher": "SrunLauncher" }"#, runDirectory: "/data/runinfo")
        #expect(c.scriptDirectory == "/data/runinfo/slurm")
        #expect(c.walltime == "00:10:00" && c.exclusive && c.nodesPerBlock == 1 && c.cmdTimeout == 10 && c.maxBlocks == 1)
        #expect((c.launcher as? SrunLauncher) == SrunLauncher())
        #expect(c.orphanPolicy == .cancel && c.secretDelivery == .file)
        #expect((try read(#"{ "launcher": {"class": "SrunLauncher", "overrides": "--mpi=none"} }"#).launcher as? SrunLauncher)?.overrides == "--mpi=none")
    }

    @Test func mistakesAreRefusedNamingTheKey() {
        func message(_ json: String) -> String {
            do {
                _ = try read(json)
                return "accepted"
            } catch { return "\(error)" }
        }
        #expect(message(#"{ "partiton": "cpu" }"#).contains("unknown key 'slurm.partiton' (did you mean 'partition'?)"))
        #expect(message(#"{ "walltime": "2h" }"#).contains("walltime '2h' is not HH:MM:SS"))
        #expect(message(#"{ "launcher": "MpiExecLauncher" }"#).contains("must be one of SrunLauncher, SingleNodeLauncher"))
        #expect(message(#"{ "launcher": {"class": "SrunLauncher", "overides": ""} }"#).contains("unknown key 'slurm.launcher.overides'"))
        #expect(message(#"{ "mem_per_node": "4G" }"#).contains("'slurm.mem_per_node' must be an integer"))
        #expect(message(#"{ "partition": "" }"#).contains("must not be empty"))
        #expect(message(#"{ "orphan_policy": "delete" }"#).contains("'cancel', 'report'"))
        #expect(message(#"{ "cmd_timeout": 0 }"#).contains("more than 0"))
        #expect(message(#"{ "job_name": "pdg iwp" }"#).contains("job_name 'pdg iwp'"))
    }

    @Test func theBundledParametersHaveAWorkingSlurmSection() throws {
        var providers = HighThroughputExecutor.builtInProviders
        providers["SlurmProvider"] = SlurmProvider.configurationFactory()
        var factories = DataFlowKernel.Configuration.builtInExecutors
        factories["HighThroughputExecutor"] = HighThroughputExecutor.configurationFactory(providers: providers, providerSection: "slurm")
        let kernel = try DataFlowKernel.Configuration.load(
            path: SampleRun.packageRoot + "/parameters/parsl_config.json", executorFactories: factories, allowing: ["batches"])
        let htex = try #require(kernel.executors.first as? HighThroughputExecutor)
        let slurm = try #require(htex.provider as? SlurmProvider)
        #expect(slurm.configuration.partition == "cpu")
        #expect(slurm.configuration.walltime == "01:00:00")
        #expect(slurm.configuration.scriptDirectory == "runinfo/slurm")
        #expect(slurm.blockLimits == BlockLimits(nodesPerBlock: 1, initBlocks: 1, minBlocks: 0, maxBlocks: 4, parallelism: 1))
    }
}
