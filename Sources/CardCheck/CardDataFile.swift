/// Reads the two card data files (README.md, "Card data files"): pure functions over bytes, so the engine
/// stays free of I/O; the daemon and the command read the files and name them.
///
/// Both are CSV with a header line, `#` comment lines and blank lines, UTF-8, fields optionally quoted
/// (`"Bank, N.A."`, `""` for a quote). Every error names the file and the line.
public enum CardDataFile {
    public static let rangesHeader = "low,high,brand,lengths,country,funding,product,issuer,networks"
    public static let brandsHeader = "name,csc_name,csc_length,csc_location,luhn"
    /// Optional trailing columns of a brands file, in this order.
    public static let brandsOptionalColumns = ["lengths", "status"]
    /// The longest prefix a range may give: 6- and 8-digit BINs and 9- to 11-digit account ranges.
    public static let maximumPrefixDigits = 11
    /// The most co-badged networks a range may name.
    public static let maximumNetworks = 16

    // MARK: Brands

    /// Parses a brands file: the brands it declares, after `base`'s (it may not redefine one).
    public static func brands(
        _ bytes: UnsafeRawBufferPointer,
        file: String,
        extending base: BrandCatalog
    ) throws(CardDataError) -> BrandCatalog {
        var catalog = base
        var columns = 0
        try forEachLine(bytes, file: file) { (line, number) throws(CardDataError) in
            let fields = try splitFields(line, file: file, line: number)
            if columns == 0 {
                let header = fields.joined(separator: ",")
                let allowed = (0...brandsOptionalColumns.count).map {
                    ([brandsHeader] + brandsOptionalColumns.prefix($0)).joined(separator: ",")
                }
                guard let index = allowed.firstIndex(of: header) else {
                    throw CardDataError(
                        file: file,
                        line: number,
                        message: "the header must be '\(brandsHeader)' [,lengths[,status]]"
                    )
                }
                columns = 5 + index
                return
            }
            guard fields.count == columns else {
                throw CardDataError(
                    file: file,
                    line: number,
                    message: "expected \(columns) columns, found \(fields.count)"
                )
            }
            func fail(_ message: String) -> CardDataError { CardDataError(file: file, line: number, message: message) }
            let name = fields[0]
            guard isValidBrandName(name) else { throw fail("brand name '\(name)' must be 1 to 32 of a-z, 0-9 and -") }
            guard catalog.brand(named: name) == nil else {
                throw fail("brand '\(name)' is already defined" + (base.brand(named: name) != nil ? " (built in)" : ""))
            }
            let codeName = fields[1]
            guard !codeName.isEmpty, codeName.count <= 16, codeName.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw fail("csc_name must be 1 to 16 printable ASCII characters")
            }
            guard let codeLength = Int(fields[2]), codeLength == 3 || codeLength == 4 else {
                throw fail("csc_length must be 3 or 4")
            }
            guard let location = SecurityCodeLocation(rawValue: fields[3]) else {
                throw fail("csc_location must be front or back")
            }
            guard let luhn = LuhnRule(rawValue: fields[4]) else { throw fail("luhn must be required or optional") }
            var lengths = PANLengths.from(12, through: 19)
            if columns > 5, !fields[5].isEmpty {
                guard let parsed = PANLengths(text: fields[5][...]) else {
                    throw fail("lengths must be like 16, 13;16;19 or 12-19, within 12 to 19")
                }
                lengths = parsed
            }
            var legacy = false
            if columns > 6 {
                switch fields[6] {
                case "", "live": legacy = false
                case "legacy": legacy = true
                default: throw fail("status must be live, legacy or empty")
                }
            }
            catalog.add(
                Brand(
                    name: name,
                    securityCodeName: codeName,
                    securityCodeLength: codeLength,
                    securityCodeLocation: location,
                    luhn: luhn,
                    validLengths: lengths,
                    isLegacy: legacy
                )
            )
        }
        guard columns > 0 else { throw CardDataError(file: file, line: 0, message: "no header line") }
        return catalog
    }

    /// Whether `name` can name a brand: 1 to 32 of `a-z`, `0-9` and `-`.
    public static func isValidBrandName(_ name: String) -> Bool {
        (1...32).contains(name.utf8.count)
            && name.utf8.allSatisfy { $0.isASCIIDigit || $0 &- 0x61 < 26 || $0 == 0x2D }
    }

    // MARK: Ranges

    /// Parses a range file against the brands of `brands`. Ranges of equal specificity (the same number of
    /// digits and the same width) that overlap with different data are an error, as ``CardDirectory`` could
    /// not choose between them.
    public static func ranges(
        _ bytes: UnsafeRawBufferPointer,
        file: String,
        brands: BrandCatalog
    ) throws(CardDataError) -> RangeFile {
        var ranges: [CardRange] = []
        var records: [CardRecord] = []
        // The catalog's brands in the registry, by catalog index.
        let registry = CardDataRegistry.shared
        var builder = brands.brands.map(registry.intern)
        // One record per distinct text: the same data written differently (quoting, say) gets two equal
        // records, which the directory compares by value, so nothing depends on their being one.
        // The text after the second comma, by its bytes: most lines of a large file repeat one of far fewer
        // attribute sets, and this finds the parsed one without splitting or allocating.
        var attributesByText = TailTable()
        var scratch: [String] = []
        // Files sorted by prefix often repeat the previous line's data: checked first, with no hashing.
        var previous: (tail: UnsafeBufferPointer<UInt8>, attributes: UInt32)?
        ranges.reserveCapacity(bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } + 1)
        var headerSeen = false
        try forEachLine(bytes, file: file) { (line, number) throws(CardDataError) in
            func fail(_ message: String) -> CardDataError { CardDataError(file: file, line: number, message: message) }
            if !headerSeen {
                guard try splitFields(line, file: file, line: number).joined(separator: ",") == rangesHeader else {
                    throw fail("the header must be '\(rangesHeader)'")
                }
                headerSeen = true
                return
            }
            // low,high,
            var index = 0
            func prefix() -> (value: UInt64, digits: Int)? {
                var value: UInt64 = 0
                var digits = 0
                while index < line.count, line[index].isASCIIDigit {
                    value = value &* 10 &+ UInt64(line[index] &- 0x30)
                    digits &+= 1
                    index &+= 1
                }
                guard digits > 0, index < line.count, line[index] == 0x2C else { return nil }
                index &+= 1
                return (value, digits)
            }
            guard let low = prefix(), let high = prefix() else {
                throw fail(
                    splitFieldCount(line) == 9
                        ? "low and high must be digits only" : "expected 9 columns, found \(splitFieldCount(line))"
                )
            }
            guard low.digits == high.digits else {
                throw fail("low and high must have the same number of digits (\(low.digits) and \(high.digits))")
            }
            guard low.digits <= maximumPrefixDigits else {
                throw fail("a prefix has at most \(maximumPrefixDigits) digits (\(low.digits) given)")
            }
            guard low.value <= high.value else { throw fail("low must not be above high") }
            let tail = UnsafeBufferPointer(rebasing: line[index...])
            let attributes: UInt32
            if let previous, TailTable.equal(previous.tail, tail) {
                attributes = previous.attributes
            } else {
                let digest = TailTable.digest(tail)
                if let known = attributesByText.value(for: tail, digest: digest) {
                    attributes = known
                } else {
                    let record = try parseAttributes(
                        tail,
                        brands: brands,
                        builder: &builder,
                        scratch: &scratch,
                        fail: fail
                    )
                    attributes = UInt32(records.count)
                    records.append(record)
                    attributesByText.insert(tail, digest: digest, value: attributes)
                }
            }
            previous = (tail, attributes)
            ranges.append(
                CardRange(
                    low: low.value,
                    high: high.value,
                    digits: UInt8(low.digits),
                    attributes: attributes,
                    line: UInt32(truncatingIfNeeded: number)
                )
            )
        }
        guard headerSeen else { throw CardDataError(file: file, line: 0, message: "no header line") }
        // Overlapping ranges of equal specificity with different data are found when the directory is
        // compiled (CardDirectory), which orders the ranges anyway.
        return RangeFile(file: file, ranges: ranges, records: records)
    }

    /// brand,lengths,country,funding,product,issuer,networks
    static func parseAttributes(
        _ tail: UnsafeBufferPointer<UInt8>,
        brands: BrandCatalog,
        builder registryIndex: inout [UInt16],
        scratch fields: inout [String],
        fail: (String) -> CardDataError
    ) throws(CardDataError) -> CardRecord {
        do { try splitFields(tail, into: &fields, file: "", line: 0) } catch { throw fail(error.message) }
        guard fields.count == 7 else { throw fail("expected 9 columns, found \(fields.count + 2)") }
        guard let brand = brands.brand(named: fields[0]) else {
            throw fail("unknown brand '\(fields[0])' (declare it in a brands file)")
        }
        var lengths: PANLengths?
        if !fields[1].isEmpty {
            guard let parsed = PANLengths(text: fields[1][...]) else {
                throw fail("lengths must be like 16, 13;16;19 or 12-19, within 12 to 19")
            }
            lengths = parsed
        }
        var country: String?
        if !fields[2].isEmpty {
            guard CountryCode.isAlpha2(fields[2]) else {
                throw fail("country '\(fields[2])' is not an ISO 3166-1 alpha-2 code (upper case)")
            }
            country = fields[2]
        }
        var funding: Funding?
        if !fields[3].isEmpty {
            guard let parsed = Funding(name: fields[3]) else {
                throw fail("funding must be " + Funding.allCases.map(\.name).joined(separator: ", ") + " or empty")
            }
            funding = parsed
        }
        for (name, value) in [("product", fields[4]), ("issuer", fields[5])] where value.utf8.count > 200 {
            throw fail("\(name) is longer than 200 bytes")
        }
        var networks: [Brand] = []
        if !fields[6].isEmpty {
            for name in fields[6].split(separator: ";", omittingEmptySubsequences: false) {
                guard let network = brands.brand(named: String(name)) else {
                    throw fail("unknown network brand '\(name)' (declare it in a brands file)")
                }
                guard network != brand, !networks.contains(network) else {
                    throw fail("network '\(name)' repeats the brand or another network")
                }
                networks.append(network)
            }
            // Co-badged cards carry two or three networks; a bound keeps every text of a card's answer within
            // a field's two-byte length.
            guard networks.count <= maximumNetworks else { throw fail("at most \(maximumNetworks) networks") }
        }
        if brand.isLegacy
            && (lengths != nil || country != nil || funding != nil || !fields[4].isEmpty
                || !fields[5].isEmpty || !networks.isEmpty)
        {
            throw fail("a legacy brand's row names only the brand: the card's data comes from its live range")
        }
        let registry = CardDataRegistry.shared
        return CardRecord(
            brand: registryIndex[Int(brands.index(of: brand))],
            lengths: (lengths ?? brand.validLengths).bits,
            country: country.map(CountryCode.packed) ?? 0,
            funding: funding,
            texts: registry.intern(
                CardTextSet(
                    legacyBrand: CardTextSet.none16,
                    product: fields[4].isEmpty ? CardTextSet.none32 : registry.intern(fields[4]),
                    issuer: fields[5].isEmpty ? CardTextSet.none32 : registry.intern(fields[5]),
                    networks: registry.intern(networks: networks.map { registryIndex[Int(brands.index(of: $0))] })
                )
            )
        )
    }

    // MARK: CSV

    /// Calls `body` with every line that is not blank and not a comment, without its line end.
    static func forEachLine(
        _ bytes: UnsafeRawBufferPointer,
        file: String,
        _ body: (UnsafeBufferPointer<UInt8>, Int) throws(CardDataError) -> Void
    ) throws(CardDataError) {
        let all = bytes.bindMemory(to: UInt8.self)
        var start = 0
        // A UTF-8 byte order mark, as spreadsheet exports write one.
        if all.count >= 3, all[0] == 0xEF, all[1] == 0xBB, all[2] == 0xBF { start = 3 }
        var number = 0
        while start < all.count {
            number += 1
            var end = start
            while end < all.count, all[end] != 0x0A { end &+= 1 }
            let next = end + 1
            if end > start, all[end - 1] == 0x0D { end -= 1 }
            let line = UnsafeBufferPointer(rebasing: all[start..<end])
            start = next
            if line.isEmpty || line[0] == 0x23 { continue }  // blank, or # comment
            try body(line, number)
        }
    }

    /// The fields of a CSV line; quoted fields may hold commas and `""`. Fields are UTF-8 text.
    static func splitFields(
        _ line: UnsafeBufferPointer<UInt8>,
        file: String,
        line number: Int
    ) throws(CardDataError)
        -> [String]
    {
        var fields: [String] = []
        try splitFields(line, into: &fields, file: file, line: number)
        return fields
    }

    /// As ``splitFields(_:file:line:)``, into an array the caller reuses, so that a large file's parse
    /// leaves no short-lived arrays between the objects it keeps.
    static func splitFields(
        _ line: UnsafeBufferPointer<UInt8>,
        into fields: inout [String],
        file: String,
        line number: Int
    ) throws(CardDataError) {
        fields.removeAll(keepingCapacity: true)
        // Most lines have no quotes: their fields are the bytes between commas.
        if !line.contains(0x22) {
            var start = 0
            for index in 0...line.count where index == line.count || line[index] == 0x2C {
                fields.append(try text(UnsafeBufferPointer(rebasing: line[start..<index]), file: file, line: number))
                start = index + 1
            }
            return
        }
        var field: [UInt8] = []
        var index = 0
        var quoted = false
        var wasQuoted = false
        while index < line.count {
            let byte = line[index]
            index += 1
            if quoted {
                if byte == 0x22 {
                    if index < line.count, line[index] == 0x22 {
                        field.append(0x22)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(byte)
                }
            } else if byte == 0x2C {
                fields.append(try text(field, file: file, line: number))
                field = []
                wasQuoted = false
            } else if byte == 0x22 && field.isEmpty && !wasQuoted {
                quoted = true
                wasQuoted = true
            } else if wasQuoted {
                throw CardDataError(file: file, line: number, message: "text after a closing quote")
            } else {
                field.append(byte)
            }
        }
        guard !quoted else { throw CardDataError(file: file, line: number, message: "a quote is not closed") }
        fields.append(try text(field, file: file, line: number))
    }

    /// How many fields a line splits into (for an error message).
    static func splitFieldCount(_ line: UnsafeBufferPointer<UInt8>) -> Int {
        (try? splitFields(line, file: "", line: 0).count) ?? 0
    }

    static func text(_ bytes: [UInt8], file: String, line: Int) throws(CardDataError) -> String {
        try bytes.withUnsafeBufferPointer { buffer throws(CardDataError) in try text(buffer, file: file, line: line) }
    }

    static func text(_ bytes: UnsafeBufferPointer<UInt8>, file: String, line: Int) throws(CardDataError) -> String {
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return String(decoding: bytes, as: UTF8.self) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CardDataError(file: file, line: line, message: "not UTF-8")
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw CardDataError(file: file, line: line, message: "a control character in a field")
        }
        return text
    }
}

