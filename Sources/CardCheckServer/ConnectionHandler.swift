import Atomics
import CardCheck
import CardCheckJSON
import CardCheckWire
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Asks a connection to finish what it has received and close (shutdown).
struct DrainEvent: Sendable {}

/// Tells a connection that a reload replaced the responder: it lets go of the old one now, not at its next
/// request, so that an idle connection does not keep a replaced configuration (and its card data) alive.
struct RespondersReplacedEvent: Sendable {}

/// The responder and the access rules in force; replaced together on reload. Each replacement has a
/// new generation number, so that a connection keeps its own copy and only asks (one atomic load per
/// batch) whether it is still the one in force, instead of taking a lock and copying per batch.
final class ResponderSource: Sendable {
    struct Current: Sendable {
        var responder: Responder
        var access: PeerAccess
        var generation: UInt64
    }

    private let box: NIOLockedValueBox<Current>
    private let latestGeneration = ManagedAtomic<UInt64>(0)

    init(_ responder: Responder, access: PeerAccess) {
        box = NIOLockedValueBox(Current(responder: responder, access: access, generation: 0))
    }

    var current: Current { box.withLockedValue { $0 } }

    /// Whether `generation` is still the one in force.
    func isCurrent(_ generation: UInt64) -> Bool { latestGeneration.load(ordering: .acquiring) == generation }

    /// Puts `responder` in force and hands back the one it replaces.
    @discardableResult
    func replace(with responder: Responder, access: PeerAccess) -> Current {
        box.withLockedValue {
            let previous = $0
            $0 = Current(responder: responder, access: access, generation: $0.generation + 1)
            latestGeneration.store($0.generation, ordering: .releasing)
            return previous
        }
    }
}

