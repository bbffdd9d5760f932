import Synchronization

/// Finds what is known about a PAN (brand, lengths, issuer data) from its first eleven digits, compiled once
/// from the built-in ranges and an optional range file.
///
/// Rule: the most specific range wins: the longest prefix, then the narrowest range, then a file's range
/// over a built-in one; a legacy brand never wins, it is carried beside the live brand that does.
///
/// Compilation flattens every range onto the space of 11-digit prefixes as disjoint segments (a sweep over
/// range starts with a heap of the open ranges: O(n log n)), then indexes the segments by their first six
/// digits in two levels (4 digits, then the last two where a 4-digit block is mixed): a block inside one
/// segment, as nearly every block is without a large file, is answered from the first level's entry; a
/// mixed 6-digit block by halving only its own segments down to ``scanWidth`` and counting the rest.
/// Lookups never allocate; a batch's lookups can be done ahead (``lookAhead(prefixes:found:)``).
// @unchecked: everything is written once in init and only read afterwards, from any thread.
public final class CardDirectory: @unchecked Sendable {
    /// The built-in brands and ranges alone.
    public static let standard: CardDirectory = {
        do {
            return try CardDirectory(brands: BuiltInCardData.catalog, builtIn: BuiltInCardData.ranges, file: nil)
        } catch {
            fatalError("data/ranges.csv is inconsistent: \(error)")
        }
    }()

    @usableFromInline static let prefixDigits = 11
    @usableFromInline static let prefixSpace: UInt64 = 100_000_000_000
    @usableFromInline static let bucketCount = 1_000_000  // one per 6-digit prefix
    @usableFromInline static let bucketWidth: UInt64 = 100_000
    /// Set on a bucket whose 6-digit block lies inside one segment: its entry is that segment.
    @usableFromInline static let uniformBucket: UInt32 = 0x8000_0000
    /// Set on a bucket whose segment starts exactly at the block's first prefix (so it is not one of the
    /// previous block's segments).
    @usableFromInline static let segmentStartsBlock: UInt32 = 0x4000_0000
    @usableFromInline static let segmentIndexMask: UInt32 = 0x3FFF_FFFF
    /// Buckets per 4-digit block: the index's first level has one entry per 4-digit prefix.
    @usableFromInline static let bucketsPerBlock = 100
    /// Set on a 4-digit block's entry when its 100 buckets are uniform with one segment: the entry is that
    /// segment, flagged ``segmentStartsBlock`` when the segment starts at the block's first prefix (which
    /// only its first bucket can see). Otherwise the entry is the number of the block's bucket table.
    @usableFromInline static let uniformBlock: UInt32 = 0x8000_0000
    @usableFromInline static let noAttributes: UInt32 = .max
    /// A block's segments are searched by halving down to this many, which are then counted: four cache
    /// lines of segments, read at once.
    @usableFromInline static let scanWidth = 32
    /// A PAN's first eleven digits, by its length: constant divisors, which compile to multiplications.
    @inlinable static func prefix11(_ pan: PAN) -> UInt64 {
        switch pan.length {
        case 12: pan.value / 10
        case 13: pan.value / 100
        case 14: pan.value / 1_000
        case 15: pan.value / 10_000
        case 16: pan.value / 100_000
        case 17: pan.value / 1_000_000
        case 18: pan.value / 10_000_000
        default: pan.value / 100_000_000
        }
    }

