import DataflowProviders
import Testing

/// The parsers, on output recorded from Slurm 22.05 (Debian 12, the test cluster of
/// scripts/slurm-test-cluster.sh) and in the format of Slurm 23.11 (with the states 22.05's test cluster never
/// shows: OUT_OF_MEMORY, PREEMPTED, NODE_FAIL, BOOT_FAIL, DEADLINE, `CANCELLED by <uid>`).
struct SlurmJobRecordTests {
    /// `squeue --noheader --states=all --format=%i|%T|%r|%j` on Slurm 22.05.8 (recorded).
    static let squeue2205 = """
        11|CANCELLED|Priority|rec-cancel
        12|CANCELLED|JobHeldUser|rec-held
        8|COMPLETED|None|rec-ok
        7|FAILED|NonZeroExitCode|rec-fail
        13|FAILED|JobLaunchFailure|rec-sig
        15|FAILED|BadConstraints|rec-bigtime
        10|PENDING|Resources|rec-pend
        14|PENDING|Priority|rec-pend2
        6|RUNNING|None|rec-timeout
        9|RUNNING|None|rec-run|pipe name

        """

    /// `scontrol --oneliner show job 7` on Slurm 22.05.8 (recorded): a batch script that exited with 3.
    static let scontrolFailed2205 =
        "JobId=7 JobName=rec-fail UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901753 Nice=0 Account=(null) QOS=(null) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=3:0 RunTime=00:00:00 TimeLimit=UNLIMITED TimeMin=N/A SubmitTime=2026-12-05T02:03:48 EligibleTime=2026-12-05T02:03:48 AccrueTime=2026-12-05T02:03:48 StartTime=2026-12-05T02:03:48 EndTime=2026-12-05T02:03:48 Deadline=N/A SuspendTime=None SecsPreSuspend=0 LastSchedEval=2026-12-05T02:03:48 Scheduler=Main Partition=debug AllocNode:Sid=localhost:26567 ReqNodeList=(null) ExcNodeList=(null) NodeList=vm BatchHost=vm NumNodes=1 NumCPUs=1 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:* TRES=cpu=1,node=1,billing=1 Socks/Node=* NtasksPerN:B:S:C=0:0:*:* CoreSpec=* MinCPUsNode=1 MinMemoryNode=0 MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 OverSubscribe=OK Contiguous=0 Licenses=(null) Network=(null) Command=(null) WorkDir=/tmp StdErr=/dev/null StdIn=/dev/null StdOut=/dev/null Power= \n"

    /// `scontrol --oneliner show job 11` (recorded): cancelled while pending; the pending reason stays.
    static let scontrolCancelled2205 =
        "JobId=11 JobName=rec-cancel UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901749 Nice=0 Account=(null) QOS=(null) JobState=CANCELLED Reason=Priority Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:00 TimeLimit=UNLIMITED TimeMin=N/A SubmitTime=2026-12-05T02:03:48 EligibleTime=2026-12-05T02:03:48 AccrueTime=2026-12-05T02:03:48 StartTime=2026-12-05T02:03:56 EndTime=2026-12-05T02:03:56 Deadline=N/A SuspendTime=None SecsPreSuspend=0 LastSchedEval=2026-12-05T02:03:56 Scheduler=Main Partition=debug AllocNode:Sid=localhost:26567 ReqNodeList=(null) ExcNodeList=(null) NodeList= NumNodes=1 NumCPUs=1 NumTasks=N/A CPUs/Task=1 ReqB:S:C:T=0:0:*:* TRES=cpu=1,mem=24105M,node=1,billing=1 Socks/Node=* NtasksPerN:B:S:C=0:0:*:* CoreSpec=* MinCPUsNode=1 MinMemoryNode=0 MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 OverSubscribe=OK Contiguous=0 Licenses=(null) Network=(null) Command=(null) WorkDir=/tmp StdErr=/dev/null StdIn=/dev/null StdOut=/dev/null Power= \n"

