/// Finds the brand of a PAN from its first eight digits, compiled once from a list of ``IINRange``s.
///
/// Rule: the longest matching prefix wins; among equally long prefixes the narrower range wins. Compilation
/// flattens every range onto the space of 8-digit prefixes as disjoint segments, then into a three-level
/// radix table over digits 1-4, 5-6 and 7-8: a prefix block that one brand covers whole is answered at
/// its level, and only mixed blocks get a finer one. A lookup is at most three dependent loads, with no
/// search and no data-dependent loop. Lookups never allocate.
// @unchecked: the table is written once in init and only read afterwards, from any thread.
public final class BrandDirectory: @unchecked Sendable {
    /// The directory of ``BrandTable``, compiled on first use.
    public static let standard: BrandDirectory = {
        do {
            var ranges: [IINRange] = []
            for entry in BrandTable.entries { ranges += try IINRange.parse(entry.prefixes, brand: entry.brand) }
            return BrandDirectory(ranges: ranges)
        } catch {
            fatalError("BrandTable is malformed: \(error)")
        }
    }()

    @usableFromInline static let prefixSpace: UInt32 = 100_000_000  // all 8-digit prefixes
    @usableFromInline static let firstLevelCount = 10_000  // one entry per 4-digit prefix
    @usableFromInline static let blockSize = 100  // a finer block splits its prefix by two more digits
    /// An entry with this bit set points to a finer block: `(entry ^ finer) * blockSize` past the first level.
    @usableFromInline static let finer: UInt16 = 0x8000

    public let ranges: [IINRange]
    /// The radix table: 10,000 first-level entries, then the finer blocks. An entry is a brand raw value
    /// (0 = none) or `finer | block`. A pointer owned by this object, so the lookup has no bounds check.
    @usableFromInline let table: UnsafeMutablePointer<UInt16>
    @usableFromInline let tableCount: Int
    /// The brand of each raw value (256 entries; index 0: none): a lookup ends in a load, not a conversion.
    @usableFromInline let brandOfRawValue: UnsafeMutablePointer<Brand?>

    public init(ranges: [IINRange]) {
        self.ranges = ranges
        let segments = Segments(ranges)
        // Level by level: an entry covers `width` prefixes starting at `first`.
        var entries = [UInt16](repeating: 0, count: BrandDirectory.firstLevelCount)
        func fill(_ index: Int, first: UInt32, width: UInt32) {
            if let brand = segments.uniformBrand(from: first, count: width) {
                entries[index] = UInt16(brand)
                return
            }
            let block = (entries.count - BrandDirectory.firstLevelCount) / BrandDirectory.blockSize
            precondition(block < Int(BrandDirectory.finer), "brand table too fragmented")
            entries[index] = BrandDirectory.finer | UInt16(block)
            let start = entries.count
            entries += [UInt16](repeating: 0, count: BrandDirectory.blockSize)
            let subWidth = width / UInt32(BrandDirectory.blockSize)
            for digit in 0..<BrandDirectory.blockSize {
                fill(start + digit, first: first + UInt32(digit) * subWidth, width: subWidth)
            }
        }
        for prefix4 in 0..<BrandDirectory.firstLevelCount {
            fill(prefix4, first: UInt32(prefix4) * 10_000, width: 10_000)
        }
        tableCount = entries.count
        table = .allocate(capacity: entries.count)
        table.initialize(from: entries, count: entries.count)
        brandOfRawValue = .allocate(capacity: 256)
        for rawValue in 0...UInt8.max { (brandOfRawValue + Int(rawValue)).initialize(to: Brand(rawValue: rawValue)) }
    }

    deinit {
        table.deallocate()
        brandOfRawValue.deallocate()
    }

    /// The brand of a PAN whose first eight digits, read as a number, are `prefix8`.
    @inlinable public func brand(prefix8: UInt32) -> Brand? {
        guard prefix8 < BrandDirectory.prefixSpace else { return nil }
        var entry = table[Int(prefix8 / 10_000)]
        if entry & BrandDirectory.finer != 0 {
            entry = table[BrandDirectory.blockStart(entry) + Int(prefix8 / 100 % 100)]
            if entry & BrandDirectory.finer != 0 {
                entry = table[BrandDirectory.blockStart(entry) + Int(prefix8 % 100)]
            }
        }
        return brandOfRawValue[Int(entry & 0xFF)]
    }

    @inlinable static func blockStart(_ entry: UInt16) -> Int {
        firstLevelCount + Int(entry ^ finer) * blockSize
    }

    /// The brand of a PAN.
    @inlinable public func brand(of pan: PAN) -> Brand? {
        brand(prefix8: pan.prefix8)
    }

    /// How many table entries the compiled ranges needed (10,000 plus 100 per finer block).
    public var compiledSize: Int { tableCount }

    /// The ranges flattened onto the 8-digit prefixes as disjoint segments, for compilation only.
    struct Segments {
        /// Start of each segment (ascending, first is 0) and the brand raw value over it (0 = none).
        var starts: [UInt32] = []
        var brands: [UInt8] = []

        init(_ ranges: [IINRange]) {
            struct Span {
                var start: UInt32
                var end: UInt32
                var digits: Int
                var width: UInt32
                var brand: UInt8
            }
            let spans = ranges.map { range -> Span in
                var scale: UInt32 = 1
                for _ in range.digits..<IINRange.maximumDigits { scale *= 10 }
                return Span(
                    start: range.low * scale,
                    end: (range.high + 1) * scale,
                    digits: range.digits,
                    width: range.high - range.low,
                    brand: range.brand.rawValue
                )
            }
            let boundaries = Set(spans.flatMap { [$0.start, $0.end] } + [0, BrandDirectory.prefixSpace]).sorted()
            for (start, end) in zip(boundaries, boundaries.dropFirst()) {
                let best = spans.filter { $0.start <= start && end <= $0.end }
                    .max { ($0.digits, -Int($0.width)) < ($1.digits, -Int($1.width)) }
                let brand = best?.brand ?? 0
                if brands.last != brand {
                    starts.append(start)
                    brands.append(brand)
                }
            }
        }

        /// The brand raw value when one segment covers `first ..< first + count`, else `nil`.
        func uniformBrand(from first: UInt32, count: UInt32) -> UInt8? {
            let index = segmentIndex(of: first)
            let nextStart = index + 1 < starts.count ? starts[index + 1] : BrandDirectory.prefixSpace
            return nextStart >= first + count ? brands[index] : nil
        }

        /// Index of the last segment starting at or before `value`.
        func segmentIndex(of value: UInt32) -> Int {
            var low = 0
            var high = starts.count  // invariant: starts[low] <= value, answer in low..<high
            while high - low > 1 {
                let mid = (low + high) / 2
                if starts[mid] <= value { low = mid } else { high = mid }
            }
            return low
        }
    }
}