/// One row of a range file: the PANs whose first `digits` digits, read as a number, lie in `low...high`.
public struct CardRange: Sendable, Hashable {
    public var low: UInt64
    public var high: UInt64
    public var digits: UInt8
    /// Index into the file's ``RangeFile/records``.
    public var attributes: UInt32
    /// The line in its file, for messages.
    public var line: UInt32

    public init(low: UInt64, high: UInt64, digits: UInt8, attributes: UInt32, line: UInt32 = 0) {
        self.low = low
        self.high = high
        self.digits = digits
        self.attributes = attributes
        self.line = line
    }

    /// `low-high` as the file writes it (zero-padded to `digits`).
    public var text: String {
        func padded(_ value: UInt64) -> String {
            let digitsText = String(value)
            return String(repeating: "0", count: max(0, Int(digits) - digitsText.count)) + digitsText
        }
        return low == high ? padded(low) : "\(padded(low))-\(padded(high))"
    }
}

/// A parsed range file: its rows and their distinct card records.
public struct RangeFile: Sendable {
    public var file: String
    public var ranges: [CardRange]
    /// The distinct card data of the rows; a range's `attributes` indexes it.
    public var records: [CardRecord]

    public init(file: String, ranges: [CardRange], records: [CardRecord]) {
        self.file = file
        self.ranges = ranges
        self.records = records
    }

