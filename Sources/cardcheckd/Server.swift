import CardCheck
import CardCheckWire
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The listening daemon: binds the socket, admits or refuses each connection, and shuts down cleanly.
final class Server: Sendable {
    static let name = "cardcheckd"
    static let version = "0.1.0"

    let configuration: Configuration
    let access: AccessControl
    let logger: Logger
    let statistics: DaemonStatistics
    let workers: WorkerPool
    let group: MultiThreadedEventLoopGroup
    private let connections = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])

    init(configuration: Configuration, access: AccessControl, logger: Logger) {
        self.configuration = configuration
        self.access = access
        self.logger = logger
        statistics = DaemonStatistics(workerQueues: configuration.workers)
        workers = WorkerPool(count: configuration.workers)
        group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.ioThreads)
    }

    /// Runs until SIGTERM or SIGINT, then drains and returns.
    func run() throws {
        // Signal handling first: once the socket accepts, a SIGTERM must stop the daemon, so no signal
        // may arrive between ignoring its default action and the handler being in place.
        let stop = DispatchSemaphore(value: 0)
        let signalSources = [SIGTERM, SIGINT].map { number -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            signal(number, SIG_IGN)
            return source
        }
        let path = configuration.socketPath
        try SocketFile.prepare(path)
        let serverChannel = try bootstrap().bind(unixDomainSocketPath: path).wait()
        do {
            try SocketFile.secure(path, mode: configuration.socketMode, group: configuration.socketGroup)
        } catch {
            try? serverChannel.close().wait()
            unlink(path)
            throw error
        }
        logger.info("listening", metadata: [
            "socket": "\(path)", "workers": "\(configuration.workers)", "io_threads": "\(configuration.ioThreads)",
            "max_connections": "\(configuration.maxConnections)", "pid": "\(getpid())",
        ])

        stop.wait()
        logger.notice("stopping: no new connections; answering what was received")
        try? serverChannel.close().wait()
        drain(within: .seconds(30))
        unlink(path)
        signalSources.forEach { $0.cancel() }
        try? group.syncShutdownGracefully()
        logger.notice("stopped", metadata: ["requests_answered": "\(statistics.requestsAnswered.load(ordering: .relaxed))"])
    }

    /// Asks every connection to answer what it has received and close; waits for them.
    private func drain(within limit: TimeAmount) {
        let open = connections.withLockedValue { Array($0.values) }
        for channel in open { channel.pipeline.fireUserInboundEventTriggered(DrainEvent()) }
        let deadline = NIODeadline.now() + limit
        for channel in open {
            let remaining = deadline - .now()
            guard remaining > .zero else { break }
            let timeout = channel.eventLoop.scheduleTask(in: remaining) { () -> Void in channel.close(promise: nil) }
            try? channel.closeFuture.wait()
            timeout.cancel()
        }
    }

    private func bootstrap() -> ServerBootstrap {
        let shared = ConnectionHandler.Context(
            responder: Responder(
                validator: configuration.validator,
                hello: HelloResponse(serverName: Server.name, serverVersion: Server.version,
                                     maximumFrameSize: UInt32(configuration.maxFrame),
                                     maximumInFlight: UInt32(configuration.maxInFlight)),
                statistics: { [statistics] in statistics.snapshot }),
            workers: workers, statistics: statistics, maxInFlight: configuration.maxInFlight, logger: logger)
        let configuration = self.configuration
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [self] channel in
                self.statistics.acceptedConnections.wrappingIncrement(ordering: .relaxed)
                return self.peerCredentials(of: channel).flatMap { peer in
                    if let refusal = self.refusal(for: peer) {
                        return self.refuse(channel, peer: peer, with: refusal)
                    }
                    self.statistics.openConnections.wrappingIncrement(ordering: .relaxed)
                    let key = ObjectIdentifier(channel)
                    self.connections.withLockedValue { $0[key] = channel }
                    channel.closeFuture.whenComplete { _ in self.connections.withLockedValue { _ = $0.removeValue(forKey: key) } }
                    self.logger.info("connection accepted", metadata: ["peer": "\(peer)"])
                    return channel.eventLoop.makeCompletedFuture {
                        let handlers = channel.pipeline.syncOperations
                        if configuration.idleTimeoutSeconds > 0 {
                            try handlers.addHandler(IdleStateHandler(readTimeout: .seconds(Int64(configuration.idleTimeoutSeconds))))
                        }
                        try handlers.addHandler(ByteToMessageHandler(FrameDecoder(maximumFrameSize: configuration.maxFrame)))
                        try handlers.addHandler(ConnectionHandler(shared, peer: peer))
                    }
                }
            }
    }

    private func peerCredentials(of channel: Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        return provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
    }

    private func refusal(for peer: PeerCredentials) -> WireError? {
        if !access.permits(peer) {
            logger.warning("refused connection: peer not allowed", metadata: ["pid": "\(peer.pid)", "uid": "\(peer.uid)", "gid": "\(peer.gid)"])
            return WireError(kind: .notPermitted, message: "uid \(peer.uid) and gid \(peer.gid) are not allowed to connect")
        }
        if statistics.openConnections.load(ordering: .relaxed) >= UInt64(configuration.maxConnections) {
            logger.warning("refused connection: limit reached", metadata: ["pid": "\(peer.pid)", "limit": "\(configuration.maxConnections)"])
            return WireError(kind: .overloaded, message: "the server has \(configuration.maxConnections) connections open")
        }
        return nil
    }

    /// Sends the refusal as an error response (request id 0) once the channel is active, then closes.
    private func refuse(_ channel: Channel, peer: PeerCredentials, with error: WireError) -> EventLoopFuture<Void> {
        statistics.refusedConnections.wrappingIncrement(ordering: .relaxed)
        statistics.errorsSent.wrappingIncrement(ordering: .relaxed)
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(RefusalHandler(error))
        }
    }
}

/// Answers a refused connection with its error and closes it, reading nothing.
final class RefusalHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let error: WireError

    init(_ error: WireError) { self.error = error }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 128)
        Responder.write(error, requestID: 0, into: &buffer)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in bound.value.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
