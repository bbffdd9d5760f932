/// Street line comparison: digit groups, and normalised words for strict mode. Never allocates.
public enum StreetLine {
    /// Whether the two lines have the same digit groups in the same order (leading zeros ignored), the
    /// way issuers compare addresses: `123 Main St Apt 4` equals `123 Elm Street #4`.
    @inlinable public static func digitGroupsEqual(
        _ left: UnsafeBufferPointer<UInt8>,
        _ right: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        var l = 0
        var r = 0
        while true {
            while l < left.count && !left[l].isASCIIDigit { l &+= 1 }
            while r < right.count && !right[r].isASCIIDigit { r &+= 1 }
            if l == left.count || r == right.count { return l == left.count && r == right.count }
            // Leading zeros do not count, but a group of zeros is still the number 0.
            while left[l] == 0x30 && l &+ 1 < left.count && left[l &+ 1].isASCIIDigit { l &+= 1 }
            while right[r] == 0x30 && r &+ 1 < right.count && right[r &+ 1].isASCIIDigit { r &+= 1 }
            while l < left.count && r < right.count && left[l].isASCIIDigit && right[r].isASCIIDigit {
                guard left[l] == right[r] else { return false }
                l &+= 1
                r &+= 1
            }
            // Both groups must end together.
            if l < left.count && left[l].isASCIIDigit || r < right.count && right[r].isASCIIDigit { return false }
        }
    }

    @inlinable public static func containsDigit(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.contains(where: \.isASCIIDigit)
    }

    /// Whether the two lines have the same words once normalised: case and punctuation ignored, suffixes and
    /// directionals abbreviated (Street = St, Avenue = Ave, North = N, ...), unit designators (Apt, Suite,
    /// Unit) dropped.
    @inlinable public static func wordsEqual(
        _ left: UnsafeBufferPointer<UInt8>,
        _ right: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        var leftWords = Words(left)
        var rightWords = Words(right)
        while true {
            let l = leftWords.next()
            let r = rightWords.next()
            switch (l, r) {
            case (nil, nil): return true
            case let (l?, r?): guard l.isEquivalent(to: r) else { return false }
            default: return false
            }
        }
    }

    /// Up to 16 upper-case letters or digits packed into two words; longer words keep their last 16.
    @usableFromInline struct WordKey: Sendable, Equatable {
        @usableFromInline var high: UInt64 = 0
        @usableFromInline var low: UInt64 = 0
        @usableFromInline var length = 0

        @inlinable init() {}

        /// A table word (letters only, at most 16).
        init(_ text: String) {
            precondition(text.utf8.count <= 16 && text.utf8.allSatisfy(\.isASCIILetter), "bad table word \(text)")
            for byte in text.utf8 { append(byte) }
        }

        @inlinable mutating func append(_ byte: UInt8) {
            high = (high << 8) | (low >> 56)
            low = (low << 8) | UInt64(byte.asciiUppercased)
            length += 1
        }

        /// Whether the key holds the whole word.
        @inlinable var isExact: Bool { length <= 16 }
    }

    /// A word of a street line: its key, its abbreviation group, and its bytes.
    @usableFromInline struct Word {
        @usableFromInline var key = WordKey()
        @usableFromInline var canonical: UInt8 = 0  // 0 = not in the abbreviation table
        @usableFromInline var source: Slice<UnsafeBufferPointer<UInt8>>?

        @inlinable init() {}

        @inlinable func isEquivalent(to other: Word) -> Bool {
            if canonical != 0 || other.canonical != 0 { return canonical == other.canonical }
            guard key == other.key else { return false }
            if key.isExact { return true }
            guard let mine = source, let theirs = other.source else { return false }
            return mine.lazy.filter(Words.isWordByte).map(\.asciiUppercased)
                .elementsEqual(theirs.lazy.filter(Words.isWordByte).map(\.asciiUppercased))
        }
    }

