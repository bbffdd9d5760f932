import CardCheck
import CardCheckWire
import CoreMetrics
import Prometheus

/// The daemon's metrics: swift-metrics instruments on a Prometheus registry of its own, exposed as
/// Prometheus text through `STATS` with the `prometheus` flag (`cardcheck stats --prometheus`). Every
/// instrument is made once at start, so the request path only increments and records. Labels are
/// operations, outcomes and error kinds: never card data.
final class DaemonMetrics: Sendable {
    static let operations: [Opcode] = [.hello, .ping, .validate, .interpret, .stats, .cscGenerate, .cscVerify]
    /// Latency buckets: the engine answers in well under a microsecond, so a request's time is queueing,
    /// the worker hop and the batch it rides in; buckets from 5 µs to 1 s show where it goes.
    static let latencyBuckets: [Duration] = [
        .microseconds(5), .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100),
        .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2_500), .milliseconds(5),
        .milliseconds(10), .milliseconds(50), .milliseconds(250), .seconds(1),
    ]

    let registry = PrometheusCollectorRegistry()
    /// Requests by operation and outcome, at `BatchTally.slot(operation, outcome)`; nil for pairs that
    /// cannot happen (an action for anything but `VALIDATE`).
    private let requests: [CoreMetrics.Counter?]
    /// Request latency by operation (its own lock-free histogram, appended to the registry's text).
    private let latency: LatencyHistogram
    /// Error responses by `WireError.Kind` raw value.
    private let errors: [CoreMetrics.Counter?]
    private let reloadsSucceeded: CoreMetrics.Counter
    private let reloadsFailed: CoreMetrics.Counter
    private let acceptedConnections: CoreMetrics.Counter
    private let refusedConnections: [WireError.Kind: CoreMetrics.Counter]
    private let openConnections: CoreMetrics.Gauge
    private let workerQueueDepth: [CoreMetrics.Gauge]
    private let uptime: CoreMetrics.Gauge

    init(workerQueues: Int, version: String) {
        let factory = PrometheusMetricsFactory(registry: registry)
        let names = Self.operations.map { $0.name.lowercased() } + ["unknown"]

        var requests = [CoreMetrics.Counter?](repeating: nil, count: BatchTally.slots)
        for (operation, name) in names.enumerated() {
            let outcomes = operation == Self.index(of: .validate)
                ? [BatchTally.error] + Action.allCases.map(BatchTally.outcome(of:))
                : [BatchTally.ok, BatchTally.error]
            for outcome in outcomes {
                requests[BatchTally.slot(operation, outcome)] = CoreMetrics.Counter(
                    label: "cardcheck_requests_total",
                    dimensions: [("op", name), ("outcome", BatchTally.outcomeName(outcome))], factory: factory)
            }
        }
        self.requests = requests
        latency = LatencyHistogram(name: "cardcheck_request_duration_seconds",
                                   help: "Time from reading a request to its answer being written out", operations: names,
                                   bounds: Self.latencyBuckets)
        var errors = [CoreMetrics.Counter?](repeating: nil, count: BatchTally.errorSlots)
        for raw in 1..<UInt8(BatchTally.errorSlots) {
            guard let kind = WireError.Kind(rawValue: raw) else { continue }
            errors[Int(raw)] = CoreMetrics.Counter(label: "cardcheck_errors_total", dimensions: [("kind", kind.name)], factory: factory)
        }
        self.errors = errors
        reloadsSucceeded = CoreMetrics.Counter(label: "cardcheck_reloads_total", dimensions: [("result", "ok")], factory: factory)
        reloadsFailed = CoreMetrics.Counter(label: "cardcheck_reloads_total", dimensions: [("result", "failed")], factory: factory)
        acceptedConnections = CoreMetrics.Counter(label: "cardcheck_connections_accepted_total", factory: factory)
        refusedConnections = Dictionary(uniqueKeysWithValues: [WireError.Kind.notPermitted, .overloaded].map {
            ($0, CoreMetrics.Counter(label: "cardcheck_connections_refused_total", dimensions: [("reason", $0.name)], factory: factory))
        })
        openConnections = CoreMetrics.Gauge(label: "cardcheck_connections_open", factory: factory)
        workerQueueDepth = (0..<workerQueues).map {
            CoreMetrics.Gauge(label: "cardcheck_worker_queue_depth", dimensions: [("worker", "\($0)")], factory: factory)
        }
        uptime = CoreMetrics.Gauge(label: "cardcheck_uptime_seconds", factory: factory)
        CoreMetrics.Gauge(label: "cardcheck_build_info", dimensions: [("version", version)], factory: factory).record(1)
    }

    /// One answered batch: what each request was and how it ended, and how long the batch took from
    /// being read to being answered (every request in it waited that long).
    func record(_ tally: borrowing BatchTally, latencyNanoseconds nanoseconds: Int64) {
        // Nothing to look at in most slots: the batch's used-slot mask says which.
        var used = tally.usedSlots
        while used != 0 {
            let slot = used.trailingZeroBitCount
            used &= used - 1
            let count = tally.counts[slot]
            requests[slot]?.increment(by: count)
            latency.record(nanoseconds, count: count, operation: slot / BatchTally.outcomes)
        }
        guard tally.errorResponses > 0 else { return }
        for kind in 1..<BatchTally.errorSlots where tally.errors[kind] > 0 {
            errors[kind]?.increment(by: tally.errors[kind])
        }
    }

    /// An error response sent outside a batch (a framing error at the end of a connection).
    func recordError(_ kind: WireError.Kind) { errors[Int(kind.rawValue)]?.increment() }

    func recordAccepted() { acceptedConnections.increment() }

    func recordRefusal(_ kind: WireError.Kind) {
        refusedConnections[kind]?.increment()
        recordError(kind)
    }

    func recordReload(succeeded: Bool) { (succeeded ? reloadsSucceeded : reloadsFailed).increment() }

    /// The Prometheus text, with the gauges read at this moment.
    func exposition(openConnections open: UInt64, queueDepths: [Int], uptimeSeconds: Double) -> String {
        openConnections.record(open)
        for (gauge, depth) in zip(workerQueueDepth, queueDepths) { gauge.record(depth) }
        uptime.record(uptimeSeconds)
        return registry.emitToString() + latency.exposition()
    }

    /// Index of an operation in `operations`; the last index stands for an unknown one.
    static func index(of opcode: Opcode?) -> Int {
        guard let opcode, let index = operations.firstIndex(of: opcode) else { return operations.count }
        return index
    }
}

