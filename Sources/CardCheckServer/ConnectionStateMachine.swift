import CardCheckWire
import NIOCore

/// The life of one connection without any I/O: events in (bytes read, a read complete, a batch answered,
/// writability changed, input closed, a drain asked for, a timer tick), actions out (answer inline,
/// submit to the workers, read, close). ``ConnectionHandler`` only drives it.
///
/// Invariants:
/// - Reading stops while `maxInFlight` requests are being answered **or** the channel is not writable:
///   a peer that sends and never reads fills its own socket, not the daemon's memory. What one read
///   cycle brings is still answered, so unsent output stays within the write buffer's high water mark
///   plus one cycle's answers.
/// - Answers leave in the order the requests arrived: at most one batch is with the workers at a time,
///   and frames read meanwhile wait in `pending` (JSON Lines needs the order; binary clients get it too).
/// - Every frame received before the input ends, a framing error or a drain is answered, in order,
///   before the connection closes; a framing error's own response goes last.
/// - A frame begun must be finished within the idle timeout, even if its bytes keep dribbling in.
struct ConnectionStateMachine {
    struct Limits: Sendable {
        var maxInFlight: Int
        /// Batches of at most this many frames are answered on the event loop, larger ones by the workers.
        var inlineBatchLimit: Int
        /// A connection that sends nothing this long, with nothing in flight, is closed; zero: never.
        var idleTimeout: TimeAmount
        /// How long a draining connection whose peer keeps sending is read on.
        var drainReadLimit: TimeAmount = .seconds(2)
    }

    /// What to do with the frames read so far.
    enum Batch: Equatable {
        case none
        /// Answer `pending` on the event loop now, through ``answerInline(_:)``.
        case inline
        /// Hand these frames to a worker queue; report with ``batchAnswered(count:closeError:)``.
        case workers([Frame])
    }

    /// Why a connection closes.
    enum CloseReason: Equatable {
        /// Everything received is answered and nothing more will be read.
        case finished
        /// An answer that closes the connection was written (already in the output).
        case errorAnswered(WireError)
        case idle
        case incompleteFrame
    }

    enum Action: Equatable {
        case none
        /// Pass the read that was held back on to the channel.
        case read
        /// Write `finalError` (a framing error, after every earlier answer) if any, then close.
        case close(CloseReason, finalError: WireError?)
    }

    private enum State: Equatable {
        case serving
        /// The daemon is stopping: read what the peer already sent, then finish.
        case draining(since: NIODeadline)
        /// Nothing more is read; close once every answer is out.
        case finishing
        case closed
    }

    let limits: Limits
    private var state = State.serving
    /// Frames read and not yet answered, in order.
    private(set) var pending: [Frame] = []
    /// Requests handed to the workers and not yet answered.
    private(set) var inFlight = 0
    private var writable = true
    /// A read was asked for and held back.
    private var readHeldBack = false
    /// A framing error to send once every earlier answer is out.
    private var finalError: WireError?
    /// When the peer last sent anything; a batch's latency counts from it.
    private(set) var lastReadAt: NIODeadline
    /// Since when part of a frame has been waiting for the rest; nil when none is.
    private var partialFrameSince: NIODeadline?
    /// Splits the byte stream into frames (or JSON lines) right here: no extra pipeline step, no boxing
    /// per frame.
    private var frames: NIOSingleStepByteToMessageProcessor<ConnectionDecoder>

    init(limits: Limits, maximumFrameSize: Int, now: NIODeadline) {
        self.limits = limits
        lastReadAt = now
        self.maximumFrameSize = maximumFrameSize
        frames = NIOSingleStepByteToMessageProcessor(ConnectionDecoder(.binary, maximumFrameSize: maximumFrameSize))
    }

    var isClosed: Bool { state == .closed }
    /// The peer chose JSON Lines (its first byte was `{`, the rule ``ConnectionDecoder`` follows): errors
    /// of the connection's own go out as JSON lines too.
    private(set) var speaksJSONLines = false
    private var formatKnown = false
    private let maximumFrameSize: Int

    // MARK: Events

    /// Bytes arrived. Frames go to `pending`; a framing error ends the stream (returned, for the log):
    /// what came before it is still answered, then the error, then the connection closes.
    mutating func bytesRead(_ buffer: ByteBuffer, now: NIODeadline) -> FramingError? {
        guard state == .serving || isDraining else { return nil }
        lastReadAt = now
        if !formatKnown, let first = buffer.readableBytesView.first {
            // Decided once, before any byte is decoded: the decoder never asks again.
            formatKnown = true
            if ConnectionDecoder.Format.chosen(by: first) == .jsonLines {
                speaksJSONLines = true
                frames = NIOSingleStepByteToMessageProcessor(
                    ConnectionDecoder(.jsonLines, maximumFrameSize: maximumFrameSize)
                )
            }
        }
        var failure: FramingError?
        do {
            try frames.process(buffer: buffer) { pending.append($0) }
        } catch {
            failure = error as? FramingError ?? .frameTooShort(length: 0)
            finalError = failure!.wireError
            state = .finishing
        }
        if frames.unprocessedBytes == 0 {
            partialFrameSince = nil
        } else if partialFrameSince == nil {
            partialFrameSince = now
        }
        return failure
    }

