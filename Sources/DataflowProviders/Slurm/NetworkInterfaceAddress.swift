import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The IPv4 address of a network interface, for a leader that must listen where compute nodes can reach it
/// (Parsl's `address_by_interface`, e.g. `"ib0"` for InfiniBand or `"eth0"`).
public enum NetworkInterfaceAddress {
    /// The first IPv4 address of the interface called `name`; `nil` if there is no such interface or it has
    /// no IPv4 address.
    public static func ipv4(interface name: String) -> String? {
        addresses().first { $0.interface == name }?.address
    }

    /// Every interface with an IPv4 address, in the kernel's order: `(interface, address)`.
    public static func addresses() -> [(interface: String, address: String)] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var result: [(String, String)] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let socketAddress = entry.pointee.ifa_addr, socketAddress.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            let converted = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address -> Bool in
                var ip = address.pointee.sin_addr
                return inet_ntop(AF_INET, &ip, &buffer, socklen_t(buffer.count)) != nil
            }
            guard converted else { continue }
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            result.append((String(cString: entry.pointee.ifa_name), text))
        }
        return result
    }
}
