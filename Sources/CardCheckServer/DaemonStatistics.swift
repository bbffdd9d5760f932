import Atomics
import CardCheck
import CardCheckWire
import Foundation

/// The daemon's counters: **one** set, updated from any thread with relaxed atomics, rendered twice:
/// as the `STATS` answer (``snapshot``) and as Prometheus text (``exposition(queueDepths:)``, through
/// ``PrometheusRendering``), as Redis renders its one set of counters as INFO. Every event is counted
/// once, in one place; totals (requests answered, errors sent) are sums, never separate counters that
/// could drift. They never hold card data.
final class DaemonStatistics: Sendable {
    let started = Date()
    let workerQueues: Int
    /// Connections being served (a gauge).
    let openConnections = ManagedAtomic<UInt64>(0)
    let acceptedConnections = ManagedAtomic<UInt64>(0)
    /// Requests answered by operation and outcome, at `BatchTally.slot(operation, outcome)`.
    let requests: AtomicCounters
    /// Error responses sent by `WireError.Kind` raw value, refusals and framing errors included.
    let errors: AtomicCounters
    /// Connections refused, by `WireError.Kind` raw value (not_permitted, overloaded).
    let refusals: AtomicCounters
    let reloadsSucceeded = ManagedAtomic<Int>(0)
    let reloadsFailed = ManagedAtomic<Int>(0)
    /// Request latency by operation.
    let latency: LatencyHistogram
    /// The velocity limiter's own counters (cards locked, BINs flagged, evictions) and the peers refused by
    /// its rate limits; nil in a responder without one.
    let velocity: VelocityLimiter?
    let rateLimited = ManagedAtomic<Int>(0)
    private let prometheus: PrometheusRendering

    init(workerQueues: Int, version: String, velocity: VelocityLimiter? = nil) {
        self.workerQueues = workerQueues
        self.velocity = velocity
        requests = AtomicCounters(count: BatchTally.slots)
        errors = AtomicCounters(count: BatchTally.errorSlots)
        refusals = AtomicCounters(count: BatchTally.errorSlots)
        latency = LatencyHistogram(
            name: "cardcheck_request_duration_seconds",
            help: "Time from reading a request to its answer being written out",
            operations: BatchTally.operationNames,
            bounds: PrometheusRendering.latencyBuckets
        )
        prometheus = PrometheusRendering(workerQueues: workerQueues, version: version)
    }

    // MARK: Events

    /// One answered batch: what each request was and how it ended, and how long the batch took from
    /// being read to being answered (every request in it waited that long).
    func record(_ tally: borrowing BatchTally, latencyNanoseconds nanoseconds: Int64) {
        // Nothing to look at in most slots: the batch's used-slot mask says which.
        var used = tally.usedSlots
        while used != 0 {
            let slot = used.trailingZeroBitCount
            used &= used - 1
            let count = tally.counts[slot]
            requests.add(count, at: slot)
            latency.record(nanoseconds, count: count, operation: slot / BatchTally.outcomes)
        }
        guard tally.errorResponses > 0 else { return }
        for kind in 1..<BatchTally.errorSlots where tally.errors[kind] > 0 {
            errors.add(tally.errors[kind], at: kind)
        }
    }

    /// An error response sent outside a batch (a framing error at the end of a connection).
    func recordError(_ kind: WireError.Kind) { errors.add(1, at: Int(kind.rawValue)) }

    /// Counts an accepted connection; returns its number since start, which names it in the log.
    @discardableResult func recordAccepted() -> UInt64 {
        acceptedConnections.wrappingIncrementThenLoad(ordering: .relaxed)
    }

    /// A connection refused with `kind` (not permitted, or over the limit): a refusal and an error sent.
    func recordRefusal(_ kind: WireError.Kind) {
        refusals.add(1, at: Int(kind.rawValue))
        recordError(kind)
    }

    func recordReload(succeeded: Bool) {
        (succeeded ? reloadsSucceeded : reloadsFailed).wrappingIncrement(ordering: .relaxed)
    }

    // MARK: Readings

    var requestsAnswered: UInt64 { UInt64(requests.sum) }

    var uptimeSeconds: Double { max(0, Date().timeIntervalSince(started)) }

