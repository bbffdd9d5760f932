import Atomics
import CardCheckWire
import Foundation

/// The daemon's counters, updated from any thread: plain atomics for `STATUS=` and `STATS`, and the
/// metrics for Prometheus. They never hold card data.
final class DaemonStatistics: Sendable {
    let started = Date()
    let openConnections = ManagedAtomic<UInt64>(0)
    let acceptedConnections = ManagedAtomic<UInt64>(0)
    let refusedConnections = ManagedAtomic<UInt64>(0)
    let requestsAnswered = ManagedAtomic<UInt64>(0)
    let validateRequests = ManagedAtomic<UInt64>(0)
    let errorsSent = ManagedAtomic<UInt64>(0)
    let workerQueues: UInt64
    let metrics: DaemonMetrics

    init(workerQueues: Int, version: String) {
        self.workerQueues = UInt64(workerQueues)
        metrics = DaemonMetrics(workerQueues: workerQueues, version: version)
    }

    /// One answered batch of requests.
    func record(_ tally: borrowing BatchTally, latencyNanoseconds: Int64) {
        requestsAnswered.wrappingIncrement(by: UInt64(tally.total), ordering: .relaxed)
        validateRequests.wrappingIncrement(by: UInt64(tally.validations), ordering: .relaxed)
        errorsSent.wrappingIncrement(by: UInt64(tally.errorResponses), ordering: .relaxed)
        metrics.record(tally, latencyNanoseconds: latencyNanoseconds)
    }

    /// An error response sent outside a batch.
    func recordError(_ kind: WireError.Kind) {
        errorsSent.wrappingIncrement(ordering: .relaxed)
        metrics.recordError(kind)
    }

    func recordAccepted() {
        acceptedConnections.wrappingIncrement(ordering: .relaxed)
        metrics.recordAccepted()
    }

    /// A connection refused with `kind` (not permitted, or over the limit).
    func recordRefusal(_ kind: WireError.Kind) {
        refusedConnections.wrappingIncrement(ordering: .relaxed)
        errorsSent.wrappingIncrement(ordering: .relaxed)
        metrics.recordRefusal(kind)
    }

    /// The metrics as Prometheus text, gauges read now.
    func exposition(queueDepths: [Int]) -> String {
        metrics.exposition(openConnections: openConnections.load(ordering: .relaxed), queueDepths: queueDepths,
                           uptimeSeconds: max(0, Date().timeIntervalSince(started)))
    }

    var snapshot: StatsResponse {
        var stats = StatsResponse()
        stats.uptimeSeconds = UInt64(max(0, Date().timeIntervalSince(started)))
        stats.openConnections = openConnections.load(ordering: .relaxed)
        stats.acceptedConnections = acceptedConnections.load(ordering: .relaxed)
        stats.refusedConnections = refusedConnections.load(ordering: .relaxed)
        stats.requestsAnswered = requestsAnswered.load(ordering: .relaxed)
        stats.validateRequests = validateRequests.load(ordering: .relaxed)
        stats.errorsSent = errorsSent.load(ordering: .relaxed)
        stats.workerQueues = workerQueues
        return stats
    }
}
