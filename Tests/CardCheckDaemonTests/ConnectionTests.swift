import CardCheck
import CardCheckJSON
import CardCheckTestSupport
import CardCheckWire
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import CardCheckServer

/// The connection handler on an `EmbeddedChannel`: every event delivered by hand, time advanced by hand,
/// so batching, back-pressure, half-close, framing errors, drain, idle and slowloris are checked
/// deterministically, with no process, socket or sleep. The process tests remain the end-to-end checks.
@Suite("A connection, in process (EmbeddedChannel)")
struct ConnectionHandlerTests {
    /// Counts the reads that reach the channel: a held-back read never gets here.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = Any
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    struct Harness {
        let channel: EmbeddedChannel
        let reads: ReadCounter
        let statistics: DaemonStatistics

        init(idleTimeout: TimeAmount = .seconds(300), inlineBatchLimit: Int = 16) throws {
            let statistics = DaemonStatistics(workerQueues: 1, version: "test")
            let context = ConnectionHandler.Context(
                responders: ResponderSource(Responder(validator: Validator()), access: try PeerAccess(Configuration())),
                workers: WorkerPool(count: 1),
                statistics: statistics,
                limits: ConnectionStateMachine.Limits(
                    maxInFlight: 256,
                    inlineBatchLimit: inlineBatchLimit,
                    idleTimeout: idleTimeout
                ),
                maximumFrameSize: 16_384,
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            )
            channel = EmbeddedChannel()
            reads = ReadCounter()
            self.statistics = statistics
            try channel.pipeline.syncOperations.addHandler(reads)
            try channel.pipeline.syncOperations.addHandler(
                ConnectionHandler(context, peer: PeerCredentials(pid: 1, uid: 0, gid: 0), now: channel.eventLoop.now)
            )
            try channel.connect(to: SocketAddress(unixDomainSocketPath: "/x")).wait()
        }

        func send(_ bytes: [UInt8]) throws {
            try channel.writeInbound(channel.allocator.buffer(bytes: bytes))
        }

        /// Every write the handler made, in order, one ByteBuffer each.
        func writes() throws -> [[UInt8]] {
            var writes: [[UInt8]] = []
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
                writes.append(Array(buffer.readableBytesView))
            }
            return writes
        }
    }

    static func ping(_ id: UInt32) -> [UInt8] {
        requestBytes(Opcode.ping.rawValue, id: id) { $0.writeField(0x01, bytes: Array("p\(id)".utf8)) }
    }

    static func validate(_ id: UInt32) -> [UInt8] {
        requestBytes(Opcode.validate.rawValue, id: id) { $0.writeField(0x01, text: "4111111111111111") }
    }

    @Test("the frames of one read are answered in order and leave in one write")
    func oneReadOneWrite() throws {
        let harness = try Harness()
        try harness.send(Self.ping(1) + Self.validate(2) + Self.ping(3))
        let writes = try harness.writes()
        #expect(writes.count == 1)
        let answers = try frames(in: writes.flatMap { $0 })
        #expect(answers.map(\.requestID) == [1, 2, 3])
        #expect(answers.map(\.opcode) == [0x82, 0x83, 0x82])
        #expect(harness.statistics.requestsAnswered == 3)
    }

    @Test("a frame split over many reads is answered once, when its last byte arrives")
    func splitFrame() throws {
        let harness = try Harness()
        let bytes = Self.validate(7)
        for byte in bytes.dropLast() {
            try harness.send([byte])
            #expect(try harness.writes().isEmpty)
        }
        try harness.send([bytes.last!])
        #expect(try frames(in: harness.writes().flatMap { $0 }).map(\.requestID) == [7])
    }

    @Test("while the channel is not writable no read reaches it; writable again, the held read goes on")
    func writabilityBackPressure() throws {
        let harness = try Harness()
        harness.channel.read()
        #expect(harness.reads.reads == 1)
        harness.channel.isWritable = false
        harness.channel.pipeline.fireChannelWritabilityChanged()
        harness.channel.read()
        harness.channel.read()
        #expect(harness.reads.reads == 1, "a read passed while the channel was not writable")
        // What was already read is still answered: it is bounded by one read cycle.
        try harness.send(Self.ping(1))
        #expect(try frames(in: harness.writes().flatMap { $0 }).map(\.requestID) == [1])
        harness.channel.isWritable = true
        harness.channel.pipeline.fireChannelWritabilityChanged()
        #expect(harness.reads.reads == 2, "the held-back read was not released")
        harness.channel.isWritable = true
        harness.channel.pipeline.fireChannelWritabilityChanged()
        #expect(harness.reads.reads == 2, "a read was released twice")
    }

    @Test("a half-close: everything sent before it is answered, then the connection closes")
    func halfClose() throws {
        let harness = try Harness()
        harness.channel.pipeline.syncOperations.fireChannelRead(
            NIOAny(harness.channel.allocator.buffer(bytes: Self.ping(1) + Self.ping(2)))
        )
        harness.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try frames(in: harness.writes().flatMap { $0 }).map(\.requestID) == [1, 2])
        #expect(!harness.channel.isActive)
    }

    @Test("a framing error: the frames before it are answered, then malformed_stream (id 0), then close")
    func framingError() throws {
        let harness = try Harness()
        try harness.send(Self.ping(1) + Self.ping(2) + [0, 0, 0, 12, 0x01, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0])
        let answers = try frames(in: harness.writes().flatMap { $0 })
        #expect(answers.map(\.requestID) == [1, 2, 0])
        let error = try WireError(fields: try #require(answers.last).fields)
        #expect(error.kind == .malformed && error.code == "malformed_stream")
        #expect(!harness.channel.isActive)
    }

    @Test("an oversized length is frame_too_large from the length alone, and closes")
    func frameTooLarge() throws {
        let harness = try Harness()
        try harness.send([0xFF, 0xFF, 0xFF, 0xFF, 0xC1])
        let answers = try frames(in: harness.writes().flatMap { $0 })
        #expect(answers.count == 1)
        #expect(try WireError(fields: answers[0].fields).kind == .frameTooLarge)
        #expect(!harness.channel.isActive)
    }

    @Test("idle: closed once idle_timeout passes with nothing sent, not before")
    func idle() throws {
        let harness = try Harness(idleTimeout: .seconds(4))
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        try harness.send(Self.ping(1))
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(harness.channel.isActive, "closed although a request came 3 s ago")
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!harness.channel.isActive)
    }

    @Test("slowloris: a frame dribbled a byte every 100 ms is closed after idle_timeout although bytes keep coming")
    func slowloris() throws {
        let harness = try Harness(idleTimeout: .seconds(1))
        let bytes = Self.validate(1)
        var sent = 0
        while harness.channel.isActive && sent < bytes.count - 1 {
            try harness.send([bytes[sent]])
            sent += 1
            harness.channel.embeddedEventLoop.advanceTime(by: .milliseconds(100))
        }
        #expect(!harness.channel.isActive)
        #expect(sent <= 15, "still open after \(sent) bytes over \(sent * 100) ms")
        #expect(try harness.writes().isEmpty)
    }

    @Test("a drain answers what was read, then closes; a new read after it is not served")
    func drain() throws {
        let harness = try Harness()
        try harness.send(Self.ping(1))
        harness.channel.pipeline.fireUserInboundEventTriggered(DrainEvent())
        harness.channel.embeddedEventLoop.advanceTime(by: .milliseconds(20))
        #expect(try frames(in: harness.writes().flatMap { $0 }).map(\.requestID) == [1])
        #expect(!harness.channel.isActive)
    }
}

