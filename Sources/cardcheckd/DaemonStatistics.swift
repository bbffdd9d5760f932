import Atomics
import CardCheckWire
import Foundation

/// The daemon's counters, updated from any thread. They never hold card data.
final class DaemonStatistics: Sendable {
    let started = Date()
    let openConnections = ManagedAtomic<UInt64>(0)
    let acceptedConnections = ManagedAtomic<UInt64>(0)
    let refusedConnections = ManagedAtomic<UInt64>(0)
    let requestsAnswered = ManagedAtomic<UInt64>(0)
    let validateRequests = ManagedAtomic<UInt64>(0)
    let errorsSent = ManagedAtomic<UInt64>(0)
    let workerQueues: UInt64

    init(workerQueues: Int) { self.workerQueues = UInt64(workerQueues) }

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
