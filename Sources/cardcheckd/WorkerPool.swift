import Atomics
import Dispatch

/// A fixed set of serial Dispatch queues that run validations. Each batch of frames goes to the next
/// queue in turn, so that one busy connection cannot hold a single core while others idle.
final class WorkerPool: Sendable {
    let queues: [DispatchQueue]
    private let next = ManagedAtomic<Int>(0)

    init(count: Int) {
        queues = (0..<count).map { DispatchQueue(label: "cardcheckd.worker.\($0)", qos: .userInitiated) }
    }

    func submit(_ work: @escaping @Sendable () -> Void) {
        let index = next.loadThenWrappingIncrement(ordering: .relaxed) % queues.count
        queues[index].async(execute: work)
    }
}