    /// The words of a line; apostrophes and full stops join (`St.` is `ST`, `O'Neil` is `ONEIL`), any other
    /// character that is not a letter or digit separates. Unit designators are skipped.
    @usableFromInline struct Words: IteratorProtocol {
        @usableFromInline let bytes: UnsafeBufferPointer<UInt8>
        @usableFromInline var index = 0

        @inlinable init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        @inlinable mutating func next() -> Word? {
            while true {
                while index < bytes.count && !Words.isWordByte(bytes[index]) { index += 1 }
                guard index < bytes.count else { return nil }
                var word = Word()
                let start = index
                while index < bytes.count, Words.isWordByte(bytes[index]) || Words.isJoiner(bytes[index]) {
                    if Words.isWordByte(bytes[index]) { word.key.append(bytes[index]) }
                    index += 1
                }
                word.source = bytes[start..<index]
                if word.key.length == 0 { continue }
                word.canonical = StreetAbbreviations.canonical(of: word)
                if word.canonical == StreetAbbreviations.ignored { continue }
                return word
            }
        }

        @inlinable static func isWordByte(_ byte: UInt8) -> Bool {
            byte.isASCIIDigit || byte.isASCIILetter || byte >= 0x80
        }
        @inlinable static func isJoiner(_ byte: UInt8) -> Bool { byte == 0x27 || byte == 0x2E }
    }
}

/// The street words that have a usual abbreviation (USPS Publication 28 suffixes and directionals), and
/// the unit designators that strict matching skips.
public enum StreetAbbreviations {
    /// Each group lists the spellings of one word; the first is the canonical abbreviation.
    public static let groups: [[String]] = [
        ["ST", "STREET", "STR"], ["AVE", "AVENUE", "AV", "AVEN"], ["BLVD", "BOULEVARD", "BOUL"],
        ["RD", "ROAD"], ["DR", "DRIVE", "DRV"], ["LN", "LANE"], ["CT", "COURT"], ["PL", "PLACE"],
        ["TER", "TERRACE"], ["PKWY", "PARKWAY", "PKY"], ["HWY", "HIGHWAY"], ["CIR", "CIRCLE"],
        ["SQ", "SQUARE"], ["TRL", "TRAIL"], ["WAY"], ["ALY", "ALLEY"], ["CTR", "CENTER", "CENTRE"],
        ["CRES", "CRESCENT"], ["EXPY", "EXPRESSWAY"], ["FWY", "FREEWAY"], ["HTS", "HEIGHTS"],
        ["MT", "MOUNT"], ["PT", "POINT"], ["RTE", "ROUTE"], ["XING", "CROSSING"], ["PLZ", "PLAZA"],
        ["N", "NORTH"], ["S", "SOUTH"], ["E", "EAST"], ["W", "WEST"],
        ["NE", "NORTHEAST"], ["NW", "NORTHWEST"], ["SE", "SOUTHEAST"], ["SW", "SOUTHWEST"],
        ["PO"], ["BOX"],
    ]
    /// Unit designators: the number after them is compared, the word itself is not.
    public static let unitDesignators: [String] = ["APT", "APARTMENT", "UNIT", "STE", "SUITE", "NO", "NUMBER"]

    @usableFromInline static let ignored: UInt8 = 0xFF

    @usableFromInline static let table: [(key: StreetLine.WordKey, canonical: UInt8)] = {
        var table: [(StreetLine.WordKey, UInt8)] = []
        for (index, group) in groups.enumerated() {
            for spelling in group { table.append((StreetLine.WordKey(spelling), UInt8(index + 1))) }
        }
        for spelling in unitDesignators { table.append((StreetLine.WordKey(spelling), ignored)) }
        return table
    }()

    @inlinable static func canonical(of word: StreetLine.Word) -> UInt8 {
        guard word.key.isExact else { return 0 }
        for entry in table where entry.key == word.key { return entry.canonical }
        return 0
    }
}