    /// Every brand the ranges may name: the built-in ones and any a brands file declared.
    public let brands: BrandCatalog
    /// Rows of the range file (0 without one), and of the built-in table.
    public let fileRangeCount: Int
    public let builtInRangeCount: Int
    /// Each segment's start within its 6-digit block and its record, packed in one word (offset << 32 |
    /// record): a search compares whole words, and its last load also gives the record. Half the size of
    /// a start and record side by side, so a search over a block's segments touches half the cache lines.
    @usableFromInline let segments: UnsafeMutablePointer<UInt64>
    public let segmentCount: Int
    /// The buckets, in two levels. A bucket (per 6-digit prefix) is the index of the segment holding its
    /// first prefix, with the flags ``uniformBucket`` and ``segmentStartsBlock``. `blocks` has an entry per
    /// 4-digit prefix (and one past the last): where all 100 buckets of a 4-digit block are uniform with
    /// one segment, the entry says so (``uniformBlock``) and no bucket is stored; otherwise it numbers the
    /// block's table of 100 buckets in `bucketTables`. Without a large range file nearly every block is
    /// uniform: the 40 KB first level stays cached, where a flat table of 1,000,000 buckets (4 MB) made
    /// each lookup miss (perf: 8% of the daemon's time, all on the bucket's load).
    @usableFromInline let blocks: UnsafeMutablePointer<UInt32>
    @usableFromInline let bucketTables: UnsafeMutablePointer<UInt32>
    /// Whether a lookup's tables outgrow the caches, so that a batch's lookups are best fetched ahead
    /// (``lookAhead(prefixes:found:)``): more than 1 MiB of bucket tables, segments and records (about a core's L2).
    public let fetchesAhead: Bool
    /// The records, as a pointer so that a lookup has no bounds check: 16 bytes each, four to a cache line
    /// in a table aligned to them, so that none straddles two.
    @usableFromInline let records: UnsafeMutablePointer<CardRecord>
    /// This directory's serial number, above a finding's prefix bits (``Found``): the directories a process
    /// compiles (one per reload) are numbered in turn, so that a finding names the one that made it.
    @usableFromInline let findingKey: UInt64
    private static let serials = Atomic<UInt64>(0)

    /// Compiles `builtIn` and `file` (whose ranges win over built-in ones as specific as theirs).
    public init(brands: BrandCatalog, builtIn: RangeFile, file: RangeFile?) throws(CardDataError) {
        self.brands = brands
        // 27 bits of serial: a finding outlives no more than a batch, not 2^27 reloads.
        findingKey =
            (CardDirectory.serials.wrappingAdd(1, ordering: .relaxed).newValue & (1 << 27 - 1))
            << CardDirectory.findingPrefixBits
        builtInRangeCount = builtIn.ranges.count
        fileRangeCount = file?.ranges.count ?? 0
        let sweep = try Sweep(sources: [builtIn] + (file.map { [$0] } ?? []))
        segmentCount = sweep.segments.count
        precondition(segmentCount <= Int(CardDirectory.segmentIndexMask), "more segments than a bucket can index")
        segments = LargeTable.allocate(UInt64.self, capacity: segmentCount)
        records = LargeTable.allocate(CardRecord.self, capacity: max(1, sweep.records.count))
        records.initialize(from: sweep.records, count: sweep.records.count)

        // Bucket b: the segment holding b * width, flagged uniform when the next segment starts beyond the
        // block, and flagged when that segment starts exactly at the block's first prefix. Each segment's
        // start is kept as its offset in the block it starts in.
        var flat = [UInt32](repeating: 0, count: CardDirectory.bucketCount + 1)
        var segment = 0
        for bucket in 0...CardDirectory.bucketCount {
            let first = UInt64(bucket) * CardDirectory.bucketWidth
            while segment + 1 < segmentCount && sweep.segments[segment + 1].start <= first { segment += 1 }
            let nextStart = segment + 1 < segmentCount ? sweep.segments[segment + 1].start : CardDirectory.prefixSpace
            let uniform = nextStart >= first + CardDirectory.bucketWidth
            let startsBlock = sweep.segments[segment].start == first
            flat[bucket] =
                UInt32(segment) | (uniform ? CardDirectory.uniformBucket : 0)
                | (startsBlock ? CardDirectory.segmentStartsBlock : 0)
        }
        // The two levels: a 4-digit block whose buckets are uniform with one segment is its entry alone.
        let blockCount = CardDirectory.bucketCount / CardDirectory.bucketsPerBlock
        var tables: [UInt32] = []
        blocks = LargeTable.allocate(UInt32.self, capacity: blockCount + 1)
        for block in 0...blockCount {
            let start = block * CardDirectory.bucketsPerBlock
            let buckets = flat[start..<min(flat.count, start + CardDirectory.bucketsPerBlock)]
            let head = flat[start]
            let sameSegment = buckets.allSatisfy {
                $0 & ~CardDirectory.segmentStartsBlock == head & ~CardDirectory.segmentStartsBlock
            }
            if sameSegment && head & CardDirectory.uniformBucket != 0 {
                (blocks + block).initialize(
                    to: CardDirectory.uniformBlock | head
                        & (CardDirectory.segmentIndexMask | CardDirectory.segmentStartsBlock)
                )
            } else {
                (blocks + block).initialize(to: UInt32(tables.count / CardDirectory.bucketsPerBlock))
                tables += buckets
            }
        }
        bucketTables = LargeTable.allocate(UInt32.self, capacity: max(1, tables.count))
        bucketTables.initialize(from: tables, count: tables.count)
        let tableBytes = tables.count * 4 + segmentCount * 8 + sweep.records.count * MemoryLayout<CardRecord>.stride
        fetchesAhead = tableBytes > 1 << 20
        for (index, item) in sweep.segments.enumerated() {
            let offset = item.start % CardDirectory.bucketWidth
            (segments + index).initialize(to: offset << 32 | UInt64(item.record))
        }
    }