    /// The `STATS` answer.
    var snapshot: StatsResponse {
        var stats = StatsResponse()
        stats.uptimeSeconds = UInt64(uptimeSeconds)
        stats.openConnections = openConnections.load(ordering: .relaxed)
        stats.acceptedConnections = acceptedConnections.load(ordering: .relaxed)
        stats.refusedConnections = UInt64(refusals.sum)
        stats.requestsAnswered = requestsAnswered
        // Validations answered with an action; a VALIDATE answered with an error counts as an error.
        // Binary and JSON Lines validations alike.
        let validations = [BatchTally.index(of: .validate), BatchTally.jsonLineIndex]
        stats.validateRequests = UInt64(
            validations.reduce(0) { total, operation in
                Action.allCases.reduce(total) { $0 + requests[BatchTally.slot(operation, BatchTally.outcome(of: $1))] }
            }
        )
        stats.errorsSent = UInt64(errors.sum)
        stats.workerQueues = UInt64(workerQueues)
        if let velocity {
            stats.velocityCardsTracked = UInt64(velocity.trackedCards)
            stats.velocityCardsLocked = UInt64(velocity.cardsLocked.load(ordering: .relaxed))
            stats.velocityBINsFlagged = UInt64(velocity.binsFlagged.load(ordering: .relaxed))
            stats.velocityEvictions = UInt64(
                velocity.cardEvictions.load(ordering: .relaxed) + velocity.binEvictions.load(ordering: .relaxed)
            )
            stats.velocityLockedAnswers = UInt64(velocity.lockedAnswers.load(ordering: .relaxed))
        }
        stats.rateLimited = UInt64(rateLimited.load(ordering: .relaxed))
        return stats
    }

    /// The Prometheus text, every value read now.
    func exposition(queueDepths: [Int]) -> String {
        prometheus.render(self, queueDepths: queueDepths)
    }
}

/// What one batch of requests did, gathered in fixed storage (no allocation, no shared state) and
/// handed to `DaemonStatistics.record` once per batch.
struct BatchTally: ~Copyable {
    static let operations = Opcode.allCases
    /// The index of JSON Lines validations (`op="validate_jsonl"`), after the binary operations.
    static let jsonLineIndex = operations.count
    /// The `op` label of each operation index; the last stands for an unknown operation.
    static let operationNames = operations.map { $0.name.lowercased() } + ["validate_jsonl", "unknown"]
    /// Outcomes per operation: ok, error, then the four actions of `VALIDATE`.
    static let outcomes = 6
    static let ok = 0
    static let error = 1
    /// (operations.count + 1 for JSON lines + 1 for unknown) * outcomes; at most 128 (`usedSlots`).
    static let slots = 66
    /// WireError.Kind raw values 1...10.
    static let errorSlots = 11

    static func outcome(of action: Action) -> Int { 2 + Int(action.rawValue) }
    static func slot(_ operation: Int, _ outcome: Int) -> Int { operation * outcomes + outcome }
    static func outcomeName(_ outcome: Int) -> String {
        switch outcome {
        case ok: "ok"
        case error: "error"
        default: Action(rawValue: UInt8(outcome - 2))?.name ?? "unknown"
        }
    }

    /// Index of an operation in `operations`; the last index stands for an unknown one.
    static func index(of opcode: Opcode?) -> Int {
        guard let opcode, let index = operations.firstIndex(of: opcode) else { return operationNames.count - 1 }
        return index
    }

    var counts = InlineArray<66, Int>(repeating: 0)
    var errors = InlineArray<11, Int>(repeating: 0)
    var total = 0
    var errorResponses = 0
    /// Requests refused by the per-peer rate limits.
    var rateLimited = 0
    /// Bit n set: `counts[n]` is above 0.
    var usedSlots: UInt128 = 0

    mutating func add(_ outcome: Responder.Outcome) {
        total += 1
        let operation = outcome.isJSONLine ? Self.jsonLineIndex : Self.index(of: outcome.opcode)
        if let error = outcome.error {
            errorResponses += 1
            errors[Int(error.kind.rawValue)] += 1
            count(Self.slot(operation, Self.error))
        } else if let action = outcome.action {
            count(Self.slot(operation, Self.outcome(of: action)))
        } else {
            count(Self.slot(operation, Self.ok))
        }
    }

    private mutating func count(_ slot: Int) {
        counts[slot] += 1
        usedSlots |= 1 << UInt128(slot)
    }
}
