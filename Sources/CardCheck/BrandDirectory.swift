/// Finds the brand of a PAN from its first eight digits, compiled once from a list of ``IINRange``s.
///
/// Rule: the longest matching prefix wins; among equally long prefixes the narrower range wins. Compilation
/// flattens every range onto the space of 8-digit prefixes as disjoint segments, and keeps a direct table
/// over the first four digits so that most lookups are one array read; only the four-digit prefixes that
/// several segments share fall back to a binary search. Lookups never allocate.
public final class BrandDirectory: Sendable {
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

    private static let prefixSpace: UInt32 = 100_000_000  // all 8-digit prefixes
    private static let directDivisor: UInt32 = 10_000  // 8-digit prefix -> its first 4 digits
    private static let searchMarker: UInt8 = 0xFF

    public let ranges: [IINRange]
    /// Start of each disjoint segment (ascending, first is 0) and the brand raw value over it (0 = none).
    private let segmentStarts: [UInt32]
    private let segmentBrands: [UInt8]
    /// Brand raw value per 4-digit prefix, or `searchMarker` when several segments share the prefix.
    private let direct: [UInt8]

    public init(ranges: [IINRange]) {
        self.ranges = ranges
        // Every range as a half-open interval of 8-digit prefixes, with its precedence.
        struct Span { var start: UInt32; var end: UInt32; var digits: Int; var width: UInt32; var brand: UInt8 }
        let spans = ranges.map { range -> Span in
            var scale: UInt32 = 1
            for _ in range.digits..<IINRange.maximumDigits { scale *= 10 }
            return Span(start: range.low * scale, end: (range.high + 1) * scale, digits: range.digits,
                        width: range.high - range.low, brand: range.brand.rawValue)
        }
        let boundaries = Set(spans.flatMap { [$0.start, $0.end] } + [0, BrandDirectory.prefixSpace]).sorted()
        var starts: [UInt32] = []
        var brands: [UInt8] = []
        for (start, end) in zip(boundaries, boundaries.dropFirst()) {
            let best = spans.filter { $0.start <= start && end <= $0.end }
                .max { ($0.digits, -Int($0.width)) < ($1.digits, -Int($1.width)) }
            let brand = best?.brand ?? 0
            if brands.last != brand {
                starts.append(start)
                brands.append(brand)
            }
        }
        segmentStarts = starts
        segmentBrands = brands

        var direct = [UInt8](repeating: 0, count: Int(BrandDirectory.prefixSpace / BrandDirectory.directDivisor))
        for prefix4 in direct.indices {
            let first = UInt32(prefix4) * BrandDirectory.directDivisor
            let index = BrandDirectory.segmentIndex(of: first, in: starts)
            let nextStart = index + 1 < starts.count ? starts[index + 1] : BrandDirectory.prefixSpace
            direct[prefix4] = nextStart >= first + BrandDirectory.directDivisor ? brands[index] : BrandDirectory.searchMarker
        }
        self.direct = direct
    }

    /// The brand of a PAN whose first eight digits, read as a number, are `prefix8`.
    @inlinable public func brand(prefix8: UInt32) -> Brand? {
        Brand(rawValue: brandRawValue(prefix8: prefix8))
    }

    @usableFromInline func brandRawValue(prefix8: UInt32) -> UInt8 {
        guard prefix8 < BrandDirectory.prefixSpace else { return 0 }
        let fast = direct[Int(prefix8 / BrandDirectory.directDivisor)]
        if fast != BrandDirectory.searchMarker { return fast }
        return segmentBrands[BrandDirectory.segmentIndex(of: prefix8, in: segmentStarts)]
    }

    /// The brand of a PAN.
    @inlinable public func brand(of pan: PAN) -> Brand? {
        brand(prefix8: pan.prefix8)
    }

    /// Index of the last segment starting at or before `value`.
    private static func segmentIndex(of value: UInt32, in starts: [UInt32]) -> Int {
        var low = 0
        var high = starts.count  // invariant: starts[low] <= value, answer in low..<high
        while high - low > 1 {
            let mid = (low + high) / 2
            if starts[mid] <= value { low = mid } else { high = mid }
        }
        return low
    }
}
