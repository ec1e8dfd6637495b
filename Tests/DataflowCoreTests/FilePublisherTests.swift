import DataflowStorage
import Foundation
import Testing

/// `FilePublisher` and `ScratchFile` on a local directory, with each storage kind forced.
struct FilePublisherTests {
    static func modificationTime(_ path: String) throws -> Date {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
    }

    @Test(arguments: [StorageKind.posix, .object])
    func writesWholeFilesAndKeepsAnIdenticalOne(storage: StorageKind) async throws {
        try await withTemporaryDirectory { root in
            let publisher = FilePublisher(storage: storage, scratchDirectory: root + "/scratch")
            let path = root + "/out/a/b.csv"
            try publisher.write(Array("one\n".utf8), to: path)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "one\n")
            // No temporary names are left next to it.
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/out/a") == ["b.csv"])
            let before = try Self.modificationTime(path)
            try await Task.sleep(for: .milliseconds(20))
            try publisher.write(Array("one\n".utf8), to: path)
            #expect(try Self.modificationTime(path) == before, "the same bytes leave the file alone")
            try publisher.write(Array("two\n".utf8), to: path)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "two\n")
        }
    }

    @Test(arguments: [StorageKind.posix, .object])
    func aScratchFileIsPublishedToItsFinalPath(storage: StorageKind) async throws {
        try await withTemporaryDirectory { root in
            let publisher = FilePublisher(storage: storage, scratchDirectory: root + "/scratch")
            let path = root + "/tiles/7/1/2.tif"
            let scratch = try publisher.scratch(for: path)
            // On POSIX the scratch file sits beside its target (one rename); on a bucket it is local.
            #expect(scratch.path.hasPrefix(storage == .posix ? root + "/tiles/7/1/2.tif." : root + "/scratch/"))
            try Data("tile".utf8).write(to: URL(fileURLWithPath: scratch.path))
            #expect(!FileManager.default.fileExists(atPath: path))
            try scratch.publish()
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "tile")
            #expect(!FileManager.default.fileExists(atPath: scratch.path))

            let discarded = try publisher.scratch(for: root + "/tiles/7/1/3.tif")
            try Data("half".utf8).write(to: URL(fileURLWithPath: discarded.path))
            discarded.discard()
            #expect(!FileManager.default.fileExists(atPath: discarded.path))
            #expect(!FileManager.default.fileExists(atPath: root + "/tiles/7/1/3.tif"))
        }
    }

    @Test func createRefusesANameThatIsTaken() async throws {
        try await withTemporaryDirectory { root in
            let publisher = FilePublisher(storage: .object)
            try publisher.create(Array("first".utf8), at: root + "/segment-000001.ckpt")
            do {
                try publisher.create(Array("second".utf8), at: root + "/segment-000001.ckpt")
                Issue.record("a second create of one name succeeded")
            } catch {
                #expect((error as? StorageError)?.code == .exists)
            }
            #expect(try String(contentsOfFile: root + "/segment-000001.ckpt", encoding: .utf8) == "first")
        }
    }
}