/// Serves one client connection: drives its ``ConnectionStateMachine`` and does what it says on the
/// channel. The request path stays allocation-free: frames are split in the handler (no pipeline step),
/// small batches are answered on the event loop straight from the machine's `pending` array into a
/// reused output buffer, and the batch's answers leave with one flush.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Context: Sendable {
        /// Asked once per batch whether a reload replaced it (`isCurrent`), so that a reload takes effect
        /// on the next batch of every connection.
        var responders: ResponderSource
        var workers: WorkerPool
        var statistics: DaemonStatistics
        var limits: ConnectionStateMachine.Limits
        var maximumFrameSize: Int
        var logger: Logger
    }

    private let shared: Context
    private let peer: PeerCredentials
    /// Carries `peer` in its metadata: every line about this connection names it.
    private let logger: Logger
    /// The responder this connection uses and the peer's permissions under it, refreshed when a reload
    /// replaces them.
    private var serving: Serving
    private var machine: ConnectionStateMachine
    /// The buffer the last small batch was answered into, cleared and reused for the next one (its
    /// storage is free again once the socket write took it, which is usually at once).
    private var spareOutput: ByteBuffer?
    private var idleCheck: RepeatedTask?
    private var drainCheck: RepeatedTask?

    init(_ shared: Context, peer: PeerCredentials, connection: UInt64 = 0, now: NIODeadline) {
        self.shared = shared
        self.peer = peer
        var logger = shared.logger
        for (key, value) in peer.metadata { logger[metadataKey: key] = value }
        logger[metadataKey: "connection"] = "\(connection)"
        self.logger = logger
        serving = Serving(shared.responders.current, peer: peer)
        machine = ConnectionStateMachine(limits: shared.limits, maximumFrameSize: shared.maximumFrameSize, now: now)
    }

    // MARK: Events into the machine

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let failure = machine.bytesRead(unwrapInboundIn(data), now: context.eventLoop.now) {
            // Framing is lost: answer what came before, then the error, then close.
            logger.notice("framing error, closing", metadata: ["error": "\(failure)"])
            answer(machine.readComplete(), context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        answer(machine.readComplete(), context: context)
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if machine.readRequested() { context.read() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        perform(machine.writabilityChanged(isWritable: context.channel.isWritable), context: context)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let ioError = error as? IOError, ioError.errnoCode == ECONNRESET || ioError.errnoCode == EPIPE {
            logger.debug("peer reset the connection")
        } else {
            logger.warning("connection error, closing", metadata: ["error": "\(error)"])
        }
        machine.channelClosed()
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is DrainEvent:
            guard machine.drainRequested(now: context.eventLoop.now) else { return }
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            drainCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(10)) { _ in
                let (handler, context) = bound.value
                handler.drainTick(context: context)
            }
        case is RespondersReplacedEvent:
            refreshServing()
        case ChannelEvent.inputClosed:
            answer(machine.inputClosed(), context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let timeout = shared.limits.idleTimeout
        guard timeout > .zero else { return }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let period = TimeAmount.nanoseconds(max(50_000_000, timeout.nanoseconds / 4))
        idleCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
            let (handler, context) = bound.value
            handler.perform(handler.machine.timerTick(now: context.eventLoop.now), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        drainCheck?.cancel()
        machine.channelClosed()
        shared.statistics.openConnections.wrappingDecrement(ordering: .relaxed)
        logger.info("connection closed")
        context.fireChannelInactive()
    }

    /// A stop answers every request the peer sent before it: what this handler has read, and what is
    /// still in the kernel's receive queue for this socket (`SO_MEMINFO`), looked at every 10 ms.
    private func drainTick(context: ChannelHandlerContext) {
        guard
            let batch = machine.drainTick(
                now: context.eventLoop.now,
                kernelHoldsInput: kernelHoldsInput(context.channel)
            )
        else {
            return
        }
        drainCheck?.cancel()
        answer(batch, context: context)
    }

    // MARK: Actions out of the machine

    /// Answers a batch as the machine says, then closes the connection if that finished it.
    private func answer(_ batch: ConnectionStateMachine.Batch, context: ChannelHandlerContext) {
        switch batch {
        case .none:
            if let finished = machine.finishIfDone() { perform(finished, context: context) }
        case .inline:
            refreshServing()
            let serving = self.serving
            let statistics = shared.statistics
            let received = machine.lastReadAt
            var output =
                spareOutput.take() ?? context.channel.allocator.buffer(capacity: ConnectionHandler.spareOutputCapacity)
            output.clear()
            let action = machine.answerInline { frames in
                ConnectionHandler.answer(
                    frames,
                    serving: serving,
                    statistics: statistics,
                    received: received,
                    into: &output
                )
            }
            context.writeAndFlush(wrapOutboundOut(output), promise: nil)
            if output.capacity <= ConnectionHandler.spareOutputCapacity { spareOutput = output }
            perform(action, context: context)
        case .workers(let frames):
            refreshServing()
            let serving = self.serving
            let statistics = shared.statistics
            let received = machine.lastReadAt
            let allocator = context.channel.allocator
            let loop = context.eventLoop
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
            shared.workers.submit {
                var output = allocator.buffer(capacity: frames.count * 128)
                let closeError = ConnectionHandler.answer(
                    frames,
                    serving: serving,
                    statistics: statistics,
                    received: received,
                    into: &output
                )
                let answers = output
                loop.execute {
                    let (handler, context) = bound.value
                    context.writeAndFlush(handler.wrapOutboundOut(answers), promise: nil)
                    handler.perform(
                        handler.machine.batchAnswered(count: frames.count, closeError: closeError),
                        context: context
                    )
                    // Frames that arrived while this batch was out waited for its answers: now theirs.
                    handler.answer(handler.machine.readComplete(), context: context)
                }
            }
        }
    }

    private func perform(_ action: ConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .read:
            context.read()
        case .close(let reason, let finalError):
            var last = context.channel.allocator.buffer(capacity: finalError == nil ? 0 : 128)
            if let finalError {
                if machine.speaksJSONLines {
                    last.writeString(JSONLineResult.render(finalError) + "\n")
                } else {
                    Responder.write(finalError, requestID: 0, into: &last)
                }
                shared.statistics.recordError(finalError.kind)
            }
            switch reason {
            case .finished: logger.debug("connection finished")
            case .errorAnswered(let error): logger.notice("closing connection", metadata: ["error": "\(error.code)"])
            case .idle: logger.info("closing idle connection")
            case .incompleteFrame: logger.notice("closing connection: a frame was not completed within idle_timeout")
            }
            idleCheck?.cancel()
            drainCheck?.cancel()
            switch reason {
            case .finished, .errorAnswered:
                closeWhenWritten(last, context: context)
            case .idle, .incompleteFrame:
                context.close(promise: nil)
            }
        }
    }

    /// Closes once every answer is written: a close fails the writes still queued in the channel (up to
    /// the high water mark when the peer reads slowly), and the peer was promised every answer. Writes
    /// complete in order, so `last`'s (maybe empty) write completing means all of them did. A peer that
    /// stops reading altogether is closed after `idle_timeout` (or the drain limit) all the same.
    private func closeWhenWritten(_ last: ByteBuffer, context: ChannelHandlerContext) {
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(last), promise: written)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let patience = shared.limits.idleTimeout > .zero ? shared.limits.idleTimeout : Server.drainLimit
        let giveUp = context.eventLoop.scheduleTask(in: patience) { bound.value.close(promise: nil) }
        written.futureResult.whenComplete { _ in
            giveUp.cancel()
            bound.value.close(promise: nil)
        }
    }

    // MARK: Answering

    /// Room for the answers to a full inline batch; a buffer that had to grow past it is not kept.
    static let spareOutputCapacity = 4096

    /// What answers this connection's requests: made from the `ResponderSource` once per reload. A final
    /// class of `let`s, so that handing it to a batch is one retain and the responder is used in place
    /// (a copied `Responder` retains each reference it holds).
    final class Serving: Sendable {
        let responder: Responder
        let permissions: PeerPermissions
        let generation: UInt64
        /// The peer's user: its rate-limit buckets.
        let uid: UInt32

        init(_ current: ResponderSource.Current, peer: PeerCredentials) {
            responder = current.responder
            permissions = current.access.permissions(for: peer)
            generation = current.generation
            uid = peer.uid
        }
    }

    private func refreshServing() {
        if !shared.responders.isCurrent(serving.generation) {
            serving = Serving(shared.responders.current, peer: peer)
        }
    }

    /// Answers a batch in order into `output`; stops at an error that closes the connection, and returns it.
    private static func answer(
        _ batch: [Frame],
        serving: Serving,
        statistics: DaemonStatistics,
        received: NIODeadline,
        into output: inout ByteBuffer
    ) -> WireError? {
        let today = YearMonth(unixTime: Int64(time(nil)))
        var closeError: WireError?
        var tally = BatchTally()
        if let limiter = serving.responder.peerLimits {
            closeError = answerLimited(
                batch,
                serving: serving,
                limiter: limiter,
                today: today,
                tally: &tally,
                into: &output
            )
            if tally.rateLimited > 0 {
                statistics.rateLimited.wrappingIncrement(by: tally.rateLimited, ordering: .relaxed)
            }
        } else {
            BatchLookahead.with { lookahead in
                for (position, frame) in batch.enumerated() {
                    let outcome = respond(
                        to: frame,
                        serving: serving,
                        today: today,
                        lookedUp: lookahead.finding(at: position, in: batch[...], serving: serving),
                        tally: &tally,
                        into: &output
                    )
                    if outcome.closesConnection {
                        closeError = outcome.error
                        break
                    }
                }
            }
        }
        statistics.record(tally, latencyNanoseconds: max(0, (NIODeadline.now() - received).nanoseconds))
        return closeError
    }

    /// A batch's card lookups done ahead, ``CardDirectory/lookaheadWidth`` frames at a time
    /// (``Responder/lookUpCards(for:into:)``), and each frame's finding for its validation. A batch of one
    /// frame is looked up as it is answered: ahead, it would only add work.
    private struct BatchLookahead: ~Copyable {
        /// Room for a window's findings, on the stack.
        let found: UnsafeMutablePointer<CardDirectory.Found>
        /// Findings written for the current window.
        var covered = 0

        /// Runs `body` with room for a window's findings. Only the room is kept: the batch and the serving
        /// state are passed to each ``finding(at:in:serving:)`` (kept here, they were copied and retained).
        static func with<R>(_ body: (inout BatchLookahead) -> R) -> R {
            withUnsafeTemporaryAllocation(of: CardDirectory.Found.self, capacity: CardDirectory.lookaheadWidth) {
                var lookahead = BatchLookahead(found: $0.baseAddress!)
                return body(&lookahead)
            }
        }

        /// The finding for frame `position` of `frames` (taken in order: under rate limits, the admitted
        /// ones), looking its window up first when `position` starts one; ``CardDirectory/Found/nothing``
        /// where there is none.
        @inline(__always) mutating func finding(
            at position: Int,
            in frames: ArraySlice<Frame>,
            serving: Serving
        ) -> CardDirectory.Found {
            let offset = position % CardDirectory.lookaheadWidth
            if offset == 0 && frames.count > 1 && position < frames.count {
                covered = serving.responder.lookUpCards(for: frames[(frames.startIndex + position)...], into: found)
            }
            return offset < covered ? found[offset] : .nothing
        }
    }

    /// One frame answered and counted (both batch paths).
    @inline(__always) private static func respond(
        to frame: Frame,
        serving: Serving,
        today: YearMonth,
        lookedUp: CardDirectory.Found,
        tally: inout BatchTally,
        into output: inout ByteBuffer
    ) -> Responder.Outcome {
        let outcome = serving.responder.respond(
            to: frame,
            today: today,
            permissions: serving.permissions,
            lookedUp: lookedUp,
            into: &output
        )
        tally.add(outcome)
        return outcome
    }

    /// A batch under per-peer rate limits: the first frames the peer's bucket admits are answered, the rest
    /// refused with `rate_limited` and the wait; the failures among the answers go to its failure bucket.
    private static func answerLimited(
        _ batch: [Frame],
        serving: Serving,
        limiter: PeerRateLimiter,
        today: YearMonth,
        tally: inout BatchTally,
        into output: inout ByteBuffer
    ) -> WireError? {
        var closeError: WireError?
        let (admitted, retryAfter) = limiter.admit(batch.count, uid: serving.uid)
        let refusal = retryAfter.map { wait in
            let milliseconds = UInt32(clamping: max(1, (wait.nanoseconds + 999_999) / 1_000_000))
            return WireError(
                kind: .rateLimited,
                message: "this peer is over its rate limit; retry in \(milliseconds) ms",
                retryAfterMilliseconds: milliseconds
            )
        }
        var failures = 0
        // Only the admitted frames are looked up ahead: the refused ones follow them.
        BatchLookahead.with { lookahead in
            for (position, frame) in batch.enumerated() {
                if position >= admitted, let refusal {
                    if frame.isJSONLine {
                        frame.fields.withUnsafeReadableBytes {
                            SecretBytes.zero($0.assumingMemoryBound(to: UInt8.self))
                        }
                        // A JSON Lines connection gets its refusal as an error line, like any other.
                        output.writeString(
                            JSONLineResult.render(errorCode: refusal.code, field: nil, message: refusal.message) + "\n"
                        )
                    } else {
                        frame.wipeSecurityCodes()
                        Responder.write(refusal, requestID: frame.requestID, into: &output)
                    }
                    var outcome = Responder.Outcome(opcode: Opcode(rawValue: frame.opcode), error: refusal)
                    outcome.isJSONLine = frame.isJSONLine
                    tally.add(outcome)
                    tally.rateLimited += 1
                    continue
                }
                let outcome = respond(
                    to: frame,
                    serving: serving,
                    today: today,
                    lookedUp: lookahead.finding(at: position, in: batch[..<admitted], serving: serving),
                    tally: &tally,
                    into: &output
                )
                if outcome.failed { failures += 1 }
                if outcome.closesConnection {
                    closeError = outcome.error
                    break
                }
            }
        }
        limiter.failed(failures, uid: serving.uid)
        return closeError
    }

    /// Whether the socket's receive queue holds bytes not yet read: `SO_MEMINFO`'s first figure is the
    /// memory the queue takes (Linux; the option copies as much of its array as asked for). If it cannot
    /// be read, the answer is no: the drain then ends once what was read is answered.
    private func kernelHoldsInput(_ channel: Channel) -> Bool {
        guard channel is SocketOptionProvider else { return false }  // not a socket (an EmbeddedChannel)
        let receiveQueueMemory = try? channel.syncOptions?.getOption(
            .socket(SocketOptionLevel(SOL_SOCKET), ConnectionHandler.soMeminfo)
        )
        return (receiveQueueMemory ?? 0) > 0
    }

    private static let soMeminfo = SocketOptionName(55)  // SO_MEMINFO, <asm-generic/socket.h>
}