    /// `scontrol --oneliner show job 13` (recorded): the batch shell killed itself with SIGKILL.
    static let scontrolSignal2205 =
        "JobId=13 JobName=rec-sig UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901748 Nice=0 Account=(null) QOS=(null) JobState=FAILED Reason=JobLaunchFailure Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:9 RunTime=00:00:00 TimeLimit=UNLIMITED TimeMin=N/A SubmitTime=2026-12-05T02:03:48 EligibleTime=2026-12-05T02:03:48 AccrueTime=2026-12-05T02:03:48 StartTime=2026-12-05T02:04:02 EndTime=2026-12-05T02:04:02 Deadline=N/A SuspendTime=None SecsPreSuspend=0 LastSchedEval=2026-12-05T02:04:02 Scheduler=Main Partition=debug AllocNode:Sid=localhost:26567 ReqNodeList=(null) ExcNodeList=(null) NodeList=vm BatchHost=vm NumNodes=1 NumCPUs=1 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:* TRES=cpu=1,node=1,billing=1 Socks/Node=* NtasksPerN:B:S:C=0:0:*:* CoreSpec=* MinCPUsNode=1 MinMemoryNode=0 MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 OverSubscribe=OK Contiguous=0 Licenses=(null) Network=(null) Command=(null) WorkDir=/tmp StdErr=/dev/null StdIn=/dev/null StdOut=/dev/null Power= \n"

    /// `scontrol --oneliner show job 6` (recorded): `--time=1` ran out.
    static let scontrolTimeout2205 =
        "JobId=6 JobName=rec-timeout UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901754 Nice=0 Account=(null) QOS=(null) JobState=TIMEOUT Reason=TimeLimit Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:15 RunTime=00:01:17 TimeLimit=00:01:00 TimeMin=N/A SubmitTime=2026-12-05T02:03:48 EligibleTime=2026-12-05T02:03:48 AccrueTime=2026-12-05T02:03:48 StartTime=2026-12-05T02:03:48 EndTime=2026-12-05T02:05:05 Deadline=N/A SuspendTime=None SecsPreSuspend=0 LastSchedEval=2026-12-05T02:03:48 Scheduler=Main Partition=debug AllocNode:Sid=localhost:26567 ReqNodeList=(null) ExcNodeList=(null) NodeList=vm BatchHost=vm NumNodes=1 NumCPUs=1 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:* TRES=cpu=1,node=1,billing=1 Socks/Node=* NtasksPerN:B:S:C=0:0:*:* CoreSpec=* MinCPUsNode=1 MinMemoryNode=0 MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 OverSubscribe=OK Contiguous=0 Licenses=(null) Network=(null) Command=(null) WorkDir=/tmp StdErr=/dev/null StdIn=/dev/null StdOut=/dev/null Power= \n"

    /// `sacct --noheader --parsable2 --format=JobIDRaw,State,ExitCode,JobName` in Slurm 23.11's format, without
    /// `--allocations` so the steps are there too (they must be skipped).
    static let sacct2311 = """
        1001|COMPLETED|0:0|viz-workflow-1a2b3c4d-block-0
        1001.batch|COMPLETED|0:0|batch
        1001.extern|COMPLETED|0:0|extern
        1001.0|COMPLETED|0:0|viz-workflow
        1002|CANCELLED by 1000|0:15|viz-workflow-1a2b3c4d-block-1
        1003|OUT_OF_MEMORY|0:125|viz-workflow-1a2b3c4d-block-2
        1003.batch|OUT_OF_MEMORY|0:125|batch
        1004|PREEMPTED|0:15|viz-workflow-1a2b3c4d-block-3
        1005|NODE_FAIL|1:0|viz-workflow-1a2b3c4d-block-4
        1006|TIMEOUT|0:15|viz-workflow-1a2b3c4d-block-5
        1007|FAILED|3:0|viz-workflow-1a2b3c4d-block-6
        1008|PENDING|0:0|viz-workflow-1a2b3c4d-block-7
        1009|RUNNING|0:0|viz-workflow-1a2b3c4d-block-8
        1010|BOOT_FAIL|0:0|viz-workflow-1a2b3c4d-block-9
        1011|DEADLINE|0:0|viz-workflow-1a2b3c4d-block-10
        1012|REQUEUED|0:0|viz-workflow-1a2b3c4d-block-11
        1013|SUSPENDED|0:0|viz-workflow-1a2b3c4d-block-12
        1014|COMPLETED|0:0|name|with|bars

        """

