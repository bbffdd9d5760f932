import Atomics
import Dispatch

/// A fixed set of serial Dispatch queues that run validations. Each batch of frames goes to the next
/// queue in turn, so that one busy connection cannot hold a single core while others idle.
final class WorkerPool: Sendable {
    let queues: [DispatchQueue]
    private let next = ManagedAtomic<Int>(0)
    /// Batches queued or running on each queue.
    private let queued: [ManagedAtomic<Int>]

    init(count: Int) {
        queues = (0..<count).map { DispatchQueue(label: "cardcheckd.worker.\($0)", qos: .userInitiated) }
        queued = (0..<count).map { _ in ManagedAtomic<Int>(0) }
    }

    /// How many batches each queue holds now.
    var depths: [Int] { queued.map { $0.load(ordering: .relaxed) } }

    func submit(_ work: @escaping @Sendable () -> Void) {
        let index = next.loadThenWrappingIncrement(ordering: .relaxed) % queues.count
        let depth = queued[index]
        depth.wrappingIncrement(ordering: .relaxed)
        queues[index].async {
            work()
            depth.wrappingDecrement(ordering: .relaxed)
        }
    }
}