    deinit {
        LargeTable.deallocate(segments)
        LargeTable.deallocate(blocks)
        LargeTable.deallocate(bucketTables)
        LargeTable.deallocate(records)
    }

    /// What the most specific range says about `pan`; `nil` when no range covers it.
    @inlinable public func attributes(of pan: PAN) -> CardAttributes? {
        record(at: segment(bucket: Int(pan.prefix8 / 100), prefix11: CardDirectory.prefix11(pan)))
    }

    /// The record of segment `index`, if it has one.
    @inlinable @inline(__always) func record(at index: Int) -> CardAttributes? {
        let record = UInt32(truncatingIfNeeded: segments[index])
        return record == CardDirectory.noAttributes ? nil : CardAttributes(record: records[Int(record)])
    }

    /// Bucket `bucket` (a 6-digit prefix, up to ``bucketCount`` inclusive), from its 4-digit block's entry.
    @inlinable @inline(__always) func bucket(_ bucket: Int) -> UInt32 {
        let (entry, position, stored) = bucketSlot(bucket)
        if let stored { return stored.pointee }
        // Uniform: every bucket names the block's segment; only the first can start with it.
        let segment = entry & CardDirectory.segmentIndexMask
        let starts = position == 0 ? entry & CardDirectory.segmentStartsBlock : 0
        return segment | CardDirectory.uniformBucket | starts
    }

    /// Where bucket `bucket` is: its 4-digit block's entry, its position in the block, and its slot in the
    /// block's bucket table (nil for a uniform block, whose entry stands for all its buckets).
    @inlinable @inline(__always) func bucketSlot(
        _ bucket: Int
    ) -> (entry: UInt32, position: Int, stored: UnsafeMutablePointer<UInt32>?) {
        // Unsigned: a division by a constant is then a multiplication and a shift, with no sign fix-up.
        let (block, position) = UInt(bitPattern: bucket).quotientAndRemainder(
            dividingBy: UInt(CardDirectory.bucketsPerBlock)
        )
        let entry = blocks[Int(bitPattern: block)]
        guard entry & CardDirectory.uniformBlock == 0 else { return (entry, Int(bitPattern: position), nil) }
        let slot = bucketTables + (Int(entry) &* CardDirectory.bucketsPerBlock &+ Int(bitPattern: position))
        return (entry, Int(bitPattern: position), slot)
    }

