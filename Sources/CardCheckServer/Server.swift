import CardCheck
import CardCheckWire
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The release: `--version` of both commands, HELLO's server version, the Debian package's version.
public enum CardCheckRelease {
    public static let version = "0.1.0"
}

/// The listening daemon: binds the socket, admits or refuses each connection, and shuts down cleanly.
final class Server: Sendable {
    static let name = "cardcheckd"
    static let version = CardCheckRelease.version

    let configuration: Configuration
    let logger: Logger
    /// Reads the configuration again (file, then flags), for SIGHUP.
    let loadConfiguration: @Sendable () throws -> Configuration
    let notifier = SystemdNotifier()
    private let responders: ResponderSource
    private let lastReload = NIOLockedValueBox("never")
    let statistics: DaemonStatistics
    /// Velocity counts: made once, kept across reloads (which change only the limits).
    let velocity: VelocityLimiter
    /// Per-peer token buckets, kept across reloads like the velocity counts.
    let peerLimiter: PeerRateLimiter
    let workers: WorkerPool
    let group: MultiThreadedEventLoopGroup
    private let connections = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])

    init(
        configuration: Configuration,
        keys: KeyLoading.Loaded?,
        cards: CardDataLoading.Loaded,
        profiles: ProfileLoading.Loaded,
        access: PeerAccess,
        logger: Logger,
        loadConfiguration: @escaping @Sendable () throws -> Configuration
    ) {
        self.configuration = configuration
        self.logger = logger
        self.loadConfiguration = loadConfiguration
        let velocity = VelocityLimiter(settings: configuration.velocitySettings)
        // A lock names the card masked (first 6, last 4), never its number, hash or code.
        velocity.onLock = { [logger] masked, seconds in
            logger.notice("card locked by velocity limits", metadata: ["pan": "\(masked)", "seconds": "\(seconds)"])
        }
        velocity.onFlag = { [logger] bin, seconds in
            logger.notice("BIN flagged by velocity limits", metadata: ["bin": "\(bin)", "seconds": "\(seconds)"])
        }
        self.velocity = velocity
        let peerLimiter = PeerRateLimiter(configuration.peerLimits)
        self.peerLimiter = peerLimiter
        let statistics = DaemonStatistics(
            workerQueues: configuration.workers,
            version: Server.version,
            velocity: velocity
        )
        self.statistics = statistics
        workers = WorkerPool(count: configuration.workers)
        group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.ioThreads)
        responders = ResponderSource(
            Server.responder(
                for: configuration,
                keys: keys,
                cards: cards,
                profiles: profiles,
                velocity: velocity,
                peerLimiter: peerLimiter,
                statistics: statistics,
                workers: workers
            ),
            access: access
        )
        Server.logInForce(configuration, keys: keys, cards: cards, profiles: profiles, access: access, logger: logger)
    }

    /// Says what is in force, at start and after each reload: keys, card data, profiles, who may generate,
    /// the velocity limits.
    static func logInForce(
        _ configuration: Configuration,
        keys: KeyLoading.Loaded?,
        cards: CardDataLoading.Loaded,
        profiles: ProfileLoading.Loaded,
        access: PeerAccess,
        logger: Logger
    ) {
        logKeys(keys, logger: logger)
        logCardData(cards, logger: logger)
        logProfiles(profiles, logger: logger)
        logGenerateAccess(access, logger: logger)
        logger.info("velocity limits", metadata: ["limits": "\(configuration.velocitySummary)"])
    }

    /// Says how many profiles are in force.
    static func logProfiles(_ profiles: ProfileLoading.Loaded, logger: Logger) {
        guard let loaded = profiles.profiles else { return }
        logger.info(
            "profiles loaded",
            metadata: [
                "count": "\(loaded.count)", "directory": "\(profiles.directory)",
                "seconds": "\(String(format: "%.3f", profiles.seconds))",
            ]
        )
    }

    /// Says what card data is in force and how long it took to load.
    static func logCardData(_ cards: CardDataLoading.Loaded, logger: Logger) {
        logger.info(
            "card data loaded",
            metadata: [
                "ranges": "\(cards.directory.fileRangeCount)",
                "declared_brands": "\(cards.directory.declaredBrandCount)",
                "segments": "\(cards.directory.segmentCount)",
                "seconds": "\(String(format: "%.3f", cards.seconds))",
            ]
        )
    }

    /// Says who may generate codes when anyone may: a security reviewer looks for exactly this line.
    static func logGenerateAccess(_ access: PeerAccess, logger: Logger) {
        for (message, control): (Logger.Message, AccessControl) in [
            ("CSC_GENERATE is on for these peers", access.generate),
            ("CAVV_GENERATE is on for these peers", access.generateAuthenticationValues),
        ] where !control.isEmpty {
            logger.notice(
                message,
                metadata: [
                    "uids": "\(control.uids.sorted().map(String.init).joined(separator: ","))",
                    "gids": "\(control.gids.sorted().map(String.init).joined(separator: ","))",
                ]
            )
        }
    }

    /// Names the keys by range and KCV; never the keys themselves.
    static func logKeys(_ keys: KeyLoading.Loaded?, logger: Logger) {
        guard let keys else {
            logger.info("no card verification keys: security codes are checked for format only (U)")
            return
        }
        let described =
            keys.table.ranges.flatMap { range in
                range.entries.map {
                    "\(range.low == range.high ? "\(range.low)" : "\(range.low)-\(range.high)"):\($0.name)/\($0.key.checkValue)"
                }
            }
            + keys.table.authenticationRanges.flatMap { range in
                range.keys.map {
                    "\(range.low == range.high ? "\(range.low)" : "\(range.low)-\(range.high)"):\($0.name)/\($0.checkValue)"
                }
            }
        logger.notice(
            "card verification keys loaded",
            metadata: [
                "source": "\(keys.source)", "count": "\(keys.table.keyCount)",
                "keys": "\(described.joined(separator: " "))",
            ]
        )
    }

    static func responder(
        for configuration: Configuration,
        keys: KeyLoading.Loaded?,
        cards: CardDataLoading.Loaded,
        profiles: ProfileLoading.Loaded,
        velocity: VelocityLimiter,
        peerLimiter: PeerRateLimiter,
        statistics: DaemonStatistics,
        workers: WorkerPool
    ) -> Responder {
        var validator = configuration.validator
        validator.velocity = configuration.velocity ? velocity : nil
        validator.securityCodes = keys?.table
        validator.authenticationValues = keys?.table
        validator.cards = cards.directory
        validator.profiles = profiles.profiles
        return Responder(
            validator: validator,
            securityCodes: keys?.table,
            authenticationValues: keys?.table,
            peerLimits: configuration.peerLimits.isOff ? nil : peerLimiter,
            hello: HelloResponse(
                serverName: name,
                serverVersion: version,
                maximumFrameSize: UInt32(configuration.maxFrame),
                maximumInFlight: UInt32(configuration.maxInFlight)
            ),
            statistics: { statistics.snapshot },
            exposition: { statistics.exposition(queueDepths: workers.depths) }
        )
    }

    /// Runs until SIGTERM or SIGINT, then drains and returns.
    func run() throws {
        // The signals were blocked before any thread started (CardCheckDaemon.run); from here one
        // thread takes them, so a SIGTERM sent at any moment, even now, stops the daemon.
        let stop = DispatchSemaphore(value: 0)
        let reloads = DispatchQueue(label: "cardcheckd.reload")
        ProcessSignals.receive { [self] number in
            if number == SIGHUP {
                reloads.async { self.reload() }
            } else {
                stop.signal()
            }
        }
        let serverChannel: Channel
        let path: String
        let activated = try SocketActivation.passedListeningSocket()
        if let activated {
            // The .socket unit owns the path, its mode and group; the daemon only serves it.
            path = SocketActivation.path(of: activated)
            serverChannel = try bootstrap().withBoundSocket(activated).wait()
        } else {
            path = configuration.socketPath
            try SocketFile.prepare(path)
            // Create the socket with its final mode: a chmod after bind would leave a moment in which
            // it accepts connections under the looser process umask.
            let previousMask = umask(~configuration.socketMode & 0o777)
            defer { umask(previousMask) }
            serverChannel = try bootstrap().bind(unixDomainSocketPath: path).wait()
            do {
                try SocketFile.secure(path, mode: configuration.socketMode, group: configuration.socketGroup)
            } catch {
                try? serverChannel.close().wait()
                unlink(path)
                throw error
            }
        }
        logger.info(
            "listening",
            metadata: [
                "socket": "\(path)", "activated": "\(activated != nil)", "workers": "\(configuration.workers)",
                "io_threads": "\(configuration.ioThreads)",
                "max_connections": "\(configuration.maxConnections)", "pid": "\(getpid())",
            ]
        )
        TestingFaults.arm(workers: workers, eventLoops: group, logger: logger)
        let monitor = ServiceMonitor(
            notifier: notifier,
            probes: LivenessProbes(eventLoops: group, workers: workers),
            statistics: statistics,
            logger: logger
        ) {
            [self] rate in statusLine(requestsPerSecond: rate)
        }
        notifier.ready(status: statusLine(requestsPerSecond: 0))
        monitor.start()

        stop.wait()
        let open = statistics.openConnections.load(ordering: .relaxed)
        logger.notice("stopping: no new connections; answering what was received")
        notifier.stopping(status: "stopping: draining \(open) connections")
        notifier.extendTimeout(seconds: Int(Server.drainLimit.nanoseconds / 1_000_000_000) + 5)
        try? serverChannel.close().wait()
        drain(within: Server.drainLimit)
        monitor.stop()
        if activated == nil { unlink(path) }
        try? group.syncShutdownGracefully()
        logger.notice("stopped", metadata: ["requests_answered": "\(statistics.requestsAnswered)"])
    }

    static let drainLimit: TimeAmount = .seconds(30)

    /// The live `STATUS=` line.
    func statusLine(requestsPerSecond: Double) -> String {
        let snapshot = statistics.snapshot
        return "\(snapshot.openConnections) connections, \(Int(requestsPerSecond.rounded())) requests/s, "
            + "\(snapshot.errorsSent) errors, last reload: \(lastReload.withLockedValue { $0 })"
    }

    /// SIGHUP: reads the configuration again and applies what can change while running (policy, AVS
    /// options, who may connect) without dropping a connection or a request. A bad configuration keeps
    /// the running one and says so in the log and `STATUS=`.
    private func reload() {
        notifier.reloading(status: "reloading configuration")
        let stamp = ISO8601DateFormatter().string(from: Date())
        do {
            let next = try loadConfiguration()
            let nextAccess = try PeerAccess(next)
            let keys = try KeyLoading.load(next)
            // Read and compiled whole before the swap: requests go on with the data in force meanwhile, and
            // each is answered from one directory, the old or the new.
            let cards = try CardDataLoading.load(next)
            let profiles = try ProfileLoading.load(next)
            velocity.update(next.velocitySettings)
            peerLimiter.update(next.peerLimits)
            let previous = responders.replace(
                with: Server.responder(
                    for: next,
                    keys: keys,
                    cards: cards,
                    profiles: profiles,
                    velocity: velocity,
                    peerLimiter: peerLimiter,
                    statistics: statistics,
                    workers: workers
                ),
                access: nextAccess
            )
            // Every connection lets go of the old responder now; then the last reference is this one, so a
            // large range file is freed here, on the reload thread, not on an event loop mid-request, and
            // the memory goes back to the system.
            releaseEverywhere()
            _ = consume previous
            CardDataLoading.returnFreedMemory()
            Server.logInForce(next, keys: keys, cards: cards, profiles: profiles, access: nextAccess, logger: logger)
            let restartOnly = next.restartOnlyDifferences(from: configuration)
            if restartOnly.isEmpty {
                logger.notice("configuration reloaded")
            } else {
                logger.notice(
                    "reloaded; some changed keys take effect only on restart",
                    metadata: ["restart_only": "\(restartOnly.joined(separator: ","))"]
                )
            }
            lastReload.withLockedValue { $0 = "ok \(stamp)" }
            statistics.recordReload(succeeded: true)
        } catch {
            logger.error("reload failed, keeping the running configuration: \(error)")
            lastReload.withLockedValue { $0 = "FAILED \(stamp): \(error)" }
            statistics.recordReload(succeeded: false)
        }
        notifier.notify("READY=1", "STATUS=\(statusLine(requestsPerSecond: 0))")
    }

    /// Makes every open connection drop the responder a reload replaced, and waits until each has.
    private func releaseEverywhere() {
        let open = connections.withLockedValue { Array($0.values) }
        for channel in open {
            try? channel.eventLoop.submit {
                channel.pipeline.fireUserInboundEventTriggered(RespondersReplacedEvent())
            }.wait()
        }
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

    /// A connection stops being read once this much of its output is unsent, and is read again below
    /// `low`. The daemon's memory for unsent answers is then bounded by about `high` plus one read
    /// cycle's answers per connection (~64 KiB + 256 KiB at NIO's defaults), whatever a peer sends
    /// without reading; NIO's default marks are the same figures, set here so that the bound is ours.
    static let writeBufferWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 32 * 1024, high: 64 * 1024)

    private func bootstrap() -> ServerBootstrap {
        let shared = ConnectionHandler.Context(
            responders: responders,
            workers: workers,
            statistics: statistics,
            limits: ConnectionStateMachine.Limits(
                maxInFlight: configuration.maxInFlight,
                inlineBatchLimit: configuration.inlineBatchLimit,
                idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds))
            ),
            maximumFrameSize: configuration.maxFrame,
            logger: logger
        )
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.writeBufferWaterMark, value: Server.writeBufferWaterMark)
            .childChannelInitializer { [self] channel in
                let connection = self.statistics.recordAccepted()
                return self.peerCredentials(of: channel).flatMap { peer in
                    if let refusal = self.refusal(for: peer) {
                        return self.refuse(channel, peer: peer, with: refusal)
                    }
                    self.statistics.openConnections.wrappingIncrement(ordering: .relaxed)
                    let key = ObjectIdentifier(channel)
                    self.connections.withLockedValue { $0[key] = channel }
                    channel.closeFuture.whenComplete { _ in
                        self.connections.withLockedValue { _ = $0.removeValue(forKey: key) }
                    }
                    self.logger.info(
                        "connection accepted",
                        metadata: peer.metadata.merging(["connection": "\(connection)"]) { $1 }
                    )
                    return channel.eventLoop.makeCompletedFuture {
                        let handlers = channel.pipeline.syncOperations
                        try handlers.addHandler(
                            ConnectionHandler(shared, peer: peer, connection: connection, now: channel.eventLoop.now)
                        )
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
        if !responders.current.access.connect.permits(peer) {
            logger.warning(
                "refused connection: peer not allowed",
                metadata: peer.metadata
            )
            return WireError(
                kind: .notPermitted,
                message: "uid \(peer.uid) and gid \(peer.gid) are not allowed to connect"
            )
        }
        if statistics.openConnections.load(ordering: .relaxed) >= UInt64(configuration.maxConnections) {
            logger.warning(
                "refused connection: limit reached",
                metadata: peer.metadata.merging(["limit": "\(configuration.maxConnections)"]) { $1 }
            )
            return WireError(
                kind: .overloaded,
                message: "the server has \(configuration.maxConnections) connections open"
            )
        }
        return nil
    }

    /// Sends the refusal as an error response (request id 0) once the channel is active, then closes.
    private func refuse(_ channel: Channel, peer: PeerCredentials, with error: WireError) -> EventLoopFuture<Void> {
        statistics.recordRefusal(error.kind)
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
