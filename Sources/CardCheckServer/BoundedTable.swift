import Foundation

/// At most `capacity` entries keyed by a 64-bit hash, in fixed memory allocated once: a ring of entries in
/// the order they were added and an open-addressing index (linear probing, twice the capacity, a power of
/// two) of their positions. When full, a new key takes the oldest entry's place, unless `keep` says that
/// entry still matters, in which case it gets a second chance (up to 8 are passed over) and the next oldest
/// goes. Not thread-safe: its shard's lock guards it.
struct BoundedTable<Value> {
    let capacity: Int
    private let keys: UnsafeMutablePointer<UInt64>
    private let values: UnsafeMutablePointer<Value>
    /// 0: empty; otherwise a ring position + 1.
    private let index: UnsafeMutablePointer<UInt32>
    private let mask: Int
    private(set) var count = 0
    /// The ring position of the oldest entry once full.
    private var oldest = 0

    /// `Value` must be a plain struct whose all-zero bytes are a valid (blank) value: the memory comes from
    /// the kernel zeroed and is touched only as entries arrive, so an empty table costs no resident memory.
    init(capacity: Int) {
        self.capacity = max(1, capacity)
        var slots = 2
        while slots < 2 * self.capacity { slots <<= 1 }
        mask = slots - 1
        keys = ZeroedMemory.allocate(UInt64.self, count: self.capacity)
        values = ZeroedMemory.allocate(Value.self, count: self.capacity)
        index = ZeroedMemory.allocate(UInt32.self, count: slots)
    }

    func deallocate() {
        ZeroedMemory.deallocate(keys, count: capacity)
        ZeroedMemory.deallocate(values, count: capacity)
        ZeroedMemory.deallocate(index, count: mask + 1)
    }

    @inline(__always) private func home(_ key: UInt64) -> Int {
        // The keys of the velocity tables are hashes or BINs: Fibonacci hashing spreads both.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The ring position of `key`'s entry, or nil.
    @inline(__always) func position(of key: UInt64) -> Int? {
        var slot = home(key)
        while true {
            let entry = index[slot]
            if entry == 0 { return nil }
            if keys[Int(entry) - 1] == key { return Int(entry) - 1 }
            slot = (slot + 1) & mask
        }
    }

    subscript(position: Int) -> Value {
        get { values[position] }
        nonmutating set { values[position] = newValue }
    }

    /// The position of `key`'s entry, adding it with `value` (and reporting whether another entry was
    /// evicted for it) when absent.
    mutating func findOrAdd(
        _ key: UInt64,
        value: Value,
        keep: (Value) -> Bool
    ) -> (position: Int, added: Bool, evicted: Bool) {
        if let found = position(of: key) { return (found, false, false) }
        var position: Int
        var evicted = false
        if count < capacity {
            position = count
            count += 1
        } else {
            var passed = 0
            while passed < 8 && keep(values[oldest]) {
                oldest = (oldest + 1) % capacity
                passed += 1
            }
            position = oldest
            oldest = (oldest + 1) % capacity
            remove(at: position)
            evicted = true
        }
        keys[position] = key
        values[position] = value
        var slot = home(key)
        while index[slot] != 0 { slot = (slot + 1) & mask }
        index[slot] = UInt32(position + 1)
        return (position, true, evicted)
    }

    /// Takes the entry at ring `position` out of the index, shifting later entries of its probe run back
    /// (no tombstones, so lookups stay short however many evictions there were).
    private mutating func remove(at position: Int) {
        var hole = home(keys[position])
        while Int(index[hole]) != position + 1 { hole = (hole + 1) & mask }
        var next = hole
        while true {
            next = (next + 1) & mask
            let entry = index[next]
            if entry == 0 { break }
            let wanted = home(keys[Int(entry) - 1])
            // Move the entry into the hole unless its home lies cyclically in (hole, next].
            let inRange = hole <= next ? (hole < wanted && wanted <= next) : (hole < wanted || wanted <= next)
            if !inRange {
                index[hole] = entry
                hole = next
            }
        }
        index[hole] = 0
    }
}

/// Anonymous mappings: zero-filled by the kernel, resident only once written.
enum ZeroedMemory {
    static func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        precondition(_isPOD(T.self), "zeroed memory holds plain values only")
        let bytes = max(1, count * MemoryLayout<T>.stride)
        guard let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            raw != MAP_FAILED
        else { fatalError("cannot map \(bytes) bytes for a velocity table") }
        return raw.bindMemory(to: T.self, capacity: count)
    }

    static func deallocate<T>(_ pointer: UnsafeMutablePointer<T>, count: Int) {
        munmap(UnsafeMutableRawPointer(pointer), max(1, count * MemoryLayout<T>.stride))
    }
}