    /// The segment holding the 11-digit prefix `prefix11`, which lies in 6-digit block `bucket` (an
    /// autoclosure: a uniform block, nearly every one without a large file, needs no prefix and no division).
    @inlinable @inline(__always) func segment(bucket: Int, prefix11: @autoclosure () -> UInt64) -> Int {
        let entry = self.bucket(bucket)
        let found = Int(entry & CardDirectory.segmentIndexMask)
        guard entry & CardDirectory.uniformBucket == 0 else { return found }
        let offset = prefix11() - UInt64(bucket) * CardDirectory.bucketWidth
        return segment(at: offset, from: found, to: blockEnd(after: bucket))
    }

    /// The last segment starting at or before `offset` (a prefix's offset in its 6-digit block) among a
    /// mixed block's segments: `found`, which holds the block's first prefix, and those after it that start
    /// inside the block, up to `high` (exclusive; ``blockEnd(after:)``).
    @inlinable @inline(__always) func segment(at offset: UInt64, from found: Int, to high: Int) -> Int {
        var (found, high) = (found, high)
        let beyond = (offset + 1) << 32  // a segment starting at or before `offset` packs below it
        while high - found > CardDirectory.scanWidth {
            let middle = (found + high) / 2
            if segments[middle] < beyond { found = middle } else { high = middle }
        }
        // The last few by counting those that start at or before `offset` (they are sorted): the loads do
        // not depend on one another, so the window's cache lines are fetched together, where a binary
        // search waits for each probe before the next.
        var starting = 0
        var index = found + 1
        while index < high {
            starting &+= segments[index] < beyond ? 1 : 0
            index &+= 1
        }
        return found &+ starting
    }

    /// One past the last segment that starts inside block `bucket`: the segment holding the next block's
    /// first prefix, or the one after it when that one starts exactly there.
    @inlinable @inline(__always) func blockEnd(after bucket: Int) -> Int {
        CardDirectory.blockEnd(nextBucket: self.bucket(bucket + 1))
    }

    /// ``blockEnd(after:)`` from the next bucket's value.
    @inlinable @inline(__always) static func blockEnd(nextBucket next: UInt32) -> Int {
        Int(next & CardDirectory.segmentIndexMask) &+ (next & CardDirectory.segmentStartsBlock == 0 ? 1 : 0)
    }

    /// The brand of `pan`, if any range covers it.
    @inlinable public func brand(of pan: PAN) -> Brand? { attributes(of: pan)?.brand }

    /// The segments, for tests: the start of each 11-digit-prefix segment and its data.
    public var segmentList: [(start: UInt64, attributes: CardAttributes?)] {
        var starts = [UInt64](repeating: 0, count: segmentCount)
        for bucket in 0..<CardDirectory.bucketCount {
            let entry = self.bucket(bucket)
            let first = Int(entry & CardDirectory.segmentIndexMask)
            let blockStart = UInt64(bucket) * CardDirectory.bucketWidth
            if entry & CardDirectory.segmentStartsBlock != 0 { starts[first] = blockStart }
            let high = blockEnd(after: bucket)
            for index in (first + 1)..<max(first + 1, high) { starts[index] = blockStart + segments[index] >> 32 }
        }
        return (0..<segmentCount).map { index in
            let record = UInt32(truncatingIfNeeded: segments[index])
            return (
                starts[index],
                record == CardDirectory.noAttributes ? nil : CardAttributes(record: records[Int(record)])
            )
        }
    }

    /// A segment as the sweep makes it.
    struct Segment {
        var start: UInt64
        var record: UInt32
    }

    /// Flattens ranges onto disjoint segments of the 11-digit prefix space.
    struct Sweep {
        var segments: [Segment] = []
        var records: [CardRecord] = []

        struct Span {
            var start: UInt64
            var end: UInt64  // exclusive
            var digits: UInt8
            var source: UInt8
            var attributes: UInt32  // index into the flattened sources' attribute sets
            var line: UInt32
        }

