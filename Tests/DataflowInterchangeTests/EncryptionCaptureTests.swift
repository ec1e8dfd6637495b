import DataflowCore
import DataflowInterchange
import Foundation
import InterchangeTestApps
import Testing

/// What crosses the wire: with encryption (the default) no task input or output is readable in a capture of
/// the interchange's traffic; without it, the same capture shows them (so the capture itself works).
@Suite(.serialized) struct EncryptionCaptureTests {
    static let canCapture = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpdump")

    /// Runs tasks carrying a marker through a cluster while tcpdump records its port on loopback; returns
    /// the captured bytes.
    func capture(encrypted: Bool, marker: String) async throws -> Data {
        try await withTemporaryDirectory { root in
            let cluster = try await startCluster(root: root, workers: 2, encrypted: encrypted)
            let port = try #require(cluster.executor.port)
            let file = root + "/traffic.pcap"
            let tcpdump = Process()
            tcpdump.executableURL = URL(fileURLWithPath: "/usr/bin/tcpdump")
            // -Z root: keep writing to this root-owned folder; --immediate-mode -U: every packet reaches the file at once, so
            // SIGKILL (Foundation starts children with SIGINT and SIGTERM blocked) loses nothing.
            tcpdump.arguments = ["-i", "lo", "--immediate-mode", "-U", "-Z", "root", "-s", "0", "-w", file, "tcp port \(port)"]
            tcpdump.standardOutput = FileHandle.nullDevice
            let errors = Pipe()
            tcpdump.standardError = errors
            try tcpdump.run()
            // tcpdump says "listening on lo" once the capture runs.
            var said = Data()
            while !String(decoding: said, as: UTF8.self).contains("listening") {
                let chunk = errors.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                said += chunk
            }
            let bytes = TestApps.app("bytes", [UInt8].self, [UInt8].self, in: cluster.apps)
            let fail = TestApps.app("fail_typed", String.self, Int.self, in: cluster.apps)
            let payload = Array((marker + " input").utf8)
            for _ in 0..<20 {
                #expect(try await cluster.kernel.submit(bytes, payload).value == payload.reversed())
            }
            _ = try? await cluster.kernel.submit(fail, marker).value  // the error's fields travel too
            await cluster.kernel.shutdown()
            try await Task.sleep(for: .milliseconds(300))
            kill(tcpdump.processIdentifier, SIGKILL)
            tcpdump.waitUntilExit()
            return try Data(contentsOf: URL(fileURLWithPath: file))
        }
    }

    @Test(.enabled(if: canCapture))
    func encryptedTrafficCarriesNoTaskDataInClear() async throws {
        let marker = "PERMAFROST-MARKER-\(UInt32.random(in: 0...UInt32.max))"
        let clear = try await capture(encrypted: false, marker: marker)
        #expect(clear.count > 1000)
        #expect(clear.range(of: Data(marker.utf8)) != nil, "the capture of clear text should show the marker")
        let encrypted = try await capture(encrypted: true, marker: marker)
        #expect(encrypted.count > 1000)
        #expect(encrypted.range(of: Data(marker.utf8)) == nil)
        #expect(encrypted.range(of: Data(String(marker.reversed()).utf8)) == nil)
        // Nor do app names, which every task message carries.
        #expect(encrypted.range(of: Data("fail_typed".utf8)) == nil)
    }
}
