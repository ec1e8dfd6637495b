import NIOCore

/// Turns ``WireMessage`` values into frame bodies and back.
///
/// A frame is `[UInt32 big-endian length][UInt8 kind][body]`, the length counting kind and body. Strings
/// and byte strings are `[UInt32 length][bytes]`; payloads are `[UInt8 flags][UInt32 length][bytes]`, with
/// flag bit 0 meaning zstd, in which case the uncompressed length follows the flags.
public struct WireCodec: Sendable {
    /// Limits and compression settings, the same on both sides of a connection.
    public struct Configuration: Sendable, Hashable {
        /// Frames longer than this close the connection (default 256 MiB).
        public var maxFrameSize: Int
        /// Payloads at least this long are zstd-compressed when that makes them smaller (default 16 KiB).
        public var compressionThreshold: Int
        /// zstd level (default 1: fast, and most of the gain on JSON-like data).
        public var compressionLevel: Int32

        /// Settings with the defaults above: 256 MiB frames, compression from 16 KiB at zstd level 1.
        public init(maxFrameSize: Int = 256 << 20, compressionThreshold: Int = 16 << 10, compressionLevel: Int32 = 1) {
            self.maxFrameSize = maxFrameSize
            self.compressionThreshold = compressionThreshold
            self.compressionLevel = compressionLevel
        }
    }

    /// The limits and compression settings in use.
    public var configuration: Configuration

    /// A codec with `configuration` (default limits and compression unless given).
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    // MARK: Encoding

    /// Appends the whole frame (length prefix included) for `message`.
    public func encodeFrame(_ message: WireMessage, into buffer: inout ByteBuffer) throws(WireProtocolError) {
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        let start = buffer.writerIndex
        buffer.writeInteger(message.kind.rawValue)
        encodeBody(message, into: &buffer)
        let length = buffer.writerIndex - start
        guard length <= configuration.maxFrameSize else {
            buffer.moveWriterIndex(to: lengthIndex)
            throw WireProtocolError(.frameTooLarge, "a \(message.kind) frame of \(length) bytes exceeds the \(configuration.maxFrameSize)-byte limit")
        }
        buffer.setInteger(UInt32(length), at: lengthIndex)
    }

    private func encodeBody(_ message: WireMessage, into b: inout ByteBuffer) {
        switch message {
        case .challenge(let c):
            b.writeInteger(c.version)
            writeBytes(c.nonce, &b)
        case .register(let r):
            b.writeInteger(r.version)
            writeBytes(r.proof, &b)
            writeBytes(r.nonce, &b)
            writeString(r.fingerprint, &b)
            writeString(r.hostname, &b)
            writeString(r.blockID, &b)
            writeString(r.workerID, &b)
            b.writeInteger(r.capacity)
            b.writeInteger(r.pid)
        case .accepted(let a):
            writeBytes(a.proof, &b)
            b.writeInteger(a.heartbeatPeriodMilliseconds)
            b.writeInteger(a.heartbeatThresholdMilliseconds)
        case .rejected(let reason):
            writeString(reason, &b)
        case .tasks(let tasks):
            b.writeInteger(UInt32(tasks.count))
            for t in tasks {
                writeKey(t.key, &b)
                writeString(t.app, &b)
                writePayload(t.input, &b)
            }
        case .started(let keys):
            b.writeInteger(UInt32(keys.count))
            for k in keys { writeKey(k, &b) }
        case .results(let results):
            b.writeInteger(UInt32(results.count))
            for r in results {
                writeKey(r.key, &b)
                switch r.outcome {
                case .success(let output):
                    b.writeInteger(UInt8(0))
                    writePayload(output, &b)
                case .failure(let failure):
                    b.writeInteger(UInt8(1))
                    b.writeInteger(failure.kind.rawValue)
                    writeString(failure.typeName, &b)
                    writeString(failure.message, &b)
                    // The error itself, compact-encoded, when its type is registered; else empty.
                    writePayload(failure.encodedError ?? [], &b)
                }
            }
        case .heartbeat, .drain, .drained, .shutdown:
            break
        }
    }

    private func writeKey(_ k: TaskKey, _ b: inout ByteBuffer) {
        b.writeInteger(k.taskID)
        b.writeInteger(k.tryID)
    }

    private func writeBytes(_ bytes: [UInt8], _ b: inout ByteBuffer) {
        b.writeInteger(UInt32(bytes.count))
        b.writeBytes(bytes)
    }

    private func writeString(_ s: String, _ b: inout ByteBuffer) {
        let lengthIndex = b.writerIndex
        b.writeInteger(UInt32(0))
        let n = b.writeString(s)
        b.setInteger(UInt32(n), at: lengthIndex)
    }

    private func writePayload(_ bytes: [UInt8], _ b: inout ByteBuffer) {
        if bytes.count >= configuration.compressionThreshold,
            let compressed = PayloadCompression.compress(bytes, level: configuration.compressionLevel),
            compressed.count < bytes.count
        {
            b.writeInteger(UInt8(1))
            b.writeInteger(UInt32(bytes.count))
            writeBytes(compressed, &b)
        } else {
            b.writeInteger(UInt8(0))
            writeBytes(bytes, &b)
        }
    }

    // MARK: Decoding