/// What one batch of requests did, gathered on the worker in fixed storage (no allocation, no shared
/// state) and handed to `DaemonMetrics.record` once per batch.
struct BatchTally: ~Copyable {
    /// Outcomes per operation: ok, error, then the four actions of `VALIDATE`.
    static let outcomes = 6
    static let ok = 0
    static let error = 1
    /// (DaemonMetrics.operations.count + 1 for unknown) * outcomes.
    static let slots = 48
    /// WireError.Kind raw values 1...9.
    static let errorSlots = 10

    static func outcome(of action: Action) -> Int { 2 + Int(action.rawValue) }
    static func slot(_ operation: Int, _ outcome: Int) -> Int { operation * outcomes + outcome }
    static func outcomeName(_ outcome: Int) -> String {
        switch outcome {
        case ok: "ok"
        case error: "error"
        default: Action(rawValue: UInt8(outcome - 2))?.name ?? "unknown"
        }
    }

    var counts = InlineArray<48, Int>(repeating: 0)
    var errors = InlineArray<10, Int>(repeating: 0)
    var total = 0
    var validations = 0
    var errorResponses = 0
    /// Bit n set: `counts[n]` is above 0.
    var usedSlots: UInt64 = 0

    mutating func add(_ outcome: Responder.Outcome) {
        total += 1
        let operation = DaemonMetrics.index(of: outcome.opcode)
        if let error = outcome.error {
            errorResponses += 1
            errors[Int(error.kind.rawValue)] += 1
            count(Self.slot(operation, Self.error))
        } else if let action = outcome.action {
            validations += 1
            count(Self.slot(operation, Self.outcome(of: action)))
        } else {
            count(Self.slot(operation, Self.ok))
        }
    }

    private mutating func count(_ slot: Int) {
        counts[slot] += 1
        usedSlots |= 1 << UInt64(slot)
    }
}
