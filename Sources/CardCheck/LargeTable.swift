#if canImport(Glibc)
import Glibc
#endif

/// Memory for the card directory's tables, which a range file makes tens of megabytes and a lookup reads at
/// random: a table of 256 KB or more is rounded up to whole 2 MB pages, aligned to them and advised as huge
/// pages before it is touched, so that a lookup's loads miss the TLB less (with 4 KB pages each one costs a
/// page walk on top of its cache miss, and a VM's walk is two-dimensional: the engine benchmark's lookups
/// scattered over a 2,000,000-range file took 281 ns at p50 with its 820 KB of bucket tables on small
/// pages, 220 ns on a huge one). Where transparent huge pages are off, or on another platform, it is
/// ordinary memory.
@usableFromInline enum LargeTable {
    static let hugePageSize = 2 << 20
    static let hugePageThreshold = 256 << 10

    static func allocate<Element>(_ type: Element.Type, capacity: Int) -> UnsafeMutablePointer<Element> {
        #if canImport(Glibc)
        let needed = MemoryLayout<Element>.stride * capacity
        let huge = needed >= hugePageThreshold
        let size = huge ? (needed + hugePageSize - 1) / hugePageSize * hugePageSize : needed
        var memory: UnsafeMutableRawPointer?
        // Small tables on a cache line: a 16-byte record then never straddles two.
        let alignment = huge ? hugePageSize : max(64, MemoryLayout<Element>.alignment)
        guard posix_memalign(&memory, alignment, max(size, 1)) == 0, let memory else {
            fatalError("out of memory for a card directory table of \(size) bytes")
        }
        // Advice only: refused (THP "never"), the table still works with small pages.
        if huge { _ = madvise(memory, size, MADV_HUGEPAGE) }
        return memory.bindMemory(to: Element.self, capacity: capacity)
        #else
        return .allocate(capacity: capacity)
        #endif
    }

    /// Frees what ``allocate(_:capacity:)`` gave (the elements are trivial: nothing to deinitialise).
    static func deallocate<Element>(_ table: UnsafeMutablePointer<Element>) {
        #if canImport(Glibc)
        free(table)
        #else
        table.deallocate()
        #endif
    }
}