/// The state machine alone: the worker path and the in-flight limit, which an EmbeddedChannel cannot
/// drive (answers come back from another thread).
@Suite("The connection state machine")
struct ConnectionStateMachineTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func machine(maxInFlight: Int = 4, inlineBatchLimit: Int = 2) -> ConnectionStateMachine {
        ConnectionStateMachine(
            limits: .init(maxInFlight: maxInFlight, inlineBatchLimit: inlineBatchLimit, idleTimeout: .seconds(10)),
            maximumFrameSize: 16_384,
            now: start
        )
    }

    static func pings(_ count: Int) -> ByteBuffer {
        ByteBuffer(bytes: (1...count).flatMap { requestBytes(Opcode.ping.rawValue, id: UInt32($0)) })
    }

    @Test("small batches inline, large ones to the workers; at max_in_flight reads are held until answers are out")
    func inFlightLimit() {
        var machine = Self.machine()
        #expect(machine.bytesRead(Self.pings(2), now: Self.start) == nil)
        #expect(machine.readComplete() == .inline)
        #expect(machine.answerInline { $0.count == 2 ? nil : WireError.malformed("wrong batch") } == .none)
        #expect(machine.pending.isEmpty && machine.inFlight == 0)

        _ = machine.bytesRead(Self.pings(5), now: Self.start)
        guard case .workers(let batch) = machine.readComplete() else {
            Issue.record("a batch of 5 was not sent to the workers")
            return
        }
        #expect(batch.map(\.requestID) == [1, 2, 3, 4, 5])
        #expect(machine.inFlight == 5)
        let heldRead = machine.readRequested()
        #expect(!heldRead, "read on with 5 in flight and a limit of 4")
        #expect(machine.batchAnswered(count: 5, closeError: nil) == .read)
        let read = machine.readRequested()
        #expect(read)
    }

    @Test("answers keep the requests' order: frames read while a worker batch is out wait for it")
    func orderBehindWorkers() {
        var machine = Self.machine(maxInFlight: 64)
        _ = machine.bytesRead(Self.pings(5), now: Self.start)
        guard case .workers(let first) = machine.readComplete() else {
            Issue.record("no worker batch")
            return
        }
        _ = machine.bytesRead(Self.pings(1), now: Self.start)
        #expect(machine.readComplete() == .none, "a small batch overtook the worker batch")
        #expect(machine.pending.count == 1)
        #expect(machine.batchAnswered(count: first.count, closeError: nil) == .none)
        #expect(machine.readComplete() == .inline)
    }

    @Test("not writable and at the limit: the read waits for both")
    func bothConditions() {
        var machine = Self.machine()
        _ = machine.bytesRead(Self.pings(5), now: Self.start)
        _ = machine.readComplete()
        #expect(machine.writabilityChanged(isWritable: false) == .none)
        let read = machine.readRequested()
        #expect(!read)
        #expect(machine.batchAnswered(count: 5, closeError: nil) == .none, "read released while not writable")
        #expect(machine.writabilityChanged(isWritable: true) == .read)
    }

    @Test("half-close with a worker batch out: the close waits for its answers")
    func finishAfterWorkers() {
        var machine = Self.machine()
        _ = machine.bytesRead(Self.pings(3), now: Self.start)
        guard case .workers = machine.readComplete() else {
            Issue.record("no worker batch")
            return
        }
        #expect(machine.inputClosed() == .none)
        #expect(machine.finishIfDone() == nil)
        #expect(machine.batchAnswered(count: 3, closeError: nil) == .close(.finished, finalError: nil))
        #expect(machine.isClosed)
    }

    @Test("draining: kept open while the kernel holds input, closed when quiet or after the read limit")
    func drain() {
        var machine = Self.machine()
        let draining = machine.drainRequested(now: Self.start)
        #expect(draining)
        #expect(machine.drainTick(now: Self.start, kernelHoldsInput: true) == nil)
        _ = machine.bytesRead(Self.pings(1), now: Self.start)
        #expect(machine.drainTick(now: Self.start + .seconds(3), kernelHoldsInput: true) == .inline)
        #expect(machine.answerInline { _ in nil } == .close(.finished, finalError: nil))
    }
}