    /// The card data of a range's `attributes` index.
    public func attributes(_ index: UInt32) -> CardAttributes { CardAttributes(record: records[Int(index)]) }
}

/// The brands a range file may name: the built-in ones and those a brands file declares.
public struct BrandCatalog: Sendable {
    public private(set) var brands: [Brand] = []
    private var byName: [String: Int] = [:]

    public init(_ brands: [Brand] = []) {
        for brand in brands { add(brand) }
    }

    mutating func add(_ brand: Brand) {
        byName[brand.name] = brands.count
        brands.append(brand)
    }

    public func brand(named name: String) -> Brand? { byName[name].map { brands[$0] } }

    /// The index of a brand of this catalog (records store it).
    func index(of brand: Brand) -> UInt16 { UInt16(byName[brand.name]!) }
}

/// A card data file that cannot be used: the file, the line (0: the whole file) and what is wrong.
public struct CardDataError: Error, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

/// The distinct attribute texts of a range file being parsed, by their bytes (borrowed from the file, valid
/// while the parse runs): open addressing on an FNV-1a digest, so a lookup is one hash of the bytes and,
/// on a digest match, one comparison. Standard library dictionaries would hash every key again (SipHash),
/// which was the largest cost of loading 2,000,000 ranges.
struct TailTable {
    /// One cache line holds four slots; a lookup reads one slot and, on a digest match, the file's bytes.
    private struct Slot {
        var digest: UInt64 = 0
        var start: UnsafePointer<UInt8>?
        var count: UInt32 = 0
        var value = TailTable.empty
    }
    private var slots: [Slot]
    private var used = 0
    fileprivate static let empty = UInt32.max

