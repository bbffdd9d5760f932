import Atomics
import CardCheck
import CardCheckWire
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Asks a connection to finish what it has received and close (shutdown).
struct DrainEvent: Sendable {}

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

    func replace(with responder: Responder, access: PeerAccess) {
        box.withLockedValue {
            $0 = Current(responder: responder, access: access, generation: $0.generation + 1)
            latestGeneration.store($0.generation, ordering: .releasing)
        }
    }
}

/// Serves one client connection.
///
/// Frames decoded from one read are answered as **one batch** on a worker queue (no thread hop per
/// frame) and the batch's responses go out with one flush. With `maxInFlight` requests being answered
/// it stops reading the socket (backpressure, not memory), and resumes when answers are out. A framing
/// error or the peer's half-close closes the connection only after everything already received has been
/// answered; a drain (the daemon stopping) also reads what the kernel holds for the socket first.
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
        var maxInFlight: Int
        /// Batches of at most this many frames are answered on the event loop, larger ones by the workers.
        var inlineBatchLimit: Int
        /// A connection that sends nothing this long, with nothing in flight, is closed; zero: never.
        var idleTimeout: TimeAmount
        var logger: Logger
    }

    private let shared: Context
    private let peer: PeerCredentials
    /// The responder this connection uses and the peer's permissions under it, refreshed when a reload
    /// replaces them.
    private var serving: Serving
    private var pending: [Frame] = []
    /// The buffer the last small batch was answered into, cleared and reused for the next one (its
    /// storage is free again once the socket write took it, which is usually at once).
    private var spareOutput: ByteBuffer?
    private var inFlight = 0
    private var readDeferred = false
    /// Set when nothing more is to be read: close once every answer is out.
    private var finishing = false
    /// A framing error to send once every earlier answer is out.
    private var finalError: WireError?

    /// Splits the byte stream into frames right here: no extra pipeline step, no boxing per frame.
    private var frames: NIOSingleStepByteToMessageProcessor<FrameDecoder>

    init(_ shared: Context, peer: PeerCredentials, maximumFrameSize: Int) {
        self.shared = shared
        self.peer = peer
        serving = Serving(shared.responders.current, peer: peer)
        frames = NIOSingleStepByteToMessageProcessor(FrameDecoder(maximumFrameSize: maximumFrameSize))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finishing else { return }
        let now = NIODeadline.now()
        lastReadAt = now
        do {
            try frames.process(buffer: unwrapInboundIn(data)) { pending.append($0) }
        } catch {
            errorCaught(context: context, error: error)
        }
        // A frame begun must be finished within the idle timeout too: bytes dribbled one at a time
        // (slowloris) keep a connection from being idle, but not from being slow.
        if frames.unprocessedBytes == 0 {
            partialFrameSince = nil
        } else if partialFrameSince == nil {
            partialFrameSince = now
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        dispatchPending(context: context)
        context.fireChannelReadComplete()
    }

    private func dispatchPending(context: ChannelHandlerContext) {
        guard !pending.isEmpty else { return }
        if !shared.responders.isCurrent(serving.generation) {
            serving = Serving(shared.responders.current, peer: peer)
        }
        let serving = self.serving
        let statistics = shared.statistics
        let received = lastReadAt
        // A small batch costs less to answer than to hand to a worker queue and back (two thread
        // wake-ups): it is answered here, on the event loop, straight from `pending` (no copy of the
        // array), into the connection's reused output buffer. Big batches (a client pipelining hard) go
        // to the worker pool, so that they spread over the cores and never hold the loop's other
        // connections.
        if pending.count <= shared.inlineBatchLimit {
            let count = pending.count
            inFlight += count
            var output = spareOutput.take() ?? context.channel.allocator.buffer(capacity: ConnectionHandler.spareOutputCapacity)
            output.clear()
            let closeError = ConnectionHandler.answer(pending, serving: serving, statistics: statistics, received: received, into: &output)
            pending.removeAll(keepingCapacity: true)
            answered(count, output: output, closeError: closeError, context: context)
            if output.capacity <= ConnectionHandler.spareOutputCapacity { spareOutput = output }
            return
        }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        inFlight += batch.count
        let allocator = context.channel.allocator
        let loop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
        shared.workers.submit {
            var output = allocator.buffer(capacity: batch.count * 128)
            let closeError = ConnectionHandler.answer(batch, serving: serving, statistics: statistics, received: received, into: &output)
            let answers = output
            loop.execute {
                let (handler, context) = bound.value
                handler.answered(batch.count, output: answers, closeError: closeError, context: context)
            }
        }
    }

    /// Room for the answers to a full inline batch; a buffer that had to grow past it is not kept.
    static let spareOutputCapacity = 4096

    /// What answers this connection's requests: copied from the `ResponderSource` once per reload.
    struct Serving: Sendable {
        var responder: Responder
        var permissions: PeerPermissions
        var generation: UInt64

        init(_ current: ResponderSource.Current, peer: PeerCredentials) {
            responder = current.responder
            permissions = current.access.permissions(for: peer)
            generation = current.generation
        }
    }

    /// Answers a batch in order into `output`; stops at an error that closes the connection, and returns it.
    private static func answer(_ batch: [Frame], serving: Serving, statistics: DaemonStatistics, received: NIODeadline,
                               into output: inout ByteBuffer) -> WireError? {
        let today = YearMonth(unixTime: Int64(time(nil)))
        var closeError: WireError?
        var tally = BatchTally()
        for frame in batch {
            let outcome = serving.responder.respond(to: frame, today: today, permissions: serving.permissions, into: &output)
            if !outcome.codesCleared { Responder.wipeSecrets(in: frame) }  // checked: no longer in our buffers
            tally.add(outcome)
            if outcome.closesConnection {
                closeError = outcome.error
                break
            }
        }
        statistics.record(tally, latencyNanoseconds: max(0, (NIODeadline.now() - received).nanoseconds))
        return closeError
    }

    private func answered(_ count: Int, output: ByteBuffer, closeError: WireError?, context: ChannelHandlerContext) {
        inFlight -= count
        context.writeAndFlush(wrapOutboundOut(output), promise: nil)
        if let closeError {
            shared.logger.notice("closing connection: \(closeError.code)", metadata: ["peer": "\(peer)"])
            context.close(promise: nil)
            return
        }
        if readDeferred && inFlight < shared.maxInFlight && !finishing {
            readDeferred = false
            context.read()
        }
        finishIfDone(context: context)
    }

    /// Closes the connection if it is finishing and nothing is left to answer.
    private func finishIfDone(context: ChannelHandlerContext) {
        guard finishing, inFlight == 0, pending.isEmpty else { return }
        if let finalError {
            var buffer = context.channel.allocator.buffer(capacity: 128)
            Responder.write(finalError, requestID: 0, into: &buffer)
            shared.statistics.recordError(finalError.kind)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if finishing { return }
        if inFlight >= shared.maxInFlight {
            readDeferred = true
            return
        }
        context.read()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let framing = error as? FramingError {
            // Framing is lost: answer what came before, then the error, then close.
            shared.logger.notice("framing error, closing: \(framing)", metadata: ["peer": "\(peer)"])
            dispatchPending(context: context)
            finalError = framing.wireError
            finishing = true
            finishIfDone(context: context)
        } else if let ioError = error as? IOError, ioError.errnoCode == ECONNRESET || ioError.errnoCode == EPIPE {
            shared.logger.debug("peer reset the connection", metadata: ["peer": "\(peer)"])
            context.close(promise: nil)
        } else {
            shared.logger.warning("connection error, closing: \(error)", metadata: ["peer": "\(peer)"])
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is DrainEvent:
            startDraining(context: context)
        case ChannelEvent.inputClosed:
            dispatchPending(context: context)
            finishing = true
            finishIfDone(context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: Drain (the daemon is stopping)

    /// How long a stopping daemon goes on reading a connection whose peer keeps sending.
    static let drainReadLimit: TimeAmount = .seconds(2)
    private var drainCheck: RepeatedTask?

    /// A stop answers every request the peer sent before it: what this handler has read, and what is
    /// still in the kernel's receive queue for this socket. So the connection is read on until that
    /// queue is empty and every answer is out, then closed; a peer that keeps sending is read for at most
    /// `drainReadLimit`. Requests sent after the close get the peer an end of stream, never a lost answer.
    private func startDraining(context: ChannelHandlerContext) {
        guard !finishing, drainCheck == nil else { return }
        let started = NIODeadline.now()
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        drainCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(10)) { _ in
            let (handler, context) = bound.value
            handler.continueDraining(context: context, startedAt: started)
        }
    }

    private func continueDraining(context: ChannelHandlerContext, startedAt started: NIODeadline) {
        if !finishing {
            let readingTooLong = NIODeadline.now() - started >= ConnectionHandler.drainReadLimit
            let quiet = inFlight == 0 && pending.isEmpty && !kernelHoldsInput(context.channel)
            guard readingTooLong || quiet else { return }
            dispatchPending(context: context)
            finishing = true
        }
        drainCheck?.cancel()
        finishIfDone(context: context)
    }

    /// Whether the socket's receive queue holds bytes not yet read: `SO_MEMINFO`'s first figure is the
    /// memory the queue takes (Linux; the option copies as much of its array as asked for). If it cannot
    /// be read, the answer is no: the drain then ends as it did before it looked.
    private func kernelHoldsInput(_ channel: Channel) -> Bool {
        let receiveQueueMemory = try? channel.syncOptions?.getOption(.socket(SocketOptionLevel(SOL_SOCKET), ConnectionHandler.soMeminfo))
        return (receiveQueueMemory ?? 0) > 0
    }

    private static let soMeminfo = SocketOptionName(55)  // SO_MEMINFO, <asm-generic/socket.h>

    // MARK: Idle timeout

    /// When the peer last sent anything: the idle timer checks it (not per read, so the request path
    /// only stores a number; an IdleStateHandler in the pipeline cost a step per read and per flush), and
    /// a batch's latency for the metrics counts from it.
    private var lastReadAt = NIODeadline.now()
    /// Since when part of a frame has been waiting for the rest; nil when none is.
    private var partialFrameSince: NIODeadline?
    private var idleCheck: RepeatedTask?

    func handlerAdded(context: ChannelHandlerContext) {
        guard shared.idleTimeout > .zero else { return }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let period = TimeAmount.nanoseconds(max(50_000_000, shared.idleTimeout.nanoseconds / 4))
        idleCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
            let (handler, context) = bound.value
            handler.closeIfIdle(context: context)
        }
    }

    private func closeIfIdle(context: ChannelHandlerContext) {
        if let since = partialFrameSince, NIODeadline.now() - since >= shared.idleTimeout {
            shared.logger.notice("closing connection: a frame was not completed within idle_timeout", metadata: ["peer": "\(peer)"])
            idleCheck?.cancel()
            context.close(promise: nil)
            return
        }
        guard inFlight == 0, pending.isEmpty, !finishing, NIODeadline.now() - lastReadAt >= shared.idleTimeout else { return }
        shared.logger.info("closing idle connection", metadata: ["peer": "\(peer)"])
        idleCheck?.cancel()
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        drainCheck?.cancel()
        shared.statistics.openConnections.wrappingDecrement(ordering: .relaxed)
        shared.logger.info("connection closed", metadata: ["peer": "\(peer)"])
        context.fireChannelInactive()
    }
}
