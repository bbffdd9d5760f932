/// What the most specific matching range says about a card: its brand, the PAN lengths it issues, and
/// whatever the range file knows of the issuer.
///
/// A value: a compact record (``CardRecord``, 24 bytes of indices) and the tables its indices point into,
/// shared by the whole directory. A directory of millions of ranges keeps its distinct records in one array
/// rather than as an object each, so that it costs little memory, frees whole at a reload, and a lookup
/// copies the record and retains one object, never allocating.
public struct CardAttributes: Sendable, Hashable, CustomStringConvertible {
    @usableFromInline let tables: CardDataTables
    @usableFromInline let record: CardRecord

    @inlinable init(tables: CardDataTables, record: CardRecord) {
        self.tables = tables
        self.record = record
    }

    /// Card data of its own (as a client reads it from an answer, or a test makes it).
    public init(
        brand: Brand,
        legacyBrand: Brand? = nil,
        lengths: PANLengths? = nil,
        issuerCountry: String? = nil,
        funding: Funding? = nil,
        product: String? = nil,
        issuer: String? = nil,
        networks: [Brand] = []
    ) {
        var builder = CardDataTables.Builder(brands: [brand] + (legacyBrand.map { [$0] } ?? []) + networks)
        let record = builder.record(
            brand: 0,
            legacyBrand: legacyBrand == nil ? nil : 1,
            lengths: lengths ?? brand.validLengths,
            issuerCountry: issuerCountry,
            funding: funding,
            product: product,
            issuer: issuer,
            networks: networks.indices.map { UInt16($0 + 1 + (legacyBrand == nil ? 0 : 1)) }
        )
        self.init(tables: builder.tables, record: record)
    }

    public var brand: Brand { tables.brands[Int(record.brand)] }
    /// The legacy name (Switch, Solo) of the card's range, reported beside the live brand.
    public var legacyBrand: Brand? {
        record.legacyBrand == CardRecord.none16 ? nil : tables.brands[Int(record.legacyBrand)]
    }
    /// The PAN lengths the range issues (its brand's unless the range says).
    @inlinable public var lengths: PANLengths { PANLengths(bits: record.lengths) }
    /// ISO 3166-1 alpha-2, upper case.
    public var issuerCountry: String? {
        guard record.country != 0 else { return nil }
        return String(decoding: [UInt8(record.country >> 8), UInt8(record.country & 0xFF)], as: UTF8.self)
    }
    /// The issuer country's two letters packed as ``CountryCode/alpha2(_:)`` gives them; 0 when unknown.
    @inlinable public var packedIssuerCountry: UInt16 { record.country }
    @inlinable public var funding: Funding? { Funding(rawValue: record.funding) }
    public var product: String? { tables.string(record.product) }
    public var issuer: String? { tables.string(record.issuer) }
    /// The other networks of a co-badged card (the shopper may choose one); empty when it is not co-badged.
    public var networks: [Brand] { tables.networkLists[Int(record.networks)].map { tables.brands[Int($0)] } }
    /// Whether any issuer data (beyond brand and lengths) is known: what the wire's optional tags carry.
    @inlinable public var hasIssuerData: Bool {
        record.legacyBrand != CardRecord.none16 || record.country != 0 || record.funding != 0
            || record.product != CardRecord.none32 || record.issuer != CardRecord.none32 || record.networks != 0
    }

    /// Equal when they say the same, whichever tables hold it.
    public static func == (lhs: CardAttributes, rhs: CardAttributes) -> Bool {
        if lhs.tables === rhs.tables { return lhs.record == rhs.record }
        return lhs.brand == rhs.brand && lhs.legacyBrand == rhs.legacyBrand && lhs.lengths == rhs.lengths
            && lhs.record.country == rhs.record.country && lhs.record.funding == rhs.record.funding
            && lhs.product == rhs.product && lhs.issuer == rhs.issuer && lhs.networks == rhs.networks
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(brand)
        hasher.combine(lengths)
        hasher.combine(record.country)
        hasher.combine(record.funding)
        hasher.combine(product)
    }

