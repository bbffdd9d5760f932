import Atomics
import CardCheckWire
import Glibc
import NIOCore

/// When a run measures and stops, in `NIODeadline` uptime nanoseconds, shared by every connection.
struct RunSchedule: Sendable {
    var start: UInt64
    var warmupEnd: UInt64
    /// Sending stops here (duration runs); `UInt64.max` for request-count runs.
    var end: UInt64
    /// Requests this connection sends in all (request-count runs), or nil.
    var budget: Int?
    /// Open loop: nanoseconds between this connection's requests; nil for closed loop.
    var interval: UInt64?
    var pipeline: Int

    static var now: UInt64 { NIODeadline.now().uptimeNanoseconds }
}

/// One load connection: sends the workload's prepared frames (as they are: no encoding, no allocation),
/// keeps `pipeline` of them in flight, matches answers by request id (or, for Redis, by order), records
/// latency and checks each answer against the engine's, byte for byte.
///
/// With `reopen`, the connection outlives its channel: when the channel closes under it, the run opens a
/// new one with this same handler, and `channelActive` sends what was unanswered again.
final class LoadConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let templates: [Workload.Template]
    /// The engine's answers, flattened for the hot path: answer `i` has opcode `expectedOpcodes[i]` and
    /// fields `expectedFields[expectedStart[i] ..< expectedStart[i + 1]]`. Checking an answer is then a
    /// memcmp, with no reference counting (comparing against each template's ByteBuffer through a
    /// generic sequence comparison took a quarter of the load generator's CPU).
    private let expectedOpcodes: [UInt8]
    private let expectedStart: [Int]
    private let expectedFields: [UInt8]
    private let recorder: LoopRecorder
    private let answeredTotal: ManagedAtomic<Int>
    private let checkAnswers: Bool
    private var schedule: RunSchedule?
    private var context: ChannelHandlerContext?

    /// In-flight requests by slot (`id & mask`): the id (0 = free) and when it was sent, or should have been.
    private var slotIDs: [UInt32]
    private var slotTimes: [UInt64]
    private let mask: Int
    private var cursor: Int
    private var inFlight = 0
    /// Requests sent (closed loop), or scheduled and sent (open loop).
    private var started = 0
    private var stopping = false
    private var wroteSinceFlush = false
    /// Requests gathered until the next flush: one write per flush, not per request. Its storage is
    /// reused once the socket has taken the bytes (usually at once), so a flush allocates nothing.
    private var outbound: ByteBuffer?
    /// When the current read arrived: every answer in one read is timed by it (one clock read per read,
    /// not per answer).
    private var readAt: UInt64 = 0

    /// Completes when the connection has nothing in flight after the end, or closes for good.
    let finished: EventLoopPromise<Void>
    /// Answers come in request order and carry no id (Redis's RESP): request ids are a sequence kept here,
    /// and the workload has one template, whose answer is `expectedFields`.
    private let ordered: Bool
    private var sentSequence: UInt32 = 0
    private var answeredSequence: UInt32 = 0
    /// An ordered answer split across reads.
    private var partialAnswer: [UInt8] = []
    /// Opens a new channel for this connection after its channel broke; nil: a broken channel ends it.
    private let reopen: ((LoadConnection) -> Void)?
    private var joined = false

    private var frames = NIOSingleStepByteToMessageProcessor(FrameDecoder(maximumFrameSize: 1 << 20))
    /// Answers counted since the last read completed; added to the shared counter once per read.
    private var answeredSinceRead = 0

    init(
        templates: [Workload.Template],
        recorder: LoopRecorder,
        answeredTotal: ManagedAtomic<Int>,
        checkAnswers: Bool,
        firstTemplate: Int,
        pipeline: Int,
        ordered: Bool = false,
        reopen: ((LoadConnection) -> Void)? = nil,
        finished: EventLoopPromise<Void>
    ) {
        self.ordered = ordered
        self.reopen = reopen
        self.templates = templates
        // Ordered (RESP) answers are compared whole; frames without their length prefix and header.
        let header = ordered ? 0 : WireFormat.lengthPrefixSize + WireFormat.headerSize
        var opcodes: [UInt8] = []
        var starts: [Int] = [0]
        var fields: [UInt8] = []
        for template in templates {
            let expected = template.expected
            opcodes.append(expected.getInteger(at: expected.readerIndex + 5, as: UInt8.self) ?? 0)
            fields +=
                expected.getBytes(at: expected.readerIndex + header, length: max(0, expected.readableBytes - header))
                ?? []
            starts.append(fields.count)
        }
        (expectedOpcodes, expectedStart, expectedFields) = (opcodes, starts, fields)
        self.recorder = recorder
        self.answeredTotal = answeredTotal
        self.checkAnswers = checkAnswers
        self.finished = finished
        var size = 4
        while size < pipeline * 4 { size <<= 1 }
        slotIDs = [UInt32](repeating: 0, count: size)
        slotTimes = [UInt64](repeating: 0, count: size)
        mask = size - 1
        cursor = firstTemplate
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    /// Joins its loop's recorder only once connected: a failed attempt leaves nothing to start. A reopened
    /// connection sends its unanswered requests again, in the order they were first sent.
    func channelActive(context: ChannelHandlerContext) {
        if !joined {
            joined = true
            recorder.connections.append(self)
        } else {
            recorder.reopened += 1
            frames = NIOSingleStepByteToMessageProcessor(FrameDecoder(maximumFrameSize: 1 << 20))
            outbound = nil
            let unanswered = slotIDs.indices.filter { slotIDs[$0] != 0 }.sorted { slotTimes[$0] < slotTimes[$1] }
            for slot in unanswered {
                write(templates[Int(slotIDs[slot]) - 1].request)
                recorder.resent += 1
            }
            flushIfNeeded()
            if schedule?.interval == nil { fill() } else { tick() }
        }
        context.fireChannelActive()
    }

    /// Starts sending (on this connection's loop).
    func begin(_ schedule: RunSchedule) {
        self.schedule = schedule
        if schedule.interval == nil { fill() } else { tick() }
    }

    /// Open loop: sends every request that is due by now, as far as the pipeline allows; the rest wait,
    /// keeping their intended send time.
    func tick(flush: Bool = true) {
        guard let schedule, let interval = schedule.interval, !stopping, context != nil else { return }
        let now = RunSchedule.now
        if now >= schedule.end { return stop() }
        guard now >= schedule.start else { return }  // this connection's first send is still ahead
        var due = Int((now - schedule.start) / interval) + 1
        if let budget = schedule.budget { due = min(due, budget) }
        while started < due && inFlight < schedule.pipeline {
            send(intended: schedule.start &+ UInt64(started) &* interval)
        }
        if flush { flushIfNeeded() }
        if let budget = schedule.budget, started >= budget, inFlight == 0 { stop() }
    }

    /// Closed loop: tops the pipeline up.
    private func fill(flush: Bool = true, now: UInt64 = RunSchedule.now) {
        guard let schedule, !stopping, context != nil else { return }
        if now >= schedule.end { return stop() }
        while inFlight < schedule.pipeline {
            if let budget = schedule.budget, started >= budget { break }
            send(intended: now)
        }
        if flush { flushIfNeeded() }
        if let budget = schedule.budget, started >= budget, inFlight == 0 { stop() }
    }

    private func send(intended: UInt64) {
        let index: Int
        let id: UInt32
        if ordered {
            // At most `pipeline` in flight, answered in order, over 4 x pipeline slots: the slot is free.
            index = cursor % templates.count
            cursor += 1
            sentSequence = Self.successor(of: sentSequence)
            id = sentSequence
        } else {
            var next = cursor % templates.count
            while slotIDs[(next + 1) & mask] != 0 {  // that slot's request is still out: take the next template
                cursor += 1
                next = cursor % templates.count
            }
            cursor += 1
            index = next
            id = UInt32(index + 1)
        }
        let slot = Int(id) & mask
        slotIDs[slot] = id
        slotTimes[slot] = intended
        inFlight += 1
        started += 1
        recorder.sent += 1
        write(templates[index].request)
    }

    /// The id after `id`, never 0 (0 is for connection-level errors).
    private static func successor(of id: UInt32) -> UInt32 { id == .max ? 1 : id + 1 }

    private func write(_ request: ByteBuffer) {
        guard let context else { return }
        if outbound == nil { outbound = context.channel.allocator.buffer(capacity: 4_096) }
        outbound!.writeImmutableBuffer(request)
        wroteSinceFlush = true
    }

    private func flushIfNeeded() {
        guard wroteSinceFlush, let context, let bytes = outbound else { return }
        wroteSinceFlush = false
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        // Still shared with the write if the socket did not take it all: clear() then moves to new storage.
        outbound!.clear()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        readAt = RunSchedule.now
        if ordered { return receivedInOrder(unwrapInboundIn(data), context: context) }
        do {
            try frames.process(buffer: unwrapInboundIn(data)) { received($0, context: context) }
        } catch {
            recorder.problem("malformed_answer", "cardcheckd's answer could not be framed: \(error)")
            context.close(promise: nil)
        }
    }

    private func received(_ frame: Frame, context: ChannelHandlerContext) {
        let now = readAt
        let id = frame.requestID
        let slot = Int(id) & mask
        guard id != 0, slotIDs[slot] == id else {
            if frame.opcode == WireFormat.errorOpcode, let error = try? WireError(fields: frame.fields) {
                recorder.problem(error.code, "connection refused or broken by cardcheckd: \(error)")
            } else {
                recorder.problem("unexpected_answer", "an answer with request id \(id), which is not in flight")
            }
            context.close(promise: nil)
            return
        }
        if checkAnswers && !answerMatches(frame, template: Int(id) - 1) {
            let template = templates[Int(id) - 1]
            if frame.opcode == WireFormat.errorOpcode, let error = try? WireError(fields: frame.fields) {
                recorder.problem(error.code, "\(template.kind.rawValue) request \(id): cardcheckd answered \(error)")
            } else if frame.opcode == Opcode.validate.responseOpcode,
                let result = try? ValidateCodec.readResult(frame.fields),
                result.reasons.contains(.velocityCard) || result.reasons.contains(.velocityBIN)
            {
                // The bench repeats its cards, some failing each time: the daemon's velocity limits lock them.
                recorder.problem(
                    "velocity_limited",
                    "\(template.kind.rawValue) request \(id): the daemon's velocity limits locked the bench's "
                        + "repeated cards; bench a daemon with velocity = false, or with the limits raised"
                )
            } else {
                recorder.problem(
                    "wrong_answer",
                    "\(template.kind.rawValue) request \(id): the answer differs from the engine's"
                )
            }
        }
        answered(slot: slot, at: now)
    }

    /// Redis's answers: one RESP line each (`+PONG\r\n`, or `-ERR ...\r\n`), for the oldest request.
    private func receivedInOrder(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        buffer.withUnsafeReadableBytes { bytes in
            var start = 0
            while start < bytes.count {
                let rest = UnsafeRawBufferPointer(rebasing: bytes[start...])
                guard let newline = memchr(rest.baseAddress!, 0x0A, rest.count) else {
                    partialAnswer += rest
                    return
                }
                let end = start + (UnsafeRawPointer(newline) - rest.baseAddress!) + 1
                if partialAnswer.isEmpty {
                    answeredInOrder(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), context: context)
                } else {
                    partialAnswer += UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                    partialAnswer.withUnsafeBytes { answeredInOrder($0, context: context) }
                    partialAnswer.removeAll(keepingCapacity: true)
                }
                start = end
            }
        }
    }

    private func answeredInOrder(_ line: UnsafeRawBufferPointer, context: ChannelHandlerContext) {
        let id = Self.successor(of: answeredSequence)
        let slot = Int(id) & mask
        guard inFlight > 0, slotIDs[slot] == id else {
            recorder.problem("unexpected_answer", "an answer with no request in flight")
            context.close(promise: nil)
            return
        }
        answeredSequence = id
        let expected = expectedFields.count
        let matches =
            line.count == expected
            && expectedFields.withUnsafeBytes { memcmp($0.baseAddress!, line.baseAddress!, expected) == 0 }
        if checkAnswers && !matches {
            let text = String(decoding: line.prefix(80), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            recorder.problem(line.first == UInt8(ascii: "-") ? "redis_error" : "wrong_answer", "request \(id): \(text)")
        }
        answered(slot: slot, at: readAt)
    }

    /// Frees the request's slot, records its latency and sends what the pace allows next.
    private func answered(slot: Int, at now: UInt64) {
        slotIDs[slot] = 0
        inFlight -= 1
        recorder.answered += 1
        answeredSinceRead += 1
        if let schedule, now >= schedule.warmupEnd {
            recorder.latency.record(max(1, now &- slotTimes[slot]))
            recorder.measured += 1
        }
        if stopping {
            if inFlight == 0 { finish() }
        } else if schedule?.interval == nil {
            fill(flush: false, now: now)  // channelReadComplete flushes once for the whole read
        } else {
            tick(flush: false)
        }
    }

    /// Whether `frame` is exactly the engine's answer to template `index`.
    private func answerMatches(_ frame: Frame, template index: Int) -> Bool {
        guard frame.opcode == expectedOpcodes[index] else { return false }
        let start = expectedStart[index]
        let length = expectedStart[index + 1] - start
        guard frame.fields.readableBytes == length else { return false }
        guard length > 0 else { return true }
        return frame.fields.withUnsafeReadableBytes { answer in
            expectedFields.withUnsafeBytes { all in memcmp(answer.baseAddress!, all.baseAddress! + start, length) == 0 }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if answeredSinceRead > 0 {
            answeredTotal.wrappingIncrement(by: answeredSinceRead, ordering: .relaxed)
            answeredSinceRead = 0
        }
        flushIfNeeded()
        context.fireChannelReadComplete()
    }

    /// Sends nothing more; finishes once the answers in flight are in.
    func stop() {
        stopping = true
        if inFlight == 0 { finish() }
    }

    private var isFinished = false

    private func finish() {
        guard !isFinished else { return }
        isFinished = true
        finished.succeed(())
    }

    /// Closes the connection's channel at the run's end.
    func close() {
        finish()
        context?.close(promise: nil)
    }

    /// The run gave up waiting: what is still in flight timed out.
    func abandon() {
        if inFlight > 0 { recorder.problem("timeout", "\(inFlight) requests unanswered when the run ended") }
        inFlight = 0
        finish()
        context?.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        if let reopen, !isFinished, inFlight > 0 || !stopping {
            partialAnswer.removeAll()
            reopen(self)
            return context.fireChannelInactive()
        }
        if inFlight > 0 || !stopping {
            recorder.problem("connection_closed", "cardcheckd closed a connection with \(inFlight) requests in flight")
        }
        finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Reconnecting, a reset or a broken pipe is what a killed daemon looks like: the channel is opened again.
        if reopen == nil || isFinished { recorder.problem("connection_error", "\(error)") }
        context.close(promise: nil)
    }
}
