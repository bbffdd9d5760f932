import NIOCore

/// `STATS`: counters of the daemon. No card data is ever part of them.
public struct StatsResponse: Sendable, Hashable {
    // `tags` is immutable; key paths are only not marked Sendable.
    public var uptimeSeconds: UInt64 = 0
    public var openConnections: UInt64 = 0
    public var acceptedConnections: UInt64 = 0
    public var refusedConnections: UInt64 = 0
    public var requestsAnswered: UInt64 = 0
    public var validateRequests: UInt64 = 0
    public var errorsSent: UInt64 = 0
    public var workerQueues: UInt64 = 0
    /// Velocity limits: cards held now, cards locked and BINs flagged since start, entries evicted to make
    /// room, answers given for locked cards; requests refused by the per-peer rate limits.
    public var velocityCardsTracked: UInt64 = 0
    public var velocityCardsLocked: UInt64 = 0
    public var velocityBINsFlagged: UInt64 = 0
    public var velocityEvictions: UInt64 = 0
    public var velocityLockedAnswers: UInt64 = 0
    public var rateLimited: UInt64 = 0

    public init() {}

    nonisolated(unsafe) static let tags: [(UInt8, String, WritableKeyPath<StatsResponse, UInt64>)] = [
        (0x01, "uptime_seconds", \.uptimeSeconds), (0x02, "open_connections", \.openConnections),
        (0x03, "accepted_connections", \.acceptedConnections), (0x04, "refused_connections", \.refusedConnections),
        (0x05, "requests_answered", \.requestsAnswered), (0x06, "validate_requests", \.validateRequests),
        (0x07, "errors_sent", \.errorsSent), (0x08, "worker_queues", \.workerQueues),
        (0x09, "velocity_cards_tracked", \.velocityCardsTracked),
        (0x0A, "velocity_cards_locked", \.velocityCardsLocked),
        (0x0B, "velocity_bins_flagged", \.velocityBINsFlagged), (0x0C, "velocity_evictions", \.velocityEvictions),
        (0x0D, "velocity_locked_answers", \.velocityLockedAnswers), (0x0E, "rate_limited", \.rateLimited),
    ]

    /// The counters by name, in wire order.
    public var named: [(name: String, value: UInt64)] { StatsResponse.tags.map { ($0.1, self[keyPath: $0.2]) } }

    public func write(to buffer: inout ByteBuffer) {
        for (tag, _, path) in StatsResponse.tags { buffer.writeField(tag, integer: self[keyPath: path]) }
    }

    public init(fields: ByteBuffer) throws(WireError) {
        var reader = FieldReader(fields)
        while let (tag, value) = try reader.next() {
            guard let entry = StatsResponse.tags.first(where: { $0.0 == tag }) else { continue }
            self[keyPath: entry.2] = try value.integer(named: entry.1)
        }
    }
}

/// `STATS` with the `prometheus` flag: the daemon's metrics as Prometheus text exposition (format
/// 0.0.4), in one field. No card data is ever part of them.
public struct MetricsExposition: Sendable, Hashable {
    static let tag: UInt8 = 0x20
    public var text: String

    public init(text: String) { self.text = text }

    public func write(to buffer: inout ByteBuffer) { buffer.writeField(Self.tag, text: text) }

    public init(fields: ByteBuffer) throws(WireError) {
        var reader = FieldReader(fields)
        var text: String?
        while let (tag, value) = try reader.next() {
            if tag == Self.tag { text = value.text }
        }
        guard let text else {
            throw WireError(kind: .missingField, field: "exposition", message: "no exposition in the STATS response")
        }
        self.text = text
    }
}