    /// Decodes one frame body (kind byte first, no length prefix). Consumes the whole buffer or throws.
    public func decodeBody(_ b: inout ByteBuffer) throws(WireProtocolError) -> WireMessage {
        let kindByte: UInt8 = try read(&b)
        guard let kind = WireMessage.Kind(rawValue: kindByte) else {
            throw WireProtocolError(.malformedFrame, "unknown message kind \(kindByte)")
        }
        let message: WireMessage
        switch kind {
        case .challenge:
            message = .challenge(Challenge(version: try read(&b), nonce: try readBytes(&b, max: 1024)))
        case .register:
            message = .register(
                Registration(
                    version: try read(&b),
                    proof: try readBytes(&b, max: 1024),
                    nonce: try readBytes(&b, max: 1024),
                    fingerprint: try readString(&b),
                    hostname: try readString(&b),
                    blockID: try readString(&b),
                    workerID: try readString(&b),
                    capacity: try read(&b),
                    pid: try read(&b)
                )
            )
        case .accepted:
            message = .accepted(
                Acceptance(proof: try readBytes(&b, max: 1024), heartbeatPeriodMilliseconds: try read(&b), heartbeatThresholdMilliseconds: try read(&b))
            )
        case .rejected:
            message = .rejected(try readString(&b))
        case .tasks:
            let count = try readCount(&b, minimumItemSize: 21)
            var tasks: [TaskAssignment] = []
            tasks.reserveCapacity(count)
            for _ in 0..<count {
                tasks.append(TaskAssignment(key: try readKey(&b), app: try readString(&b), input: try readPayload(&b)))
            }
            message = .tasks(tasks)
        case .started:
            let count = try readCount(&b, minimumItemSize: 12)
            var keys: [TaskKey] = []
            keys.reserveCapacity(count)
            for _ in 0..<count { keys.append(try readKey(&b)) }
            message = .started(keys)
        case .results:
            let count = try readCount(&b, minimumItemSize: 13)
            var results: [TaskResult] = []
            results.reserveCapacity(count)
            for _ in 0..<count {
                let key = try readKey(&b)
                let status: UInt8 = try read(&b)
                switch status {
                case 0: results.append(TaskResult(key: key, outcome: .success(try readPayload(&b))))
                case 1:
                    let kindByte: UInt8 = try read(&b)
                    guard let failureKind = RemoteFailure.Kind(rawValue: kindByte) else {
                        throw WireProtocolError(.malformedFrame, "unknown failure kind \(kindByte)")
                    }
                    var failure = RemoteFailure(kind: failureKind, typeName: try readString(&b), message: try readString(&b))
                    let encoded = try readPayload(&b)
                    failure.encodedError = encoded.isEmpty ? nil : encoded
                    results.append(TaskResult(key: key, outcome: .failure(failure)))
                default:
                    throw WireProtocolError(.malformedFrame, "unknown result status \(status)")
                }
            }
            message = .results(results)
        case .heartbeat: message = .heartbeat
        case .drain: message = .drain
        case .drained: message = .drained
        case .shutdown: message = .shutdown
        }
        guard b.readableBytes == 0 else {
            throw WireProtocolError(.malformedFrame, "\(b.readableBytes) unexpected bytes after a \(kind) message")
        }
        return message
    }

    private func read<T: FixedWidthInteger>(_ b: inout ByteBuffer) throws(WireProtocolError) -> T {
        guard let v = b.readInteger(as: T.self) else { throw WireProtocolError(.malformedFrame, "truncated frame") }
        return v
    }

    private func readKey(_ b: inout ByteBuffer) throws(WireProtocolError) -> TaskKey {
        TaskKey(taskID: try read(&b), tryID: try read(&b))
    }

    /// A count that cannot exceed what the remaining bytes could hold, so it never drives a huge allocation.
    private func readCount(_ b: inout ByteBuffer, minimumItemSize: Int) throws(WireProtocolError) -> Int {
        let count = Int(try read(&b) as UInt32)
        guard count * minimumItemSize <= b.readableBytes else {
            throw WireProtocolError(.malformedFrame, "count \(count) does not fit in the \(b.readableBytes) bytes left")
        }
        return count
    }

    private func readBytes(_ b: inout ByteBuffer, max: Int) throws(WireProtocolError) -> [UInt8] {
        let count = Int(try read(&b) as UInt32)
        guard count <= max, let bytes = b.readBytes(length: count) else {
            throw WireProtocolError(.malformedFrame, "byte string of \(count) bytes is truncated or too long")
        }
        return bytes
    }

    private func readString(_ b: inout ByteBuffer) throws(WireProtocolError) -> String {
        let count = Int(try read(&b) as UInt32)
        guard count <= b.readableBytes, let view = b.readSlice(length: count) else {
            throw WireProtocolError(.malformedFrame, "string of \(count) bytes is truncated")
        }
        guard let s = String(validating: view.readableBytesView, as: UTF8.self) else {
            throw WireProtocolError(.malformedFrame, "invalid UTF-8 in a string")
        }
        return s
    }

    private func readPayload(_ b: inout ByteBuffer) throws(WireProtocolError) -> [UInt8] {
        let flags: UInt8 = try read(&b)
        switch flags {
        case 0:
            return try readBytes(&b, max: configuration.maxFrameSize)
        case 1:
            let original = Int(try read(&b) as UInt32)
            let count = Int(try read(&b) as UInt32)
            guard count <= b.readableBytes, let view = b.readSlice(length: count) else {
                throw WireProtocolError(.malformedFrame, "compressed payload of \(count) bytes is truncated")
            }
            return try PayloadCompression.decompress(view.readableBytesView, originalSize: original, limit: configuration.maxFrameSize)
        default:
            throw WireProtocolError(.malformedFrame, "unknown payload flags \(flags)")
        }
    }
}