    /// `squeue --noheader --format=%i|%T|%r|%j` in Slurm 23.11's format: per-user limits, a node reason
    /// with a comma, and a state 22.05 prints the same way.
    static let squeue2311 = """
        2001|PENDING|QOSMaxJobsPerUserLimit|viz-workflow-1a2b3c4d-block-0
        2002|PENDING|ReqNodeNotAvail, UnavailableNodes:cn[001-004]|viz-workflow-1a2b3c4d-block-1
        2003|PENDING|QOSMaxWallDurationPerJobLimit|viz-workflow-1a2b3c4d-block-2
        2004|COMPLETING|None|viz-workflow-1a2b3c4d-block-3
        2005|PENDING|JobHeldAdmin|viz-workflow-1a2b3c4d-block-4
        2006|CONFIGURING|None|viz-workflow-1a2b3c4d-block-5
        2007_3|RUNNING|None|array-task

        """

    func byID(_ records: [SlurmJobRecord]) -> [String: SlurmJobRecord] {
        Dictionary(records.map { ($0.jobID, $0) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func squeueOf2205() {
        let records = byID(SlurmJobRecord.parseSqueue(Self.squeue2205))
        #expect(records.count == 10)
        #expect(records["10"] == SlurmJobRecord(jobID: "10", state: "PENDING", reason: "Resources", name: "rec-pend"))
        #expect(records["9"]?.name == "rec-run|pipe name")  // the name comes last and may hold '|'
        #expect(records["6"]?.reason == nil)

        let statuses = records.mapValues(\.jobStatus)
        #expect(statuses["10"] == JobStatus(state: .pending, message: "Resources: waiting for nodes to become free"))
        #expect(statuses["14"]?.message == "Priority: jobs of higher priority are ahead in the queue")
        #expect(statuses["6"] == JobStatus(state: .running))
        #expect(statuses["8"] == JobStatus(state: .completed, exitCode: 0))
        #expect(statuses["11"] == JobStatus(state: .cancelled, message: "cancelled with scancel"))
        #expect(statuses["7"]?.state == .failed)
        #expect(statuses["7"]?.message == "NonZeroExitCode")
        // Never startable as submitted: a failed block at once, not a queue wait for ever.
        #expect(statuses["15"]?.state == .failed)
    }

    @Test func scontrolOf2205() {
        let failed = SlurmJobRecord.parseScontrol(Self.scontrolFailed2205)
        #expect(failed == [SlurmJobRecord(jobID: "7", state: "FAILED", reason: "NonZeroExitCode", exitCode: 3, name: "rec-fail")])
        #expect(failed[0].jobStatus == JobStatus(state: .failed, message: "NonZeroExitCode", exitCode: 3))
        #expect(failed[0].jobStatus.description == "FAILED (exit 3): NonZeroExitCode")

        let cancelled = SlurmJobRecord.parseScontrol(Self.scontrolCancelled2205)[0]
        #expect(cancelled.jobStatus == JobStatus(state: .cancelled, message: "cancelled with scancel", exitCode: 0))

        let killed = SlurmJobRecord.parseScontrol(Self.scontrolSignal2205)[0]
        #expect(killed.signal == 9)
        #expect(killed.jobStatus.exitCode == 137)
        #expect(killed.jobStatus.state == .failed)

        let timeout = SlurmJobRecord.parseScontrol(Self.scontrolTimeout2205)[0]
        #expect(timeout.jobStatus == JobStatus(state: .timeout, message: "the walltime ran out", exitCode: 143))
        #expect(timeout.jobStatus.description == "TIMEOUT (exit 143): the walltime ran out")

        // All four at once, as `scontrol --oneliner show job` lists every job.
        let all = SlurmJobRecord.parseScontrol(Self.scontrolFailed2205 + Self.scontrolCancelled2205 + Self.scontrolSignal2205 + Self.scontrolTimeout2205)
        #expect(all.map(\.jobID) == ["7", "11", "13", "6"])
    }

    @Test func scontrolValuesWithSpacesAndEmptyValues() {
        let line =
            "JobId=42 JobName=viz-workflow-0badcafe-block-3 JobState=PENDING Reason=Dependency ExitCode=0:0 Command=/home/ann/my runs/block 3.sbatch WorkDir=/home/ann Power= \n"
        let record = SlurmJobRecord.parseScontrol(line)
        #expect(record == [SlurmJobRecord(jobID: "42", state: "PENDING", reason: "Dependency", exitCode: 0, name: "viz-workflow-0badcafe-block-3")])
    }

    @Test func sacctOf2311() {
        let records = byID(SlurmJobRecord.parseSacct(Self.sacct2311))
        #expect(records.count == 14)  // steps skipped
        #expect(records.keys.allSatisfy { !$0.contains(".") })
        #expect(records["1014"]?.name == "name|with|bars")
        let s = records.mapValues(\.jobStatus)
        #expect(s["1001"] == JobStatus(state: .completed, exitCode: 0))
        #expect(s["1002"] == JobStatus(state: .cancelled, message: "cancelled by 1000", exitCode: 143))
        #expect(s["1003"]?.state == .failed)
        #expect(s["1003"]?.message?.hasPrefix("OUT_OF_MEMORY") == true)
        #expect(s["1003"]?.exitCode == 0)  // 0:125 is Slurm's OOM code, not a signal
        #expect(s["1004"] == JobStatus(state: .timeout, message: "PREEMPTED: a job of higher priority took the nodes", exitCode: 143))
        #expect(s["1005"] == JobStatus(state: .failed, message: "NODE_FAIL: a node of the job failed", exitCode: 1))
        #expect(s["1006"]?.state == .timeout)
        #expect(s["1007"] == JobStatus(state: .failed, message: "the batch script failed", exitCode: 3))
        #expect(s["1008"]?.state == .pending)
        #expect(s["1009"]?.state == .running)
        #expect(s["1010"]?.state == .failed)
        #expect(s["1011"]?.state == .timeout)
        #expect(s["1012"]?.state == .pending)
        #expect(s["1013"]?.state == .held)
    }

    @Test func squeueOf2311() {
        let records = byID(SlurmJobRecord.parseSqueue(Self.squeue2311))
        let s = records.mapValues(\.jobStatus)
        #expect(s["2001"] == JobStatus(state: .pending, message: "QOSMaxJobsPerUserLimit: the QOS allows no more running jobs for this user"))
        #expect(
            s["2002"] == JobStatus(state: .pending, message: "ReqNodeNotAvail, UnavailableNodes:cn[001-004]: a requested node is down, drained or reserved"))
        #expect(s["2003"]?.state == .failed)  // the walltime alone is over the QOS limit: never starts
        #expect(s["2003"]?.message?.contains("never start") == true)
        #expect(s["2004"] == JobStatus(state: .running, message: "COMPLETING"))
        #expect(s["2005"] == JobStatus(state: .held, message: "JobHeldAdmin: held by an administrator"))
        #expect(s["2006"]?.state == .pending)
        #expect(records["2007_3"]?.state == "RUNNING")
    }

    @Test func unknownStatesAreUnknownAndNamed() {
        let record = SlurmJobRecord(jobID: "1", state: "LAUNCH_FAILED_SOMEDAY")
        #expect(record.jobStatus == JobStatus(state: .unknown, message: "Slurm state LAUNCH_FAILED_SOMEDAY"))
    }

    @Test func sbatchOutput() {
        #expect(SlurmJobRecord.parseSbatch("17\n") == "17")
        #expect(SlurmJobRecord.parseSbatch("4242;cluster-a\n") == "4242")
        #expect(SlurmJobRecord.parseSbatch("Submitted batch job 99\n") == "99")
        #expect(SlurmJobRecord.parseSbatch("sbatch: warning: something\n123\n") == "123")
        #expect(SlurmJobRecord.parseSbatch("") == nil)
        #expect(SlurmJobRecord.parseSbatch("sbatch: error: Batch job submission failed: Invalid account\n") == nil)
    }

    @Test func garbageLinesAreSkipped() {
        #expect(SlurmJobRecord.parseSqueue("JOBID|STATE|REASON|NAME\nnot a job\n\n") == [])
        #expect(SlurmJobRecord.parseSacct("Slurm accounting storage is disabled\n") == [])
        #expect(SlurmJobRecord.parseScontrol("slurm_load_jobs error: Invalid job id specified\n") == [])
    }
}
