import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Appends checkpoint records on a background thread with group commit: every record queued while the
/// previous batch was being fsynced goes out in the next single `write` + `fdatasync`, so durability costs
/// one fsync per batch, not per task. Each record's callback runs once its batch is on disk.
final class CheckpointWriter: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `condition` (an NSCondition, which is a lock).
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var callbacks: [@Sendable () -> Void] = []
    private var stopping = false
    private var stopped = false
    private var flushRequests = 0
    private var flushedGeneration = 0
    private var writeError: String?
    /// Whether the writer thread is asleep in `wait()`: appends signal only then (a futex call per record
    /// would cost more than the record).
    private var writerWaiting = false
    private let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        let existed = FileManager.default.fileExists(atPath: path)
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DataflowError(.io, "cannot open checkpoint file \(path): \(String(cString: strerror(errno)))") }
        if !existed || lseek(fd, 0, SEEK_END) == 0 {
            pending.append(contentsOf: CheckpointFile.magic)
        }
        let thread = Thread { [self] in loop() }
        thread.name = "checkpoint-writer"
        thread.start()
    }

    /// Queues one record; `durable` runs after it is fsynced (or at once if the file failed, see ``error``).
    func append(key: MemoKey, output: [UInt8], durable: (@Sendable () -> Void)?) {
        condition.lock()
        CheckpointFile.encodeRecord(key: key, output: output, into: &pending)
        if let durable { callbacks.append(durable) }
        if writerWaiting { condition.signal() }
        condition.unlock()
    }

    /// Blocks until everything queued so far is on disk.
    func flush() {
        condition.lock()
        flushRequests += 1
        let target = flushRequests
        condition.broadcast()
        while flushedGeneration < target && !stopped { condition.wait() }
        condition.unlock()
    }

    /// Flushes and stops the thread.
    func close() {
        condition.lock()
        if stopping {
            condition.unlock()
            return
        }
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
        Glibc.close(fd)
    }

    /// The first write error, if any: checkpointing stops being durable but the run goes on.
    var error: String? {
        condition.lock()
        defer { condition.unlock() }
        return writeError
    }

    private func loop() {
        condition.lock()
        while true {
            while pending.isEmpty && callbacks.isEmpty && flushedGeneration == flushRequests && !stopping {
                writerWaiting = true
                condition.wait()
                writerWaiting = false
            }
            let batch = pending
            let done = callbacks
            let generation = flushRequests
            pending = []
            callbacks = []
            let exiting = stopping
            condition.unlock()

            if !batch.isEmpty { writeAll(batch) }

            condition.lock()
            flushedGeneration = generation
            condition.broadcast()
            condition.unlock()
            for callback in done { callback() }
            condition.lock()
            if exiting && pending.isEmpty && callbacks.isEmpty {
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        var failure: String?
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = "write to \(path) failed: \(String(cString: strerror(errno)))"
                    return
                }
                offset += n
            }
            if fdatasync(fd) != 0 { failure = "fsync of \(path) failed: \(String(cString: strerror(errno)))" }
        }
        if let failure {
            condition.lock()
            if writeError == nil { writeError = failure }
            condition.unlock()
        }
    }
}
