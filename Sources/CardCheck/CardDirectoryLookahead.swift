import CCacheHints

/// A batch's lookups, done ahead a level at a time. A lookup reads up to three cache lines one after
/// another (bucket, segments, record), each address known only from the line before, and the answer then
/// reads a fourth (the card's texts). With a large range file they are rarely cached under load: 2,000,000
/// ranges make 820 KB of bucket tables and tens of megabytes of segments and records. Looked up one
/// request at a time, each miss is waited for in turn (perf put the lookup at 16% of the daemon's CPU time
/// with 2,000,000 ranges, before this and the two-level bucket index).
/// ``lookAhead(prefixes:found:)`` walks a batch's PANs a level at a time instead: all buckets requested,
/// then all segments, then all records, so that a level's misses overlap. Its last level is the search
/// itself: each PAN's segment is kept (``Found``), and the validation takes it
/// (``attributes(of:lookedUp:)``) instead of searching again (scripts/profile-daemon: the search was
/// done twice, about 90 instructions a request); the lookup requests the texts
/// (``CardAttributes/prefetchTexts()``).
extension CardDirectory {
    /// The most PANs one ``lookAhead(prefixes:found:)`` takes: about what a cache's outstanding misses allow,
    /// and a bound on the stack it uses. Computed: read per frame, and a stored one costs a `swift_once` call.
    @inlinable public static var lookaheadWidth: Int { 32 }

    /// Where ``lookAhead(prefixes:found:)`` found a PAN's first eleven digits in one directory: what
    /// ``attributes(of:lookedUp:)`` takes for that PAN instead of searching, and ignores for any other PAN
    /// or directory (a finding cannot give a wrong answer, only save a search). 16 bytes, passed in two
    /// registers: with the directory's identity as a third word, passing it on from the batch to the
    /// lookup cost more than the search it saved (scripts/profile-daemon).
    @frozen public struct Found: Sendable, Hashable {
        /// The directory's ``CardDirectory/findingKey`` and the prefix: equal to a lookup's key only in
        /// the same directory for the same prefix.
        @usableFromInline let key: UInt64
        @usableFromInline let segment: UInt32

        /// Nothing found: matches no PAN (its prefix bits, all ones, exceed every 11-digit prefix). Computed,
        /// where it folds to constants: a stored one would be read through `swift_once` on every request.
        @inlinable public static var nothing: Found { Found(key: .max, segment: 0) }

        @usableFromInline init(key: UInt64, segment: UInt32) {
            self.key = key
            self.segment = segment
        }
    }

    /// The low bits of a finding's key: the prefix, below 10^11 < 2^37.
    @inlinable static var findingPrefixBits: UInt64 { 37 }

    /// What the most specific range says about `pan`, taken from `lookedUp` when it is this directory's
    /// finding for this PAN's first eleven digits: the same answer as ``attributes(of:)``.
    @inlinable @inline(__always) public func attributes(of pan: PAN, lookedUp: Found) -> CardAttributes? {
        // The serial first: without a finding (a batch of one, a small directory) the PAN's prefix is not
        // computed, as a uniform block's lookup needs none.
        if lookedUp.key >> CardDirectory.findingPrefixBits == findingKey >> CardDirectory.findingPrefixBits,
            lookedUp.key == findingKey | CardDirectory.prefix11(pan)
        {
            return record(at: Int(lookedUp.segment))
        }
        return attributes(of: pan)
    }