    public var description: String {
        var parts = [brand.name]
        if let legacyBrand { parts.append("legacy \(legacyBrand.name)") }
        if let issuerCountry { parts.append(issuerCountry) }
        if let funding { parts.append(funding.name) }
        if let product { parts.append(product) }
        if let issuer { parts.append(issuer) }
        if !networks.isEmpty { parts.append("networks " + networks.map(\.name).joined(separator: ";")) }
        return parts.joined(separator: ", ")
    }
}

/// A card's data as indices into ``CardDataTables``: 24 bytes, hashable, compared as a value.
@frozen public struct CardRecord: Sendable, Hashable {
    @usableFromInline static let none16 = UInt16.max
    @usableFromInline static let none32 = UInt32.max

    @usableFromInline var brand: UInt16
    @usableFromInline var legacyBrand: UInt16
    @usableFromInline var lengths: UInt32
    /// Two ASCII letters, packed; 0 when unknown.
    @usableFromInline var country: UInt16
    /// ``Funding`` raw value; 0 when unknown.
    @usableFromInline var funding: UInt8
    @usableFromInline var product: UInt32
    @usableFromInline var issuer: UInt32
    /// Index of a network list; list 0 is the empty one.
    @usableFromInline var networks: UInt32
}

/// The brands, strings and network lists card records point into. Immutable once built; shared by every
/// ``CardAttributes`` of a directory.
public final class CardDataTables: Sendable {
    let brands: [Brand]
    let strings: [String]
    let networkLists: [[UInt16]]

    init(brands: [Brand], strings: [String], networkLists: [[UInt16]]) {
        self.brands = brands
        self.strings = strings
        self.networkLists = networkLists
    }

    func string(_ index: UInt32) -> String? { index == CardRecord.none32 ? nil : strings[Int(index)] }

    /// Makes records, interning their strings and network lists.
    struct Builder {
        var brands: [Brand]
        var strings: [String] = []
        var networkLists: [[UInt16]] = [[]]
        private var stringIndex: [String: UInt32] = [:]
        private var listIndex: [[UInt16]: UInt32] = [[]: 0]

        init(brands: [Brand]) { self.brands = brands }

        mutating func intern(_ text: String?) -> UInt32 {
            guard let text else { return CardRecord.none32 }
            if let known = stringIndex[text] { return known }
            let index = UInt32(strings.count)
            strings.append(text)
            stringIndex[text] = index
            return index
        }

        mutating func record(
            brand: UInt16,
            legacyBrand: UInt16?,
            lengths: PANLengths,
            issuerCountry: String?,
            funding: Funding?,
            product: String?,
            issuer: String?,
            networks: [UInt16]
        ) -> CardRecord {
            var list: UInt32 = 0
            if !networks.isEmpty {
                if let known = listIndex[networks] {
                    list = known
                } else {
                    list = UInt32(networkLists.count)
                    networkLists.append(networks)
                    listIndex[networks] = list
                }
            }
            return CardRecord(
                brand: brand,
                legacyBrand: legacyBrand ?? CardRecord.none16,
                lengths: lengths.bits,
                country: issuerCountry.map(CountryCode.packed) ?? 0,
                funding: funding?.rawValue ?? 0,
                product: intern(product),
                issuer: intern(issuer),
                networks: list
            )
        }

        var tables: CardDataTables { CardDataTables(brands: brands, strings: strings, networkLists: networkLists) }
    }
}

/// How a card is funded, as range files state it.
public enum Funding: UInt8, Sendable, Hashable, CaseIterable {
    case credit = 1
    case debit
    case prepaid
    case charge
    case deferredDebit

    /// The machine name in files, JSON and on the wire's documentation.
    public var name: String {
        switch self {
        case .credit: "credit"
        case .debit: "debit"
        case .prepaid: "prepaid"
        case .charge: "charge"
        case .deferredDebit: "deferred_debit"
        }
    }

    public init?(name: some StringProtocol) {
        guard let funding = Funding.allCases.first(where: { $0.name == name }) else { return nil }
        self = funding
    }
}