    init() { slots = [Slot](repeating: Slot(), count: 1_024) }

    /// FNV-1a, then MurmurHash3's finaliser so that the low bits (the slot) depend on every byte.
    static func digest(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash = hash &* 0xC4CE_B9FE_1A85_EC53
        return hash ^ hash >> 33
    }

    func value(for bytes: UnsafeBufferPointer<UInt8>, digest: UInt64) -> UInt32? {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: digest) & mask
        while slots[index].value != TailTable.empty {
            let slot = slots[index]
            if slot.digest == digest
                && TailTable.equal(UnsafeBufferPointer(start: slot.start, count: Int(slot.count)), bytes)
            {
                return slot.value
            }
            index = (index + 1) & mask
        }
        return nil
    }

    mutating func insert(_ bytes: UnsafeBufferPointer<UInt8>, digest: UInt64, value: UInt32) {
        if (used + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: digest) & mask
        while slots[index].value != TailTable.empty { index = (index + 1) & mask }
        slots[index] = Slot(digest: digest, start: bytes.baseAddress, count: UInt32(bytes.count), value: value)
        used += 1
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(), count: old.count * 2)
        used = 0
        for slot in old where slot.value != TailTable.empty {
            insert(
                UnsafeBufferPointer(start: slot.start, count: Int(slot.count)),
                digest: slot.digest,
                value: slot.value
            )
        }
    }

    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for index in 0..<a.count where a[index] != b[index] { return false }
        return true
    }
}