        /// Higher wins: more digits, then narrower, then the later source (a file over the built-in table).
        static func beats(_ a: Span, _ b: Span) -> Bool {
            if a.digits != b.digits { return a.digits > b.digits }
            let widthA = a.end - a.start
            let widthB = b.end - b.start
            if widthA != widthB { return widthA < widthB }
            if a.source != b.source { return a.source > b.source }
            return a.attributes < b.attributes
        }

        init(sources: [RangeFile]) throws(CardDataError) {
            var sets: [CardRecord] = []
            var spans: [Span] = []
            spans.reserveCapacity(sources.reduce(0) { $0 + $1.ranges.count })
            for (sourceIndex, source) in sources.enumerated() {
                let offset = UInt32(sets.count)
                sets += source.records
                for range in source.ranges {
                    var scale: UInt64 = 1
                    for _ in Int(range.digits)..<CardDirectory.prefixDigits { scale *= 10 }
                    spans.append(
                        Span(
                            start: range.low * scale,
                            end: (range.high + 1) * scale,
                            digits: range.digits,
                            source: UInt8(sourceIndex),
                            attributes: offset + range.attributes,
                            line: range.line
                        )
                    )
                }
            }
            spans.sort { $0.start < $1.start }
            let registry = CardDataRegistry.shared
            let isLegacy = sets.map { registry.brands[Int($0.brand)].isLegacy }
            try CardDirectory.checkConflicts(spans, sets: sets, sources: sources)

            var live = SpanHeap(spans: spans)
            var legacy = SpanHeap(spans: spans)
            // A live set alone -> its index in attributeSets; (live set, legacy set) pairs, which only the
            // few legacy rows make, in a dictionary. Equal segments share one object.
            var alone = [UInt32](repeating: CardDirectory.noAttributes, count: sets.count)
            var combined: [UInt64: UInt32] = [:]
            var position: UInt64 = 0
            var next = 0
            while position < CardDirectory.prefixSpace {
                while next < spans.count && spans[next].start <= position {
                    if isLegacy[Int(spans[next].attributes)] { legacy.push(next) } else { live.push(next) }
                    next += 1
                }
                live.dropEnded(at: position)
                legacy.dropEnded(at: position)
                var record = CardDirectory.noAttributes
                if let top = live.top {
                    let liveSet = spans[top].attributes
                    if let legacyTop = legacy.top {
                        let legacySet = spans[legacyTop].attributes
                        let key = UInt64(liveSet) << 32 | UInt64(legacySet)
                        if let known = combined[key] {
                            record = known
                        } else {
                            record = UInt32(records.count)
                            combined[key] = record
                            var withLegacy = sets[Int(liveSet)]
                            withLegacy.texts = registry.intern(
                                withLegacy.texts,
                                legacyBrand: sets[Int(legacySet)].brand
                            )
                            records.append(withLegacy)
                        }
                    } else if alone[Int(liveSet)] != CardDirectory.noAttributes {
                        record = alone[Int(liveSet)]
                    } else {
                        record = UInt32(records.count)
                        alone[Int(liveSet)] = record
                        records.append(sets[Int(liveSet)])
                    }
                }
                if segments.last?.record != record { segments.append(Segment(start: position, record: record)) }
                // The winner can change only where a range starts or where a winner ends.
                var following = next < spans.count ? spans[next].start : CardDirectory.prefixSpace
                if let top = live.top { following = min(following, spans[top].end) }
                if let top = legacy.top { following = min(following, spans[top].end) }
                position = following
            }
        }
    }

