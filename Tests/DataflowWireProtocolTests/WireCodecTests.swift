import NIOCore
import Testing

@testable import DataflowWireProtocol

struct WireCodecTests {
    static let messages: [WireMessage] = [
        .challenge(Challenge(nonce: Array(repeating: 7, count: 32))),
        .register(
            Registration(
                proof: Array(repeating: 1, count: 32),
                nonce: Array(repeating: 2, count: 32),
                fingerprint: "0123456789abcdef",
                hostname: "höst",
                blockID: "3",
                workerID: "3.höst.42.0",
                capacity: 4,
                pid: 42
            )
        ),
        .accepted(Acceptance(proof: [9, 9], heartbeatPeriodMilliseconds: 1000, heartbeatThresholdMilliseconds: 5000)),
        .rejected("different apps"),
        .tasks([
            TaskAssignment(key: TaskKey(taskID: 1, tryID: 0), app: "echo", input: [1, 2, 3]),
            TaskAssignment(key: TaskKey(taskID: .max, tryID: .max), app: "", input: []),
        ]),
        .started([TaskKey(taskID: 5, tryID: 1)]),
        .results([
            TaskResult(key: TaskKey(taskID: 1, tryID: 0), outcome: .success([4, 5])),
            TaskResult(key: TaskKey(taskID: 2, tryID: 3), outcome: .failure(RemoteFailure(kind: .walltime, typeName: "AppError", message: "too slow"))),
        ]),
        .heartbeat, .drain, .drained, .shutdown,
    ]

    func roundTrip(_ message: WireMessage, codec: WireCodec = WireCodec()) throws -> WireMessage {
        var buffer = ByteBuffer()
        try codec.encodeFrame(message, into: &buffer)
        let length = buffer.readInteger(as: UInt32.self)!
        #expect(Int(length) == buffer.readableBytes)
        return try codec.decodeBody(&buffer)
    }

    @Test(arguments: messages)
    func everyMessageRoundTrips(_ message: WireMessage) throws {
        #expect(try roundTrip(message) == message)
    }

    @Test func largePayloadsAreCompressed() throws {
        let input = [UInt8](repeating: 42, count: 1 << 20)
        var buffer = ByteBuffer()
        try WireCodec().encodeFrame(.tasks([TaskAssignment(key: TaskKey(taskID: 1, tryID: 0), app: "a", input: input)]), into: &buffer)
        #expect(buffer.readableBytes < 10_000)
        buffer.moveReaderIndex(forwardBy: 4)
        #expect(try WireCodec().decodeBody(&buffer) == .tasks([TaskAssignment(key: TaskKey(taskID: 1, tryID: 0), app: "a", input: input)]))
    }

    @Test func framesOverTheLimitAreRefusedOnBothSides() throws {
        let codec = WireCodec(configuration: .init(maxFrameSize: 1000, compressionThreshold: 1 << 30))
        var buffer = ByteBuffer()
        #expect(throws: WireProtocolError.self) {
            try codec.encodeFrame(.tasks([TaskAssignment(key: TaskKey(taskID: 1, tryID: 0), app: "a", input: Array(repeating: 1, count: 2000))]), into: &buffer)
        }
        #expect(buffer.readableBytes == 0)
        // A compressed payload that would inflate past the limit is refused before allocating.
        let big = WireCodec(configuration: .init(maxFrameSize: 1 << 24))
        var bomb = ByteBuffer()
        try big.encodeFrame(.tasks([TaskAssignment(key: TaskKey(taskID: 1, tryID: 0), app: "a", input: Array(repeating: 0, count: 1 << 23))]), into: &bomb)
        bomb.moveReaderIndex(forwardBy: 4)
        #expect(throws: WireProtocolError.self) { _ = try codec.decodeBody(&bomb) }
    }

    @Test func randomAndMutatedBodiesNeverCrashTheDecoder() throws {
        var generator = SystemRandomNumberGenerator()
        var encoded: [[UInt8]] = []
        for message in Self.messages {
            var buffer = ByteBuffer()
            try WireCodec().encodeFrame(message, into: &buffer)
            encoded.append(Array(buffer.readableBytesView.dropFirst(4)))
        }
        var rejected = 0
        for round in 0..<20_000 {
            var body: [UInt8]
            if round % 2 == 0 {
                body = (0..<Int.random(in: 0..<80, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            } else {
                body = encoded[round % encoded.count]
                if !body.isEmpty {
                    for _ in 0..<Int.random(in: 1...4, using: &generator) {
                        body[Int.random(in: 0..<body.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
                    }
                }
            }
            var buffer = ByteBuffer(bytes: body)
            do { _ = try WireCodec().decodeBody(&buffer) } catch { rejected += 1 }
        }
        #expect(rejected > 10_000)
    }

    @Test func proofsNeedTheSecret() {
        let leader = Authenticator(secret: "s3cret")
        let impostor = Authenticator(secret: "guess")
        let n1 = Authenticator.nonce()
        let n2 = Authenticator.nonce()
        #expect(n1 != n2)
        #expect(Authenticator.matches(leader.registrationProof(leaderNonce: n1, workerNonce: n2), leader.registrationProof(leaderNonce: n1, workerNonce: n2)))
        #expect(
            !Authenticator.matches(impostor.registrationProof(leaderNonce: n1, workerNonce: n2), leader.registrationProof(leaderNonce: n1, workerNonce: n2)))
        #expect(!Authenticator.matches(leader.registrationProof(leaderNonce: n2, workerNonce: n1), leader.registrationProof(leaderNonce: n1, workerNonce: n2)))
        #expect(!Authenticator.matches([], []))
        #expect(Authenticator.makeSecret().count == 64)
    }
}
