/// One IIN prefix range of a brand: the first `digits` digits of a PAN, read as a number, lie in `low...high`.
public struct IINRange: Sendable, Hashable, CustomStringConvertible {
    public var brand: Brand
    public var low: UInt32
    public var high: UInt32
    /// How many leading PAN digits the range speaks about (1 to 8).
    public var digits: Int

    public static let maximumDigits = 8

    public var description: String {
        low == high ? "\(brand.name):\(low)" : "\(brand.name):\(low)-\(high)"
    }

    /// Parses a prefix list such as `"51-55, 2221-2229, 2720"` into ranges of `brand`.
    public static func parse(_ list: String, brand: Brand) throws(BrandTableError) -> [IINRange] {
        var ranges: [IINRange] = []
        for item in list.split(separator: ",") {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
                .map { $0.trimmingASCIIWhitespace() }
            guard bounds.count == 1 || bounds.count == 2,
                let lowText = bounds.first, let highText = bounds.last,
                lowText.count == highText.count,
                (1...maximumDigits).contains(lowText.count),
                lowText.utf8.allSatisfy(\.isASCIIDigit), highText.utf8.allSatisfy(\.isASCIIDigit),
                let low = UInt32(lowText), let high = UInt32(highText), low <= high
            else { throw BrandTableError.malformedPrefix(brand: brand, text: String(item)) }
            ranges.append(IINRange(brand: brand, low: low, high: high, digits: lowText.count))
        }
        return ranges
    }
}

/// A brand table entry that cannot be read.
public enum BrandTableError: Error, Equatable, CustomStringConvertible {
    case malformedPrefix(brand: Brand, text: String)

    public var description: String {
        switch self {
        case let .malformedPrefix(brand, text):
            "brand \(brand.name): prefix '\(text)' is not N or N-M with equally long numbers of 1 to 8 digits"
        }
    }
}

extension Substring {
    func trimmingASCIIWhitespace() -> Substring {
        var slice = self
        while let first = slice.first, first == " " || first == "\n" || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\n" || last == "\t" { slice = slice.dropLast() }
        return slice
    }
}
