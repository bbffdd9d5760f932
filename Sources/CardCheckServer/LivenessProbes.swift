import Atomics
import NIOCore

/// Every thread that answers requests, each with a way to run a probe on it: the event loops (which
/// answer small batches inline) and the worker queues (which answer large ones). The watchdog pings
/// systemd only while all of them ran the probe it queued at the previous ping.
final class LivenessProbes: Sendable {
    struct Target: Sendable {
        /// For the log: `event loop 0`, `worker 3`.
        var name: String
        /// Runs a closure on the thread.
        var run: @Sendable (@escaping @Sendable () -> Void) -> Void
    }

    let targets: [Target]
    /// The last probe each target ran.
    private let answered: [ManagedAtomic<UInt64>]

    init(_ targets: [Target]) {
        self.targets = targets
        answered = targets.map { _ in ManagedAtomic<UInt64>(0) }
    }

    convenience init(eventLoops: EventLoopGroup, workers: WorkerPool) {
        let loops = eventLoops.makeIterator().enumerated().map { index, loop in
            Target(name: "event loop \(index)") { body in loop.execute(body) }
        }
        let queues = workers.queues.enumerated().map { index, queue in
            Target(name: "worker \(index)") { body in queue.async(execute: body) }
        }
        self.init(loops + queues)
    }

    /// Queues probe number `generation` on every target.
    func probe(_ generation: UInt64) {
        for (target, answered) in zip(targets, answered) {
            target.run { answered.store(generation, ordering: .releasing) }
        }
    }

    /// The targets that have not run probe `generation` yet.
    func unanswered(_ generation: UInt64) -> [String] {
        zip(targets, answered).filter { $0.1.load(ordering: .acquiring) < generation }.map(\.0.name)
    }
}
