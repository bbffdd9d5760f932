import CardCheckWire
import NIOCore
import NIOPosix

/// Matches responses to pending requests by id.
// @unchecked: created before its channel exists, then only ever used on that channel's event loop.
final class ResponseRouter: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Frame

    private var pending: [UInt32: EventLoopPromise<Frame>] = [:]
    /// A connection-level refusal (request id 0): it answers every request on this connection.
    private var refusal: CardCheckClientError?

    func register(_ id: UInt32, promise: EventLoopPromise<Frame>) {
        if let refusal { promise.fail(refusal) } else { pending[id] = promise }
    }

    func cancel(_ id: UInt32, with error: CardCheckClientError) { pending.removeValue(forKey: id)?.fail(error) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if let promise = pending.removeValue(forKey: frame.requestID) {
            promise.succeed(frame)
        } else if frame.requestID == 0, frame.opcode == WireFormat.errorOpcode {
            // A connection-level refusal (not permitted, overloaded): every pending request gets it.
            let error =
                (try? WireError(fields: frame.fields)).map { CardCheckClientError.server(CardCheckServerError($0)) }
                ?? .connectionClosed
            refusal = error
            failAll(error)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A reset or broken pipe is the daemon going away (killed, restarted): retryable, unlike an
        // answer that cannot be read.
        if let io = error as? IOError, [ECONNRESET, EPIPE, ECONNABORTED].contains(io.errnoCode) {
            failAll(.connectionClosed)
        } else {
            failAll(.protocolViolation("\(error)"))
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(refusal ?? .connectionClosed)
        context.fireChannelInactive()
    }

    private func failAll(_ error: CardCheckClientError) {
        let promises = pending.values
        pending.removeAll()
        for promise in promises { promise.fail(error) }
    }
}

/// One open connection to the daemon.
// @unchecked: `router` is only touched on `channel.eventLoop`.
final class Connection: @unchecked Sendable {
    let channel: Channel
    private let router: ResponseRouter

    private init(channel: Channel, router: ResponseRouter) {
        self.channel = channel
        self.router = router
    }

    static func open(path: String, group: EventLoopGroup, maximumFrameSize: Int) -> EventLoopFuture<Connection> {
        let router = ResponseRouter()
        return ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(FrameDecoder(maximumFrameSize: maximumFrameSize))
                    )
                    try channel.pipeline.syncOperations.addHandler(router)
                }
            }
            .connect(unixDomainSocketPath: path)
            .map { Connection(channel: $0, router: router) }
    }

    /// Sends a request frame (already encoded, length prefix included) and waits for the frame that
    /// answers `id`, at most `timeout`.
    func send(_ bytes: ByteBuffer, id: UInt32, timeout: TimeAmount) -> EventLoopFuture<Frame> {
        let loop = channel.eventLoop
        return loop.flatSubmit { [router, channel] in
            let promise = loop.makePromise(of: Frame.self)
            router.register(id, promise: promise)
            let timer = loop.scheduleTask(in: timeout) { router.cancel(id, with: .timedOut) }
            promise.futureResult.whenComplete { _ in timer.cancel() }
            channel.writeAndFlush(bytes).whenFailure { _ in router.cancel(id, with: .connectionClosed) }
            return promise.futureResult
        }
    }

    func close() -> EventLoopFuture<Void> { channel.close().recover { _ in } }
}