    /// The channel's read burst is over, or a worker batch came back: what to do with the frames
    /// waiting. Nothing while a batch is with the workers: its answers go first.
    mutating func readComplete() -> Batch {
        guard !pending.isEmpty, state != .closed, inFlight == 0 else { return .none }
        // A small batch costs less to answer than to hand to a worker queue and back (two thread
        // wake-ups). Big batches (a client pipelining hard) go to the workers, so that they spread over
        // the cores and never hold the loop's other connections.
        if pending.count <= limits.inlineBatchLimit { return .inline }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        inFlight += batch.count
        return .workers(batch)
    }

    /// Answers `pending` in place with `answer`, which returns an error that closes the connection, if
    /// one was answered; then as ``batchAnswered(count:closeError:)``.
    mutating func answerInline(_ answer: ([Frame]) -> WireError?) -> Action {
        let count = pending.count
        inFlight += count
        let closeError = answer(pending)
        pending.removeAll(keepingCapacity: true)
        return batchAnswered(count: count, closeError: closeError)
    }

    /// A batch's answers are written to the channel.
    mutating func batchAnswered(count: Int, closeError: WireError?) -> Action {
        inFlight -= count
        guard state != .closed else { return .none }
        if let closeError {
            state = .closed
            return .close(.errorAnswered(closeError), finalError: nil)
        }
        if let finished = finishIfDone() { return finished }
        return releaseHeldRead()
    }

    /// The channel asks to read: whether to pass it on now. Held back reads are passed on later as `.read`.
    mutating func readRequested() -> Bool {
        guard mayRead else {
            readHeldBack = true
            return false
        }
        return true
    }

    mutating func writabilityChanged(isWritable: Bool) -> Action {
        writable = isWritable
        return releaseHeldRead()
    }

    /// The peer half-closed: answer what it sent, then close. Returns the last batch to answer; call
    /// ``finishIfDone()`` after answering it (or at once for `.none`).
    mutating func inputClosed() -> Batch {
        guard state != .closed, state != .finishing else { return .none }
        state = .finishing
        return readComplete()
    }

    /// The daemon is stopping: go on reading until the peer's queued bytes are read, then finish.
    mutating func drainRequested(now: NIODeadline) -> Bool {
        guard state == .serving else { return false }
        state = .draining(since: now)
        return true
    }

    /// A drain's periodic look: once nothing is in flight and the kernel holds no more input (or the
    /// peer has been read for `drainReadLimit`), finish. `nil`: keep draining.
    mutating func drainTick(now: NIODeadline, kernelHoldsInput: Bool) -> Batch? {
        guard case .draining(let since) = state else { return Batch.none }
        let readingTooLong = now - since >= limits.drainReadLimit
        let quiet = inFlight == 0 && pending.isEmpty && !kernelHoldsInput
        guard readingTooLong || quiet else { return nil }
        state = .finishing
        return readComplete()
    }

    /// The idle timer: close a connection that is idle, or whose frame has been arriving for too long.
    mutating func timerTick(now: NIODeadline) -> Action {
        guard limits.idleTimeout > .zero, state != .closed else { return .none }
        if let since = partialFrameSince, now - since >= limits.idleTimeout {
            state = .closed
            return .close(.incompleteFrame, finalError: nil)
        }
        guard state == .serving, inFlight == 0, pending.isEmpty, now - lastReadAt >= limits.idleTimeout else {
            return .none
        }
        state = .closed
        return .close(.idle, finalError: nil)
    }

    /// Closes a finishing connection once nothing is left to answer.
    mutating func finishIfDone() -> Action? {
        guard state == .finishing, inFlight == 0, pending.isEmpty else { return nil }
        state = .closed
        return .close(.finished, finalError: finalError)
    }

    /// The channel closed under us.
    mutating func channelClosed() {
        state = .closed
    }

    // MARK: Internals

    private var isDraining: Bool {
        if case .draining = state { return true }
        return false
    }

    private var mayRead: Bool {
        (state == .serving || isDraining) && writable && inFlight + pending.count < limits.maxInFlight
    }

    private mutating func releaseHeldRead() -> Action {
        guard readHeldBack, mayRead else { return .none }
        readHeldBack = false
        return .read
    }
}
