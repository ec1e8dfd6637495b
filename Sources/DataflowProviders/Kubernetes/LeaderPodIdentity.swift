import DataflowKubernetesAPI
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Who and where the leader pod is: its name and uid (for workers' ownerReferences) and its IP (the
/// address workers dial), from the downward-API environment the leader Job sets (`POD_NAME`, `POD_UID`,
/// `POD_IP`, `POD_NAMESPACE`), with fallbacks.
public enum LeaderPodIdentity {
    /// The leader pod from `POD_NAME` + `POD_UID`; with only a name (or `HOSTNAME`, which is the pod name in
    /// a pod) and a client, the uid is read with a GET of the pod. `nil` outside a cluster.
    public static func resolve(
        client: KubernetesClient?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) async -> KubernetesProvider.LeaderReference? {
        let name = environment["POD_NAME"].flatMap { $0.isEmpty ? nil : $0 }
        if let name, let uid = environment["POD_UID"], !uid.isEmpty {
            return .init(name: name, uid: uid)
        }
        guard let client, environment["KUBERNETES_SERVICE_HOST"] != nil || name != nil,
            let podName = name ?? environment["HOSTNAME"]
        else { return nil }
        guard let pod = try? await client.getPod(podName, namespace: environment["POD_NAMESPACE"]), let uid = pod.metadata.uid else { return nil }
        return .init(name: podName, uid: uid)
    }

    /// The address workers should dial: `POD_IP` when set (downward API), otherwise the source address of
    /// the route towards the API server (or any outside address), which is this pod's IP on its network.
    public static func interchangeAddress(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let ip = environment["POD_IP"], !ip.isEmpty { return ip }
        return addressByRoute(towards: environment["KUBERNETES_SERVICE_HOST"] ?? "10.0.0.1")
    }

    /// The local IPv4 address the kernel would use to reach `host` (a UDP connect sends nothing).
    public static func addressByRoute(towards host: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = in_port_t(UInt16(53).bigEndian)
        guard inet_pton(AF_INET, host, &target.sin_addr) == 1 else { return nil }
        let connected = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        guard inet_ntop(AF_INET, &local.sin_addr, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text == "0.0.0.0" ? nil : text
    }
}
