/// Finds what is known about a PAN (brand, lengths, issuer data) from its first eleven digits, compiled once
/// from the built-in ranges and an optional range file.
///
/// Rule: the most specific range wins: the longest prefix, then the narrowest range, then a file's range
/// over a built-in one; a legacy brand never wins, it is carried beside the live brand that does.
///
/// Compilation flattens every range onto the space of 11-digit prefixes as disjoint segments (a sweep over
/// range starts with a heap of the open ranges: O(n log n)), then indexes the segments by their first six
/// digits: a 6-digit block inside one segment, as nearly every block is without a large file, is answered
/// by one load; a mixed block by halving only its own segments down to ``scanWidth`` and counting the
/// rest. Lookups never allocate.
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
    /// Per 6-digit block: the index of the segment holding the block's first prefix, with the flags
    /// ``uniformBucket`` and ``segmentStartsBlock``.
    @usableFromInline let buckets: UnsafeMutablePointer<UInt32>
    /// The records, as a pointer so that a lookup has no bounds check: 16 bytes each, four to a cache line
    /// in a table aligned to them, so that none straddles two.
    @usableFromInline let records: UnsafeMutablePointer<CardRecord>

    /// Compiles `builtIn` and `file` (whose ranges win over built-in ones as specific as theirs).
    public init(brands: BrandCatalog, builtIn: RangeFile, file: RangeFile?) throws(CardDataError) {
        self.brands = brands
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
        buckets = LargeTable.allocate(UInt32.self, capacity: CardDirectory.bucketCount + 1)
        var segment = 0
        for bucket in 0...CardDirectory.bucketCount {
            let first = UInt64(bucket) * CardDirectory.bucketWidth
            while segment + 1 < segmentCount && sweep.segments[segment + 1].start <= first { segment += 1 }
            let nextStart = segment + 1 < segmentCount ? sweep.segments[segment + 1].start : CardDirectory.prefixSpace
            let uniform = nextStart >= first + CardDirectory.bucketWidth
            let startsBlock = sweep.segments[segment].start == first
            (buckets + bucket).initialize(
                to: UInt32(segment) | (uniform ? CardDirectory.uniformBucket : 0)
                    | (startsBlock ? CardDirectory.segmentStartsBlock : 0)
            )
        }
        for (index, item) in sweep.segments.enumerated() {
            let offset = item.start % CardDirectory.bucketWidth
            (segments + index).initialize(to: offset << 32 | UInt64(item.record))
        }
    }

    deinit {
        LargeTable.deallocate(segments)
        LargeTable.deallocate(buckets)
        LargeTable.deallocate(records)
    }

    /// What the most specific range says about `pan`; `nil` when no range covers it.
    @inlinable public func attributes(of pan: PAN) -> CardAttributes? {
        let bucket = Int(pan.prefix8 / 100)
        let entry = buckets[bucket]
        var found = Int(entry & CardDirectory.segmentIndexMask)
        if entry & CardDirectory.uniformBucket == 0 {
            // The last segment starting at or before the PAN's first eleven digits, among those starting
            // inside this block (after `found`, which holds the block's first prefix, and before the segment
            // holding the next block's first prefix, or up to it when that one starts inside this block).
            let offset = CardDirectory.prefix11(pan) - UInt64(bucket) * CardDirectory.bucketWidth
            let next = buckets[bucket + 1]
            var high =  // exclusive
                Int(next & CardDirectory.segmentIndexMask) + (next & CardDirectory.segmentStartsBlock == 0 ? 1 : 0)
            let beyond = (offset + 1) << 32  // a segment starting at or before `offset` packs below it
            while high - found > CardDirectory.scanWidth {
                let middle = (found + high) / 2
                if segments[middle] < beyond { found = middle } else { high = middle }
            }
            // The last few by counting those that start at or before `offset` (they are sorted): the loads
            // do not depend on one another, so the window's cache lines are fetched together, where a
            // binary search waits for each probe before the next.
            var starting = 0
            var index = found + 1
            while index < high {
                starting &+= segments[index] < beyond ? 1 : 0
                index &+= 1
            }
            found &+= starting
        }
        let index = UInt32(truncatingIfNeeded: segments[found])
        return index == CardDirectory.noAttributes ? nil : CardAttributes(record: records[Int(index)])
    }

    /// The brand of `pan`, if any range covers it.
    @inlinable public func brand(of pan: PAN) -> Brand? { attributes(of: pan)?.brand }

    /// The segments, for tests: the start of each 11-digit-prefix segment and its data.
    public var segmentList: [(start: UInt64, attributes: CardAttributes?)] {
        var starts = [UInt64](repeating: 0, count: segmentCount)
        for bucket in 0..<CardDirectory.bucketCount {
            let entry = buckets[bucket]
            let next = buckets[bucket + 1]
            let first = Int(entry & CardDirectory.segmentIndexMask)
            let blockStart = UInt64(bucket) * CardDirectory.bucketWidth
            if entry & CardDirectory.segmentStartsBlock != 0 { starts[first] = blockStart }
            let high =
                Int(next & CardDirectory.segmentIndexMask) + (next & CardDirectory.segmentStartsBlock == 0 ? 1 : 0)
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