    /// Finds the segment of each of `prefixes` (PANs' first eleven digits, as a number, as
    /// ``prefix11(digits:)`` gives them; beyond ``lookaheadWidth``, none) into the same position of
    /// `found`, a level at a time, and starts fetching each one's record. Nothing else changes; a prefix
    /// out of range (a frame without a plain PAN may be given as `UInt64.max`) is a wasted hint whose
    /// finding matches no PAN.
    public func lookAhead(prefixes: UnsafeBufferPointer<UInt64>, found: UnsafeMutablePointer<Found>) {
        let count = min(prefixes.count, CardDirectory.lookaheadWidth)
        let prefixMask: UInt64 = 1 << CardDirectory.findingPrefixBits - 1
        // Per PAN, its bucket and the bucket's slot in a mixed block's table (nil in a uniform block), then
        // its segments: the first and (for a mixed bucket) the end.
        typealias Lookup = (bucket: Int, slot: UnsafeMutablePointer<UInt32>?, first: Int, end: Int)
        withUnsafeTemporaryAllocation(of: Lookup.self, capacity: count) { lookups in
            // 1. The buckets of mixed 4-digit blocks (a uniform one's entry is its bucket, and the 40 KB of
            // entries stay cached). A prefix out of range is clamped: a wasted hint, never a wild address.
            for index in 0..<count {
                let bucket = Int(min(prefixes[index], CardDirectory.prefixSpace - 1) / CardDirectory.bucketWidth)
                let (entry, _, stored) = bucketSlot(bucket)
                lookups[index].bucket = bucket
                lookups[index].slot = stored
                // A uniform block's buckets are uniform, with the entry's segment.
                lookups[index].first = Int(entry & CardDirectory.segmentIndexMask)
                if let stored { cardcheck_prefetch(stored) }
            }
            // 2. The segments: a uniform bucket's one, a mixed bucket's window (a block wider than the window
            // is searched by halving first; those probes are left to the search). The bucket is read from
            // the slot step 1 found, and the next one (where a mixed bucket's segments end) beside it, but
            // for the last bucket of a 4-digit block.
            for index in 0..<count {
                lookups[index].end = 0
                guard let slot = lookups[index].slot else {
                    cardcheck_prefetch(segments + lookups[index].first)
                    continue
                }
                let entry = slot.pointee
                let first = Int(entry & CardDirectory.segmentIndexMask)
                lookups[index].first = first
                cardcheck_prefetch(segments + first)
                if entry & CardDirectory.uniformBucket == 0 {
                    let bucket = lookups[index].bucket
                    let next =
                        (bucket &+ 1) % CardDirectory.bucketsPerBlock == 0
                        ? self.bucket(bucket &+ 1) : (slot + 1).pointee
                    let end = CardDirectory.blockEnd(nextBucket: next)
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
            // 3. The segments found, and their records requested. Not the texts, whose position is in the
            // record: the lookup starts fetching those (``CardAttributes/prefetchTexts()``), and the rest of
            // the validation runs meanwhile.
            for index in 0..<count {
                let lookup = lookups[index]
                var segment = lookup.first
                if lookup.end != 0 {
                    // By halving, without branches: the window's lines were requested in step 2, so here a
                    // probe waits for none, and five probes cost less than counting twenty segments. The
                    // comparison is the borrow of a wrapping subtraction (both words are below 2^50): written
                    // as a choice, it compiled to a branch, mispredicted about every other probe (perf
                    // annotate: a third of this function's time).
                    let offset = min(prefixes[index], CardDirectory.prefixSpace - 1) % CardDirectory.bucketWidth
                    let beyond = (offset + 1) << 32
                    var candidates = lookup.end &- segment
                    while candidates > 1 {
                        let half = candidates &>> 1
                        let below = Int(truncatingIfNeeded: (segments[segment &+ half] &- beyond) &>> 63)
                        segment &+= half & (0 &- below)
                        candidates &-= half
                    }
                }
                let record = UInt32(truncatingIfNeeded: segments[segment])
                if record != CardDirectory.noAttributes { cardcheck_prefetch(records + Int(record)) }
                // A prefix out of range keeps its prefix bits all ones: its finding matches no PAN.
                let key = findingKey | min(prefixes[index], prefixMask)
                (found + index).initialize(to: Found(key: key, segment: UInt32(truncatingIfNeeded: segment)))
            }
        }
    }

    /// The first eleven digits of a PAN's ASCII digits as one number, as ``lookAhead(prefixes:found:)`` takes
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
