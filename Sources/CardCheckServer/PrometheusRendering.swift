import CardCheck
import CardCheckWire
import NIOConcurrencyHelpers
import Prometheus

/// Renders ``DaemonStatistics`` as Prometheus text with swift-prometheus: its registry holds one
/// instrument per series, made once, and a scrape sets each from the statistics' counters before
/// emitting. The counters themselves live only in `DaemonStatistics`; nothing here is incremented on
/// the request path. Labels are operations, outcomes and error kinds: never card data.
final class PrometheusRendering: Sendable {
    /// Latency buckets: the engine answers in well under a microsecond, so a request's time is queueing,
    /// the worker hop and the batch it rides in; buckets from 5 µs to 1 s show where it goes.
    static let latencyBuckets: [Duration] = [
        .microseconds(5), .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100),
        .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2_500), .milliseconds(5),
        .milliseconds(10), .milliseconds(50), .milliseconds(250), .seconds(1),
    ]

    private let registry: PrometheusCollectorRegistry
    /// Requests by slot (operation × outcome); nil for pairs that cannot happen (an action for anything
    /// but `VALIDATE`).
    private let requests: [Counter?]
    /// Error responses by `WireError.Kind` raw value.
    private let errors: [Counter?]
    private let refusals: [Counter?]
    private let reloadsSucceeded: Counter
    private let reloadsFailed: Counter
    private let acceptedConnections: Counter
    private let openConnections: Gauge
    private let workerQueueDepth: [Gauge]
    private let uptime: Gauge
    private let velocityTracked: [Gauge]
    private let velocityLocked: Counter
    private let velocityFlagged: Counter
    private let velocityEvictions: [Counter]
    private let velocityLockedAnswers: Counter
    private let rateLimited: Counter
    /// Scrapes set the instruments and then emit: one at a time.
    private let lock = NIOLock()

    /// A metric's name (`unit` is the suffix, such as `total`) with its `# HELP` line.
    private static func named(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: unit, helpText: help)
    }

    private static func named(_ name: String, _ help: String) -> MetricNameDescriptor { named(name, "", help) }

    init(workerQueues: Int, version: String) {
        let requestsName = Self.named("cardcheck_requests", "total", "Requests answered, by operation and outcome")
        let errorsName = Self.named("cardcheck_errors", "total", "Error responses sent, refusals included, by kind")
        let refusedName = Self.named("cardcheck_connections_refused", "total", "Connections refused, by reason")
        let reloadsName = Self.named("cardcheck_reloads", "total", "SIGHUP reloads, by result")
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        var requests = [Counter?](repeating: nil, count: BatchTally.slots)
        for (operation, name) in BatchTally.operationNames.enumerated() {
            let outcomes =
                operation == BatchTally.index(of: .validate) || operation == BatchTally.jsonLineIndex
                ? [BatchTally.error] + Action.allCases.map(BatchTally.outcome(of:))
                : [BatchTally.ok, BatchTally.error]
            for outcome in outcomes {
                requests[BatchTally.slot(operation, outcome)] = registry.makeCounter(
                    descriptor: requestsName,
                    labels: [("op", name), ("outcome", BatchTally.outcomeName(outcome))]
                )
            }
        }
        self.requests = requests
        errors = (0..<BatchTally.errorSlots).map { raw in
            WireError.Kind(rawValue: UInt8(raw)).map {
                registry.makeCounter(descriptor: errorsName, labels: [("kind", $0.name)])
            }
        }
        refusals = (0..<BatchTally.errorSlots).map { raw in
            guard let kind = WireError.Kind(rawValue: UInt8(raw)), kind == .notPermitted || kind == .overloaded else {
                return nil
            }
            return registry.makeCounter(descriptor: refusedName, labels: [("reason", kind.name)])
        }
        reloadsSucceeded = registry.makeCounter(descriptor: reloadsName, labels: [("result", "ok")])
        reloadsFailed = registry.makeCounter(descriptor: reloadsName, labels: [("result", "failed")])
        acceptedConnections = registry.makeCounter(
            descriptor: Self.named("cardcheck_connections_accepted", "total", "Connections accepted by the socket")
        )
        openConnections = registry.makeGauge(
            descriptor: Self.named("cardcheck_connections_open", "Connections being served")
        )
        workerQueueDepth = (0..<workerQueues).map {
            registry.makeGauge(
                descriptor: Self.named(
                    "cardcheck_worker_queue_depth",
                    "Batches queued or running on each worker queue"
                ),
                labels: [("worker", "\($0)")]
            )
        }
        uptime = registry.makeGauge(
            descriptor: Self.named("cardcheck_uptime", "seconds", "Seconds since the daemon started")
        )
        let trackedName = Self.named("cardcheck_velocity_tracked", "Cards and BINs the velocity limits hold now")
        velocityTracked = ["card", "bin"].map { registry.makeGauge(descriptor: trackedName, labels: [("table", $0)]) }
        velocityLocked = registry.makeCounter(
            descriptor: Self.named("cardcheck_velocity_cards_locked", "total", "Cards locked by velocity limits")
        )
        velocityFlagged = registry.makeCounter(
            descriptor: Self.named("cardcheck_velocity_bins_flagged", "total", "BINs flagged by velocity limits")
        )
        let evictionsName = Self.named(
            "cardcheck_velocity_evictions",
            "total",
            "Velocity entries evicted to make room, by table"
        )
        velocityEvictions = ["card", "bin"].map {
            registry.makeCounter(descriptor: evictionsName, labels: [("table", $0)])
        }
        velocityLockedAnswers = registry.makeCounter(
            descriptor: Self.named(
                "cardcheck_velocity_locked_answers",
                "total",
                "Requests about a locked card, answered without checking its code"
            )
        )
        rateLimited = registry.makeCounter(
            descriptor: Self.named("cardcheck_rate_limited", "total", "Requests refused by the per-peer rate limits")
        )
        registry.makeGauge(
            descriptor: Self.named("cardcheck_build_info", "The daemon's version"),
            labels: [("version", version)]
        ).set(Double(1))
    }

    func render(_ statistics: DaemonStatistics, queueDepths: [Int]) -> String {
        lock.withLock {
            func set(_ counter: Counter?, _ value: Int) {
                counter?.reset()
                counter?.increment(by: Int64(value))
            }
            for (counter, value) in zip(requests, statistics.requests.values) { set(counter, value) }
            for (counter, value) in zip(errors, statistics.errors.values) { set(counter, value) }
            for (counter, value) in zip(refusals, statistics.refusals.values) { set(counter, value) }
            set(reloadsSucceeded, statistics.reloadsSucceeded.load(ordering: .relaxed))
            set(reloadsFailed, statistics.reloadsFailed.load(ordering: .relaxed))
            set(acceptedConnections, Int(statistics.acceptedConnections.load(ordering: .relaxed)))
            openConnections.set(Double(statistics.openConnections.load(ordering: .relaxed)))
            for (gauge, depth) in zip(workerQueueDepth, queueDepths) { gauge.set(Double(depth)) }
            uptime.set(statistics.uptimeSeconds)
            if let velocity = statistics.velocity {
                velocityTracked[0].set(Double(velocity.trackedCards))
                velocityTracked[1].set(Double(velocity.trackedBINs))
                set(velocityLocked, velocity.cardsLocked.load(ordering: .relaxed))
                set(velocityFlagged, velocity.binsFlagged.load(ordering: .relaxed))
                set(velocityEvictions[0], velocity.cardEvictions.load(ordering: .relaxed))
                set(velocityEvictions[1], velocity.binEvictions.load(ordering: .relaxed))
                set(velocityLockedAnswers, velocity.lockedAnswers.load(ordering: .relaxed))
            }
            set(rateLimited, statistics.rateLimited.load(ordering: .relaxed))
            return registry.emitToString() + statistics.latency.exposition()
        }
    }
}
