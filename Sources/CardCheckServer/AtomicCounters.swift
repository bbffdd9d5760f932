import Atomics

/// A fixed number of integer counters in one block of memory, bumped and read with relaxed atomics.
/// Unlike an array of `ManagedAtomic` (one object per counter), bumping one retains and releases
/// nothing: it is on every batch's path.
final class AtomicCounters: @unchecked Sendable {  // the memory is only ever touched atomically
    let count: Int
    private let storage: UnsafeMutablePointer<UnsafeAtomic<Int>.Storage>

    init(count: Int) {
        self.count = count
        storage = .allocate(capacity: count)
        for index in 0..<count { (storage + index).initialize(to: UnsafeAtomic<Int>.Storage(0)) }
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    @inline(__always)
    func add(_ amount: Int, at index: Int) {
        precondition(index >= 0 && index < count, "AtomicCounters: index out of range")
        UnsafeAtomic<Int>(at: storage + index).wrappingIncrement(by: amount, ordering: .relaxed)
    }

    subscript(index: Int) -> Int {
        precondition(index >= 0 && index < count, "AtomicCounters: index out of range")
        return UnsafeAtomic<Int>(at: storage + index).load(ordering: .relaxed)
    }

    /// Every counter, read now (each on its own: the set is not a snapshot).
    var values: [Int] { (0..<count).map { self[$0] } }

    var sum: Int { values.reduce(0, +) }
}
