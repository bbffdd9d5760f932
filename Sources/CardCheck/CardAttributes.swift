/// What the most specific matching range says about a card: its brand, the PAN lengths it issues, and
/// whatever the range file knows of the issuer.
///
/// A plain value: a compact record (``CardRecord``, 24 bytes of indices into ``CardDataRegistry``, where
/// names are interned for the life of the process). A directory of millions of ranges keeps its distinct
/// records in one array rather than as an object each, so that it costs little memory and frees whole at a
/// reload; a lookup copies 24 bytes, and a result carrying one is copied without a retain.
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
                legacyBrand: legacyBrand.map(registry.intern) ?? CardRecord.none16,
                lengths: (lengths ?? brand.validLengths).bits,
                country: issuerCountry.map(CountryCode.packed) ?? 0,
                funding: funding?.rawValue ?? 0,
                product: product.map(registry.intern) ?? CardRecord.none32,
                issuer: issuer.map(registry.intern) ?? CardRecord.none32,
                networks: registry.intern(networks: networks.map(registry.intern))
            )
        )
    }

    @inlinable var registry: CardDataRegistry { CardDataRegistry.shared }

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
        record.legacyBrand == CardRecord.none16 ? nil : registry.brands[Int(record.legacyBrand)]
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
    @inlinable @inline(__always) public var funding: Funding? { Funding(rawValue: record.funding) }
    public var product: String? { record.product == CardRecord.none32 ? nil : registry.strings[Int(record.product)] }
    public var issuer: String? { record.issuer == CardRecord.none32 ? nil : registry.strings[Int(record.issuer)] }
    /// The other networks of a co-badged card (the shopper may choose one); empty when it is not co-badged.
    public var networks: [Brand] {
        registry.networkLists[Int(record.networks)].map { registry.brands[Int($0)] }
    }
    /// The networks' names joined with `;` (the files' and the wire's form): `nil` when not co-badged.
    public var networksText: String? { record.networks == 0 ? nil : registry.networkTexts[Int(record.networks)] }
    /// The legacy brand's name, without copying the brand.
    public var legacyBrandName: String? {
        record.legacyBrand == CardRecord.none16 ? nil : registry.brands[Int(record.legacyBrand)].name
    }
    /// The brand's name as UTF-8 (the wire writer's form: no String is copied).
    @inlinable @inline(__always) public var brandNameUTF8: UnsafeBufferPointer<UInt8> {
        registry.brandNamesUTF8[Int(record.brand)]
    }
    /// ``legacyBrandName``, ``product``, ``issuer`` and ``networksText`` as UTF-8.
    @inlinable @inline(__always) public var legacyBrandNameUTF8: UnsafeBufferPointer<UInt8>? {
        record.legacyBrand == CardRecord.none16 ? nil : registry.brandNamesUTF8[Int(record.legacyBrand)]
    }
    @inlinable @inline(__always) public var productUTF8: UnsafeBufferPointer<UInt8>? {
        record.product == CardRecord.none32 ? nil : registry.stringsUTF8[Int(record.product)]
    }
    @inlinable @inline(__always) public var issuerUTF8: UnsafeBufferPointer<UInt8>? {
        record.issuer == CardRecord.none32 ? nil : registry.stringsUTF8[Int(record.issuer)]
    }
    @inlinable @inline(__always) public var networksTextUTF8: UnsafeBufferPointer<UInt8>? {
        record.networks == 0 ? nil : registry.networkTextsUTF8[Int(record.networks)]
    }
    /// The brand's security code length, without copying the brand.
    @inlinable public var securityCodeLength: Int { registry.brands[Int(record.brand)].securityCodeLength }
    /// Whether any issuer data (beyond brand and lengths) is known: what the wire's optional tags carry.
    @inlinable public var hasIssuerData: Bool {
        record.legacyBrand != CardRecord.none16 || record.country != 0 || record.funding != 0
            || record.product != CardRecord.none32 || record.issuer != CardRecord.none32 || record.networks != 0
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

/// A card's data as indices into ``CardDataRegistry``: 24 bytes, compared and hashed as a value (the
/// registry keeps one index per distinct brand, string and network list, so equal data is an equal record).
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
