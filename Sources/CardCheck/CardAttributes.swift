import CCacheHints

/// What the most specific matching range says about a card: its brand, the PAN lengths it issues, and
/// whatever the range file knows of the issuer.
///
/// A plain value: a compact record (``CardRecord``, 16 bytes of codes and indices into
/// ``CardDataRegistry``, where names are interned for the life of the process). A directory of millions of
/// ranges keeps its distinct records in one array rather than as an object each, so that it costs little
/// memory and frees whole at a reload; a lookup copies 16 bytes, and a result carrying one is copied
/// without a retain.
@frozen public struct CardAttributes: Sendable, Hashable, CustomStringConvertible {
    @usableFromInline let record: CardRecord

    @inlinable init(record: CardRecord) { self.record = record }

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
        let registry = CardDataRegistry.shared
        self.init(
            record: CardRecord(
                brand: registry.intern(brand),
                lengths: (lengths ?? brand.validLengths).bits,
                country: issuerCountry.map(CountryCode.packed) ?? 0,
                funding: funding,
                texts: registry.intern(
                    CardTextSet(
                        legacyBrand: legacyBrand.map(registry.intern) ?? CardTextSet.none16,
                        product: product.map(registry.intern) ?? CardTextSet.none32,
                        issuer: issuer.map(registry.intern) ?? CardTextSet.none32,
                        networks: registry.intern(networks: networks.map(registry.intern))
                    )
                )
            )
        )
    }

    @inlinable var registry: CardDataRegistry { CardDataRegistry.shared }
    /// The card's texts (legacy brand, product, issuer, networks) as indices: a lookup through the registry.
    var texts: CardTextSet { registry.textSets.set(at: record.texts) }

    public var brand: Brand { registry.brands[Int(record.brand)] }
    /// Whether the card's brand is the built-in Visa (one integer comparison).
    @inlinable public var isVisa: Bool { record.brand == CardDataRegistry.visaIndex }
    /// Whether the card's brand is the built-in Mastercard or Maestro (their ECI convention).
    @inlinable public var isMastercardOrMaestro: Bool {
        record.brand == CardDataRegistry.mastercardIndex || record.brand == CardDataRegistry.maestroIndex
    }
    /// The brand's name, without copying the brand.
    @inlinable public var brandName: String { registry.brands[Int(record.brand)].name }
    /// The legacy name (Switch, Solo) of the card's range, reported beside the live brand.
    public var legacyBrand: Brand? {
        let index = texts.legacyBrand
        return index == CardTextSet.none16 ? nil : registry.brands[Int(index)]
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
    @inlinable @inline(__always) public var funding: Funding? { record.funding }
    public var product: String? {
        let index = texts.product
        return index == CardTextSet.none32 ? nil : registry.strings[Int(index)]
    }
    public var issuer: String? {
        let index = texts.issuer
        return index == CardTextSet.none32 ? nil : registry.strings[Int(index)]
    }
    /// The other networks of a co-badged card (the shopper may choose one); empty when it is not co-badged.
    public var networks: [Brand] {
        registry.networkLists[Int(texts.networks)].map { registry.brands[Int($0)] }
    }
    /// The networks' names joined with `;` (the files' and the wire's form): `nil` when not co-badged.
    public var networksText: String? {
        let index = texts.networks
        return index == 0 ? nil : registry.networkTexts[Int(index)]
    }
    /// The legacy brand's name, without copying the brand.
    public var legacyBrandName: String? {
        let index = texts.legacyBrand
        return index == CardTextSet.none16 ? nil : registry.brands[Int(index)].name
    }
    /// The brand's name as UTF-8 (the wire writer's form: no String is copied).
    @inlinable @inline(__always) public var brandNameUTF8: UnsafeBufferPointer<UInt8> {
        registry.brandNamesUTF8[Int(record.brand)]
    }
    /// The card's texts as one block of UTF-8 (see ``CardText``), for the wire writer to copy whole: empty
    /// when the card has none. One load through the registry, where reading the four texts one by one was
    /// four, each then copied by its own call (scripts/profile-daemon: about 150 instructions an answer).
    @inlinable @inline(__always) public var textBlockUTF8: UnsafeBufferPointer<UInt8> {
        registry.textSets.block(at: record.texts)
    }
    /// The brand's security code length, without copying the brand.
    @inlinable public var securityCodeLength: Int { registry.brands[Int(record.brand)].securityCodeLength }
    /// Starts fetching the card's text block, which its answer will copy: the validation's other checks
    /// run while it comes (a hint; with a large range file the block is rarely cached).
    @inlinable @inline(__always) public func prefetchTexts() {
        if record.texts != 0 { cardcheck_prefetch(registry.textSets.entry(at: record.texts)) }
    }
    /// Whether any issuer data (beyond brand and lengths) is known: what the wire's optional tags carry.
    @inlinable public var hasIssuerData: Bool {
        record.texts != 0 || record.country != 0 || record.funding != nil
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

/// The texts of a card's data, in a text block (``CardAttributes/textBlockUTF8``) in this order, each
/// present one as its kind (this raw value, one byte), its length (two bytes, big-endian) and its UTF-8:
/// the wire's field layout, so that the writer copies a block whole and only puts its tags in place of
/// the kinds.
public enum CardText: UInt8, Sendable, CaseIterable {
    case legacyBrand
    case product
    case issuer
    case networks
}

/// A card's data as codes and indices into ``CardDataRegistry``: 16 bytes, compared and hashed as a value
/// (the registry keeps one index per distinct brand and text set, so equal data is an equal record). The
/// texts, which only the answer shows, are one index: the policy and the checks read only the brand,
/// lengths, country and funding.
@frozen public struct CardRecord: Sendable, Hashable {
    @usableFromInline var brand: UInt16
    /// Two ASCII letters, packed; 0 when unknown.
    @usableFromInline var country: UInt16
    @usableFromInline var lengths: UInt32
    /// Position of a ``CardTextSet`` in the registry; 0 is the set with no text.
    @usableFromInline var texts: UInt32
    /// An optional enum, not a raw byte: its unused values let an optional record (a result's card) take no
    /// byte of its own, so that one is 16 bytes, passed in two registers (as a byte, the record was 13 and
    /// its optional 14: `validate` spent 20 instructions a request shuffling it, scripts/count-engine).
    @usableFromInline var funding: Funding?

    @usableFromInline init(brand: UInt16, lengths: UInt32, country: UInt16, funding: Funding?, texts: UInt32) {
        self.brand = brand
        self.country = country
        self.lengths = lengths
        self.texts = texts
        self.funding = funding
    }
}

/// A card's texts as indices into ``CardDataRegistry``: its range's legacy brand, product, issuer and
/// co-badged networks, interned as a set (a range file of millions of rows has some tens of thousands).
struct CardTextSet: Hashable {
    static let none16 = UInt16.max
    static let none32 = UInt32.max
    static let empty = CardTextSet(legacyBrand: none16, product: none32, issuer: none32, networks: 0)

    var legacyBrand: UInt16
    var product: UInt32
    var issuer: UInt32
    /// Index of a network list; list 0 is the empty one.
    var networks: UInt32
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
