import DataflowKubernetesAPI

extension KubernetesProvider {
    /// Waiting reasons that mean the container cannot start as things are (surfaced in the block's message).
    static let blockingReasons: Set<String> = [
        "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "CrashLoopBackOff",
        "ErrImageNeverPull", "RunContainerError",
    ]

    /// Waiting reasons that no retry by the kubelet can cure: the pod spec itself is wrong (for example
    /// `runAsNonRoot` with an image that runs as root, or an unparsable image name). Such a block is failed
    /// at once rather than left pending until the connect timeout.
    static let permanentReasons: Set<String> = ["CreateContainerConfigError", "InvalidImageName", "ErrImageNeverPull"]

    /// Maps a pod to a block state with the reason Kubernetes gives: Pending → pending (with
    /// `ImagePullBackOff: …` or `Unschedulable: …`; failed for a ``permanentReasons`` reason), Running → running, Succeeded → completed,
    /// Failed → failed (`OOMKilled`, exit code, eviction), Unknown → unknown.
    public static func jobStatus(of pod: Pod) -> JobStatus {
        let status = pod.status
        let containers = status?.containerStatuses ?? []
        func describe(_ reason: String?, _ message: String?) -> String? {
            switch (reason, message) {
            case (let r?, let m?) where !m.isEmpty: "\(r): \(m)"
            case (let r?, _): r
            case (nil, let m?): m
            default: nil
            }
        }
        switch status?.phase {
        case "Running":
            if pod.metadata.deletionTimestamp != nil { return JobStatus(state: .running, message: "terminating") }
            return JobStatus(state: .running)
        case "Succeeded":
            return JobStatus(state: .completed, exitCode: 0)
        case "Failed":
            let terminated = containers.compactMap { $0.state?.terminated }.first { $0.exitCode != 0 } ?? containers.compactMap({ $0.state?.terminated }).first
            let message = describe(terminated?.reason, terminated?.message) ?? describe(status?.reason, status?.message) ?? "pod failed"
            let exit = terminated?.exitCode
            return JobStatus(state: .failed, message: exit.map { "\(message) (exit code \($0))" } ?? message, exitCode: exit)
        case "Pending", nil:
            if let waiting = containers.compactMap({ $0.state?.waiting }).first(where: { $0.reason.map(blockingReasons.contains) ?? false }) {
                let permanent = waiting.reason.map(permanentReasons.contains) ?? false
                return JobStatus(state: permanent ? .failed : .pending, message: describe(waiting.reason, waiting.message))
            }
            if let unschedulable = status?.conditions?.first(where: { $0.type == "PodScheduled" && $0.status == "False" }) {
                return JobStatus(state: .pending, message: describe(unschedulable.reason ?? "Unschedulable", unschedulable.message))
            }
            if let waiting = containers.compactMap({ $0.state?.waiting }).first {
                return JobStatus(state: .pending, message: describe(waiting.reason, waiting.message))
            }
            return JobStatus(state: .pending)
        default:
            return JobStatus(state: .unknown, message: describe(status?.reason, status?.message) ?? "phase \(status?.phase ?? "none")")
        }
    }

    /// Combines the pods of one block: any failed → failed; all done → completed; any running → running.
    static func combine(_ statuses: [JobStatus]) -> JobStatus {
        if let failed = statuses.first(where: { $0.state == .failed }) { return failed }
        if !statuses.isEmpty, statuses.allSatisfy({ $0.state == .completed }) { return JobStatus(state: .completed, exitCode: 0) }
        if let missing = statuses.first(where: { $0.state == .missing }) { return missing }
        if let running = statuses.first(where: { $0.state == .running }) { return running }
        return statuses.first(where: { $0.message != nil }) ?? statuses.first ?? JobStatus(state: .unknown)
    }
}