@Suite("One set of counters, rendered twice")
struct CountersTests {
    /// The sum of a Prometheus metric's series in `text`.
    static func total(_ metric: String, in text: String) -> Double {
        text.split(separator: "\n").filter { $0.hasPrefix(metric + "{") || $0.hasPrefix(metric + " ") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    @Test("STATS and the Prometheus exposition read the same counters")
    func statsAndPrometheusAgree() throws {
        let harness = try ConnectionHandlerTests.Harness()
        try harness.send(
            ConnectionHandlerTests.ping(1) + ConnectionHandlerTests.validate(2)
                + requestBytes(Opcode.validate.rawValue, id: 3) { $0.writeField(0x01, text: "4111x") }
                + requestBytes(0x42, id: 4)
        )
        try harness.send([0, 0, 0, 2])  // a frame shorter than its header: malformed_stream, then close
        _ = try harness.writes()
        harness.statistics.recordReload(succeeded: false)
        let stats = harness.statistics.snapshot
        let text = harness.statistics.exposition(queueDepths: [0])
        #expect(stats.requestsAnswered == 4)
        #expect(stats.validateRequests == 1)
        #expect(stats.errorsSent == 3)  // invalid PAN, unknown operation, malformed stream
        #expect(Self.total("cardcheck_requests_total", in: text) == Double(stats.requestsAnswered))
        #expect(Self.total("cardcheck_errors_total", in: text) == Double(stats.errorsSent))
        #expect(Self.total("cardcheck_reloads_total", in: text) == 1)
        #expect(text.contains("cardcheck_requests_total{op=\"validate\",outcome=\"error\"} 1"), "\(text)")
        #expect(text.contains("# HELP cardcheck_requests_total"))
        #expect(Self.total("cardcheck_request_duration_seconds_count", in: text) == 4)
    }
}

/// JSON Lines on the same socket, in process: a connection whose first byte is `{` is answered line for
/// line with exactly what `cardcheck validate --local` writes.
@Suite("JSON Lines on the socket, in process (EmbeddedChannel)")
struct JSONLinesConnectionTests {
    static func expected(_ lines: [String]) -> [String] {
        let local = JSONLinesValidator(validator: Validator(), today: YearMonth(unixTime: Int64(time(nil))))
        return lines.map { local.process($0).output }
    }

    static func received(_ harness: ConnectionHandlerTests.Harness) throws -> [String] {
        let text = String(decoding: try harness.writes().flatMap { $0 }, as: UTF8.self)
        #expect(text.isEmpty || text.hasSuffix("\n"))
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    @Test("the example cards, one read: one output line each, in order, as validate --local writes them")
    func examples() throws {
        let lines = try RepositoryFile.text("Protocol/examples/cards.jsonl").split(separator: "\n").map(String.init)
        let harness = try ConnectionHandlerTests.Harness()
        try harness.send(Array((lines.joined(separator: "\n") + "\n").utf8))
        #expect(try Self.received(harness) == Self.expected(lines))
        #expect(harness.channel.isActive)
        let text = harness.statistics.exposition(queueDepths: [0])
        let counted = text.split(separator: "\n").filter {
            $0.hasPrefix("cardcheck_requests_total{op=\"validate_jsonl\"")
        }
        .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
        #expect(counted == Double(lines.count), "\(text)")
        #expect(harness.statistics.snapshot.requestsAnswered == UInt64(lines.count))
    }

    @Test("lines split across reads, CRLF endings, bad JSON and unknown keys: each answered on its line")
    func splitAndErrors() throws {
        let lines = [
            #"{"pan":"4111111111111111"}"#, #"{"pan":"4111111111111111","colour":"red"}"#, "{not json",
            #"{"csc":"123"}"#,
        ]
        let harness = try ConnectionHandlerTests.Harness()
        let bytes = Array(lines.joined(separator: "\r\n").utf8) + Array("\r\n".utf8)
        for chunk in stride(from: 0, to: bytes.count, by: 7) {
            try harness.send(Array(bytes[chunk..<min(chunk + 7, bytes.count)]))
        }
        let answers = try Self.received(harness)
        #expect(answers == Self.expected(lines))
        #expect(answers[1].contains("unknown_key") && answers[2].contains("invalid_json"), "\(answers)")
    }

    @Test("a line longer than the maximum frame: an error line (line_too_long), then the close")
    func lineTooLong() throws {
        let harness = try ConnectionHandlerTests.Harness()
        try harness.send(Array((#"{"pan":"4111111111111111"}"# + "\n").utf8))
        try harness.send(Array(("{\"street\":\"" + String(repeating: "x", count: 20_000)).utf8))
        let answers = try Self.received(harness)
        #expect(answers.count == 2)
        #expect(answers.first == Self.expected([#"{"pan":"4111111111111111"}"#]).first)
        #expect(answers.last?.hasPrefix(#"{"error":{"code":"line_too_long""#) == true, "\(answers)")
        #expect(!harness.channel.isActive)
    }

    @Test("the code in a JSON line is zeros in the connection's buffer once answered")
    func wipesTheLine() throws {
        var line = ByteBuffer(string: #"{"pan":"4111111111111111","csc":"987"}"#)
        let frame = Frame(version: Frame.jsonLineVersion, opcode: Opcode.validate.rawValue, requestID: 0, fields: line)
        var output = ByteBuffer()
        let outcome = Responder(validator: Validator()).respond(
            to: frame,
            today: YearMonth(year: 2026, month: 12)!,
            into: &output
        )
        #expect(outcome.isJSONLine && outcome.action != nil)
        #expect(frame.fields.readableBytesView.allSatisfy { $0 == 0 })
        line = frame.fields
        #expect(!String(buffer: output).contains("987"))
    }
}