    /// Ranges of one file that overlap with equal specificity (digits and width) and different data: the
    /// directory could not choose between them. With the spans in start order, each is compared with the
    /// furthest-reaching earlier span of its file and specificity.
    fileprivate static func checkConflicts(
        _ spans: [Sweep.Span],
        sets: [CardRecord],
        sources: [RangeFile]
    ) throws(CardDataError) {
        var furthest: [UInt64: Int] = [:]
        for (index, span) in spans.enumerated() {
            let key = UInt64(span.source) << 60 | UInt64(span.digits) << 52 | (span.end - span.start)
            guard let earlier = furthest[key] else {
                furthest[key] = index
                continue
            }
            let other = spans[earlier]
            if other.end > span.start && sets[Int(other.attributes)] != sets[Int(span.attributes)] {
                let source = sources[Int(span.source)]
                func text(_ span: Sweep.Span) -> String {
                    let range = source.ranges.first { $0.line == span.line }
                    return range?.text ?? "?"
                }
                let (first, second) = other.line < span.line ? (other, span) : (span, other)
                throw CardDataError(
                    file: source.file,
                    line: Int(second.line),
                    message: "range \(text(second)) overlaps \(text(first)) of line \(first.line), equally specific, "
                        + "with different data"
                )
            }
            if span.end > other.end { furthest[key] = index }
        }
    }

    /// A max-heap of span indices by ``Sweep/beats(_:_:)``; ended spans leave lazily, when they reach the top.
    struct SpanHeap {
        let spans: [Sweep.Span]
        var items: [Int] = []

        init(spans: [Sweep.Span]) { self.spans = spans }

        var top: Int? { items.first }

        mutating func push(_ span: Int) {
            items.append(span)
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard Sweep.beats(spans[items[child]], spans[items[parent]]) else { break }
                items.swapAt(child, parent)
                child = parent
            }
        }

        mutating func dropEnded(at position: UInt64) {
            while let top = items.first, spans[top].end <= position { pop() }
        }

        mutating func pop() {
            items.swapAt(0, items.count - 1)
            items.removeLast()
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var best = parent
                if left < items.count && Sweep.beats(spans[items[left]], spans[items[best]]) { best = left }
                if right < items.count && Sweep.beats(spans[items[right]], spans[items[best]]) { best = right }
                if best == parent { return }
                items.swapAt(parent, best)
                parent = best
            }
        }
    }
}

extension CardDirectory {
    /// A file's name (for messages) and its bytes.
    public typealias FileContents = (name: String, bytes: [UInt8])

    /// The built-in data extended by a brands file and a range file, either optional: what the daemon's
    /// `brands =` and `ranges =` and the command's `--brands` and `--ranges` load. Without either, the
    /// shared ``standard`` directory.
    public static func compile(
        brandsFile: FileContents?,
        rangesFile: FileContents?
    ) throws(CardDataError) -> CardDirectory {
        guard brandsFile != nil || rangesFile != nil else { return .standard }
        var catalog = BuiltInCardData.catalog
        if let brandsFile {
            let base = catalog
            catalog = try withBytes(brandsFile.bytes) { bytes throws(CardDataError) in
                try CardDataFile.brands(bytes, file: brandsFile.name, extending: base)
            }
        }
        var ranges: RangeFile?
        if let rangesFile {
            let brands = catalog
            ranges = try withBytes(rangesFile.bytes) { bytes throws(CardDataError) in
                try CardDataFile.ranges(bytes, file: rangesFile.name, brands: brands)
            }
        }
        return try CardDirectory(brands: catalog, builtIn: BuiltInCardData.ranges, file: ranges)
    }

    /// `withUnsafeBytes` with the parsers' typed error.
    static func withBytes<T>(
        _ bytes: [UInt8],
        _ body: (UnsafeRawBufferPointer) throws(CardDataError) -> T
    ) throws(CardDataError) -> T {
        try bytes.withUnsafeBytes { raw in Result { () throws(CardDataError) in try body(raw) } }.get()
    }

    /// Brands declared beyond the built-in ones.
    public var declaredBrandCount: Int { brands.brands.count - BuiltInCardData.catalog.brands.count }
}
