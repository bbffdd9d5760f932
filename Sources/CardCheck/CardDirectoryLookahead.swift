import CCacheHints

/// A batch's lookups, fetched ahead. A lookup reads up to three cache lines one after another (bucket,
/// segments, record), each address known only from the line before, and the answer then reads a fourth
/// (the card's texts). With a large range file they are rarely cached under load: 2,000,000 ranges make
/// 820 KB of bucket tables and tens of megabytes of segments and records. Looked up one request at a
/// time, each miss is waited for in turn (perf put the lookup at 16% of the daemon's CPU time with
/// 2,000,000 ranges, before this and the two-level bucket index).
/// ``prefetch(prefixes:)`` walks a batch's PANs a level at a time instead: all buckets requested, then
/// all segments, then all records, so that a level's misses overlap and the lookups that follow find
/// their lines cached; the lookup itself requests the texts (``CardAttributes/prefetchTexts()``).
extension CardDirectory {
    /// The most PANs one ``prefetch(prefixes:)`` takes: about what a cache's outstanding misses allow, and a
    /// bound on the stack it uses.
    public static let lookaheadWidth = 32

    /// Starts fetching what looking up each of `prefixes` (PANs' first eleven digits, as a number, as
    /// ``prefix11(digits:)`` gives them) will read; beyond ``lookaheadWidth``, none. A hint: nothing is
    /// returned, nothing changes.
    public func prefetch(prefixes: UnsafeBufferPointer<UInt64>) {
        let count = min(prefixes.count, CardDirectory.lookaheadWidth)
        // Per PAN, its bucket, then its segments: the first and (for a mixed block) the end.
        withUnsafeTemporaryAllocation(of: (bucket: Int, first: Int, end: Int).self, capacity: count) { lookups in
            // 1. The buckets of mixed 4-digit blocks (a uniform one's entry is its bucket, and the 40 KB of
            // entries stay cached). A prefix out of range is clamped: a wasted hint, never a wild address.
            for index in 0..<count {
                let bucket = Int(min(prefixes[index], CardDirectory.prefixSpace - 1) / CardDirectory.bucketWidth)
                lookups[index].bucket = bucket
                if let stored = bucketSlot(bucket).stored { cardcheck_prefetch(stored) }
            }
            // 2. The segments: a uniform block's one, a mixed block's window (a block wider than the window
            // is searched by halving first; those probes are left to the search).
            for index in 0..<count {
                let bucket = lookups[index].bucket
                let entry = self.bucket(bucket)
                let first = Int(entry & CardDirectory.segmentIndexMask)
                lookups[index].first = first
                lookups[index].end = 0
                cardcheck_prefetch(segments + first)
                if entry & CardDirectory.uniformBucket == 0 {
                    let end = blockEnd(after: bucket)
                    lookups[index].end = end
                    // The lines after the first one, up to the window's end.
                    let windowEnd = UInt(bitPattern: segments + min(end, first + CardDirectory.scanWidth + 1))
                    var line = (UInt(bitPattern: segments + first) | 63) + 1
                    while line < windowEnd {
                        cardcheck_prefetch(UnsafeRawPointer(bitPattern: line))
                        line += 64
                    }
                }
            }
            // 3. The records. Not their texts, whose position is in the record: the lookup starts fetching
            // those (``CardAttributes/prefetchTexts()``), and the rest of the validation runs meanwhile.
            for index in 0..<count {
                let lookup = lookups[index]
                var found = lookup.first
                if lookup.end != 0 {
                    // By halving, without branches: the window's lines were requested in step 2, so here a
                    // probe waits for none, and five probes cost less than counting twenty segments.
                    let offset = min(prefixes[index], CardDirectory.prefixSpace - 1) % CardDirectory.bucketWidth
                    let beyond = (offset + 1) << 32
                    var candidates = lookup.end - found
                    while candidates > 1 {
                        let half = candidates / 2
                        found = segments[found + half] < beyond ? found + half : found
                        candidates -= half
                    }
                }
                let record = UInt32(truncatingIfNeeded: segments[found])
                if record != CardDirectory.noAttributes { cardcheck_prefetch(records + Int(record)) }
            }
        }
    }

    /// The first eleven digits of a PAN's ASCII digits as one number, as ``prefetch(prefixes:)`` takes
    /// them; nil unless `digits` is a PAN's length of digits (a PAN with separators is not fetched ahead).
    /// Eight digits at a time in one word (simdjson's test and conversion), then three: 63 instructions
    /// against 96 digit by digit, on every request of a batch.
    @inlinable public static func prefix11(digits: UnsafeRawBufferPointer) -> UInt64? {
        guard PAN.digitRange.contains(digits.count) else { return nil }
        let word = UInt64(littleEndian: digits.loadUnaligned(as: UInt64.self))  // digits 1-8, first lowest
        // Every byte 0x30-0x39: its high nibble is 3, and adding 6 leaves it 3.
        let highNibbles: UInt64 = 0xF0F0_F0F0_F0F0_F0F0
        let plusSix: UInt64 = (word &+ 0x0606_0606_0606_0606) & highNibbles
        guard (word & highNibbles) | (plusSix >> 4) == 0x3333_3333_3333_3333 else { return nil }
        var value: UInt64 = word &- 0x3030_3030_3030_3030
        value = (value &* 10) &+ (value >> 8)  // each pair of digits in its low byte
        let pairs: UInt64 = 0x0000_00FF_0000_00FF
        let hundreds: UInt64 = 100 + (1_000_000 << 32)
        let units: UInt64 = 1 + (10_000 << 32)
        let low: UInt64 = (value & pairs) &* hundreds
        let high: UInt64 = ((value >> 16) & pairs) &* units
        value = (low &+ high) >> 32
        let (d9, d10, d11) = (digits[8] &- 0x30, digits[9] &- 0x30, digits[10] &- 0x30)
        guard d9 < 10 && d10 < 10 && d11 < 10 else { return nil }
        let last: UInt64 = UInt64(d9) &* 100 &+ UInt64(d10) &* 10 &+ UInt64(d11)
        return value &* 1_000 &+ last
    }
}
