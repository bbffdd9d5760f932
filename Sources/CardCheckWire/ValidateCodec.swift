import CardCheck
import NIOCore

/// `VALIDATE` requests and responses.
public enum ValidateCodec {
    @usableFromInline
    enum RequestTag: UInt8 {
        case pan = 0x01
        case expiry = 0x02
        case csc = 0x03
        case cscIndicator = 0x04
        case street = 0x10
        case postalCode = 0x11
        case country = 0x12
        case onFileStreet = 0x20
        case onFilePostalCode = 0x21
        case onFileCountry = 0x22
        case threeDSStatus = 0x30
        case eci = 0x31
        case authenticationValue = 0x32
        case threeDSVersion = 0x33
        case threeDSStatusReason = 0x34
        case profile = 0x40

        /// The name of field `tag` in PROTOCOL.md, which errors carry; nil for a tag this request lacks.
        @usableFromInline static func name(of tag: UInt8) -> String? { RequestTag(rawValue: tag)?.name }

        /// The field's name in PROTOCOL.md, which errors carry.
        @usableFromInline var name: String {
            switch self {
            case .pan: "pan"
            case .expiry: "expiry"
            case .csc: "csc"
            case .cscIndicator: "csc_indicator"
            case .street: "street"
            case .postalCode: "postal_code"
            case .country: "country"
            case .onFileStreet: "on_file_street"
            case .onFilePostalCode: "on_file_postal_code"
            case .onFileCountry: "on_file_country"
            case .threeDSStatus: "three_ds_status"
            case .eci: "eci"
            case .authenticationValue: "authentication_value"
            case .threeDSVersion: "three_ds_version"
            case .threeDSStatusReason: "three_ds_status_reason"
            case .profile: "profile"
            }
        }
    }

    enum ResponseTag: UInt8 {
        case maskedPAN = 0x01
        case luhnValid = 0x02
        case brand = 0x03
        case lengthValid = 0x04
        case expiry = 0x05
        case cscPresence = 0x06
        case cscFormatValid = 0x07
        case cscResult = 0x08
        case avsResult = 0x09
        case avsStreetMatch = 0x0A
        case avsPostalMatch = 0x0B
        case action = 0x0C
        case reasons = 0x0D
        case legacyBrand = 0x0E
        case issuerCountry = 0x0F
        case funding = 0x10
        case product = 0x11
        case issuer = 0x12
        case networks = 0x13
        case threeDSResult = 0x14
        case liabilityShift = 0x15
        case authenticationValueResult = 0x16

        /// The field's name in PROTOCOL.md.
        var name: String {
            switch self {
            case .maskedPAN: "masked_pan"
            case .luhnValid: "luhn_valid"
            case .brand: "brand"
            case .lengthValid: "length_valid"
            case .expiry: "expiry"
            case .cscPresence: "csc_presence"
            case .cscFormatValid: "csc_format_valid"
            case .cscResult: "csc_result"
            case .avsResult: "avs_result"
            case .avsStreetMatch: "avs_street_match"
            case .avsPostalMatch: "avs_postal_match"
            case .action: "action"
            case .reasons: "reasons"
            case .legacyBrand: "legacy_brand"
            case .issuerCountry: "issuer_country"
            case .funding: "funding"
            case .product: "product"
            case .issuer: "issuer"
            case .networks: "networks"
            case .threeDSResult: "three_ds_result"
            case .liabilityShift: "liability_shift"
            case .authenticationValueResult: "authentication_value_result"
            }
        }
    }

    // MARK: Requests

    /// Writes a request's fields (the client side).
    public static func write(_ request: ValidationRequest, to buffer: inout ByteBuffer) throws(WireError) {
        func text(_ tag: RequestTag, _ value: String?) throws(WireError) {
            guard let value else { return }
            guard value.utf8.count <= Int(UInt16.max) else {
                throw WireError.invalid(tag.name, "a field holds at most 65,535 bytes")
            }
            buffer.writeField(tag.rawValue, text: value)
        }
        try text(.pan, request.pan)
        try text(.expiry, request.expiry)
        try text(.csc, request.csc)
        if let indicator = request.cscIndicator {
            guard let byte = UInt8(exactly: indicator) else {
                throw WireError(ValidationError.cscIndicatorInvalid(indicator))
            }
            buffer.writeField(RequestTag.cscIndicator.rawValue, byte: byte)
        }
        try text(.street, request.address.street)
        try text(.postalCode, request.address.postalCode)
        try text(.country, request.address.country)
        try text(.onFileStreet, request.onFileAddress?.street)
        try text(.onFilePostalCode, request.onFileAddress?.postalCode)
        try text(.onFileCountry, request.onFileAddress?.country)
        try text(.threeDSStatus, request.threeDS.status)
        try text(.eci, request.threeDS.eci)
        try text(.authenticationValue, request.threeDS.authenticationValue)
        try text(.threeDSVersion, request.threeDS.version)
        try text(.threeDSStatusReason, request.threeDS.statusReason)
        try text(.profile, request.profile)
    }

    /// Runs `body` with the request's fields pointing straight into the frame's bytes: no copy and no
    /// String per field. The pointers are valid only inside `body`.
    @inlinable
    public static func withRequestFields<R>(
        in fields: ByteBuffer,
        _ body: (RequestFields) throws(WireError) -> R
    ) throws(WireError) -> R {
        let outcome: Result<R, WireError> = fields.withUnsafeReadableBytes { raw in
            Result { () throws(WireError) -> R in
                try body(
                    try parseRequest(
                        UnsafeBufferPointer(
                            start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self),
                            count: raw.count
                        )
                    )
                )
            }
        }
        return try outcome.get()
    }

    /// The value of a `VALIDATE` request's `pan` field, found by walking the fields' headers only; nil
    /// when there is none or the fields are malformed (the request's parser says why, when it answers).
    /// For a batch's lookahead, before the requests are parsed. The headers as ``FieldCursor`` reads them,
    /// without its duplicate check: a hint needs none, and walking with the cursor measured 170 more
    /// instructions a request (scripts/profile-daemon with a range file: its call no longer inlined, and the
    /// batch's frames copied around it).
    @inlinable
    public static func panField(in fields: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        var offset = 0
        while offset + 3 <= fields.count {
            let length = Int(fields[offset + 1]) << 8 | Int(fields[offset + 2])
            let start = offset + 3
            guard start + length <= fields.count else { return nil }
            if fields[offset] == RequestTag.pan.rawValue {
                return UnsafeRawBufferPointer(rebasing: fields[start..<start + length])
            }
            offset = start + length
        }
        return nil
    }

    @inlinable
    static func parseRequest(_ bytes: UnsafeBufferPointer<UInt8>) throws(WireError) -> RequestFields {
        var request = RequestFields()
        var fields = RawFields(bytes)
        while let (tag, value) = try fields.next(names: RequestTag.name(of:)) {
            // On the raw byte: `RequestTag(rawValue:)` over tags in four blocks is an out-of-line switch,
            // called once per field (scripts/profile-daemon measured it at 140 instructions per request).
            switch tag {
            case RequestTag.pan.rawValue: request.pan = value
            case RequestTag.expiry.rawValue: request.expiry = value
            case RequestTag.csc.rawValue: request.csc = value
            case RequestTag.cscIndicator.rawValue:
                guard value.count == 1 else {
                    throw WireError.invalid("csc_indicator", "csc_indicator must be one byte")
                }
                request.cscIndicator = Int(value[0])
            case RequestTag.street.rawValue: request.address.street = value
            case RequestTag.postalCode.rawValue: request.address.postalCode = value
            case RequestTag.country.rawValue: request.address.country = value
            case RequestTag.onFileStreet.rawValue: request.onFileAddress.street = value
            case RequestTag.onFilePostalCode.rawValue: request.onFileAddress.postalCode = value
            case RequestTag.onFileCountry.rawValue: request.onFileAddress.country = value
            case RequestTag.threeDSStatus.rawValue: request.threeDS.status = value
            case RequestTag.eci.rawValue: request.threeDS.eci = value
            case RequestTag.authenticationValue.rawValue: request.threeDS.authenticationValue = value
            case RequestTag.threeDSVersion.rawValue: request.threeDS.version = value
            case RequestTag.threeDSStatusReason.rawValue: request.threeDS.statusReason = value
            case RequestTag.profile.rawValue: request.profile = value
            default: break  // unknown: skipped
            }
        }
        return request
    }

    // MARK: Responses

    /// Writes a result's fields (the server side). Checks that were not asked for are left out.
    public static func write(_ result: ValidationResult, to buffer: inout ByteBuffer) {
        // Written in place in one reserved stretch: this is the daemon's hottest path. Card data from a range
        // file adds its country and funding fields and its block of texts (free text, read once, here).
        let card = result.pan?.card
        let issuerData = card?.hasIssuerData == true
        let texts = issuerData ? card!.textBlockUTF8 : UnsafeBufferPointer(start: nil, count: 0)
        let room = issuerData ? 3 + 2 + 3 + 1 + texts.count : 0
        buffer.writeFields(maximum: 192 + room) { fields in
            if let masked = result.pan?.masked {
                fields.field(ResponseTag.maskedPAN.rawValue, maximum: PAN.digitRange.upperBound) {
                    masked.writeASCII(to: $0)
                }
                fields.bool(ResponseTag.luhnValid.rawValue, result.pan!.luhnValid)
                if let card { fields.bytes(ResponseTag.brand.rawValue, card.brandNameUTF8) }
                fields.bool(ResponseTag.lengthValid.rawValue, result.pan!.lengthValid)
                if issuerData { ValidateCodec.writeCardData(card!, texts: texts, to: &fields) }
            }
            if let expiry = result.expiry { fields.byte(ResponseTag.expiry.rawValue, expiry.rawValue) }
            if let csc = result.csc {
                fields.byte(ResponseTag.cscPresence.rawValue, csc.presence.rawValue)
                if let format = csc.formatValid { fields.bool(ResponseTag.cscFormatValid.rawValue, format) }
                if let code = csc.result { fields.byte(ResponseTag.cscResult.rawValue, code.asciiLetter) }
            }
            if let avs = result.avs {
                fields.byte(ResponseTag.avsResult.rawValue, avs.code.asciiLetter)
                if let street = avs.streetMatch { fields.bool(ResponseTag.avsStreetMatch.rawValue, street) }
                if let postal = avs.postalMatch { fields.bool(ResponseTag.avsPostalMatch.rawValue, postal) }
            }
            if let threeDS = result.threeDS {
                fields.byte(ResponseTag.threeDSResult.rawValue, threeDS.result.rawValue)
                fields.bool(ResponseTag.liabilityShift.rawValue, threeDS.liabilityShift)
                if let value = threeDS.valueResult {
                    fields.byte(ResponseTag.authenticationValueResult.rawValue, value.asciiLetter)
                }
            }
            fields.byte(ResponseTag.action.rawValue, result.action.rawValue)
            fields.integer(ResponseTag.reasons.rawValue, result.reasons.bits)
        }
    }

    /// The range file's data about the card: each field only when the matching range has it. The country
    /// and funding from the card's record; its texts (legacy brand, product, issuer, networks: `texts`, its
    /// ``CardAttributes/textBlockUTF8``) copied as the registry keeps them, already laid out as fields,
    /// their kinds then replaced by the tags.
    @usableFromInline static func writeCardData(
        _ card: CardAttributes,
        texts: UnsafeBufferPointer<UInt8>,
        to fields: inout FieldWriter
    ) {
        let country = card.packedIssuerCountry
        if country != 0 {
            fields.field(ResponseTag.issuerCountry.rawValue, maximum: 2) { bytes in
                bytes.storeBytes(of: UInt8(country >> 8), toByteOffset: 0, as: UInt8.self)
                bytes.storeBytes(of: UInt8(country & 0xFF), toByteOffset: 1, as: UInt8.self)
                return 2
            }
        }
        if let funding = card.funding { fields.byte(ResponseTag.funding.rawValue, funding.rawValue) }
        fields.fieldBlock(texts) { kind in
            // Each kind's tag in the byte of this word that the kind (0-3) numbers: a shift, no branch.
            func tag(_ tag: ResponseTag, of kind: CardText) -> UInt32 { UInt32(tag.rawValue) << (8 * kind.rawValue) }
            let tags =
                tag(.legacyBrand, of: .legacyBrand) | tag(.product, of: .product) | tag(.issuer, of: .issuer)
                | tag(.networks, of: .networks)
            return UInt8(truncatingIfNeeded: tags >> (UInt32(kind & 3) &* 8))
        }
    }

    /// Reads a result (the client side).
    public static func readResult(_ fields: ByteBuffer) throws(WireError) -> ValidationResult {
        var masked: MaskedPAN?
        var luhnValid: Bool?
        var brand: Brand?
        var legacyBrand: Brand?
        var issuerCountry: String?
        var funding: Funding?
        var product: String?
        var issuer: String?
        var networks: [Brand] = []
        var lengthValid: Bool?
        var expiry: ExpiryStatus?
        var presence: CSCPresence?
        var formatValid: Bool?
        var cscResult: CSCResult?
        var avsCode: AVSCode?
        var streetMatch: Bool?
        var postalMatch: Bool?
        var threeDSResult: ThreeDSResult?
        var liabilityShift: Bool?
        var valueResult: AuthenticationValueResult?
        var action: Action?
        var reasons: ReasonSet?
        var reader = FieldReader(fields) { ResponseTag(rawValue: $0)?.name }
        while let (tag, value) = try reader.next() {
            switch ResponseTag(rawValue: tag) {
            case .maskedPAN:
                guard let parsed = MaskedPAN(value.text) else {
                    throw WireError.invalid("masked_pan", "not a masked PAN")
                }
                masked = parsed
            case .luhnValid: luhnValid = try value.bool(named: "luhn_valid")
            case .brand: brand = try ValidateCodec.brand(value.text, field: "brand")
            case .legacyBrand: legacyBrand = try ValidateCodec.brand(value.text, field: "legacy_brand")
            case .issuerCountry:
                guard CountryCode.isAlpha2(value.text) else { throw WireError.invalid("issuer_country", "not alpha-2") }
                issuerCountry = value.text
            case .funding: funding = try value.code(named: "funding", Funding.init(rawValue:))
            case .product: product = value.text
            case .issuer: issuer = value.text
            case .networks:
                networks = []
                for name in value.text.split(separator: ";") {
                    networks.append(try ValidateCodec.brand(String(name), field: "networks"))
                }
            case .lengthValid: lengthValid = try value.bool(named: "length_valid")
            case .expiry: expiry = try value.code(named: "expiry", ExpiryStatus.init(rawValue:))
            case .cscPresence: presence = try value.code(named: "csc_presence", CSCPresence.init(rawValue:))
            case .cscFormatValid: formatValid = try value.bool(named: "csc_format_valid")
            case .cscResult:
                cscResult = try value.code(named: "csc_result") { CSCResult(letter: Character(Unicode.Scalar($0))) }
            case .avsResult:
                avsCode = try value.code(named: "avs_result") { AVSCode(letter: Character(Unicode.Scalar($0))) }
            case .avsStreetMatch: streetMatch = try value.bool(named: "avs_street_match")
            case .avsPostalMatch: postalMatch = try value.bool(named: "avs_postal_match")
            case .threeDSResult:
                threeDSResult = try value.code(named: "three_ds_result", ThreeDSResult.init(rawValue:))
            case .liabilityShift: liabilityShift = try value.bool(named: "liability_shift")
            case .authenticationValueResult:
                valueResult = try value.code(named: "authentication_value_result") {
                    AuthenticationValueResult(letter: Character(Unicode.Scalar($0)))
                }
            case .action: action = try value.code(named: "action", Action.init(rawValue:))
            case .reasons: reasons = ReasonSet(bits: try value.integer(named: "reasons"))
            case nil: break
            }
        }
        guard let action, let reasons else {
            throw WireError(kind: .missingField, message: "result without action or reasons")
        }
        var pan: PANCheck?
        if let masked {
            guard let luhnValid, let lengthValid else {
                throw WireError(kind: .missingField, message: "PAN result incomplete")
            }
            let card = brand.map {
                CardAttributes(
                    brand: $0,
                    legacyBrand: legacyBrand,
                    issuerCountry: issuerCountry,
                    funding: funding,
                    product: product,
                    issuer: issuer,
                    networks: networks
                )
            }
            pan = PANCheck(masked: masked, luhnValid: luhnValid, card: card, lengthValid: lengthValid)
        }
        return ValidationResult(
            pan: pan,
            expiry: expiry,
            csc: presence.map { CSCCheck(presence: $0, formatValid: formatValid, result: cscResult) },
            avs: avsCode.map { AVSCheck(code: $0, streetMatch: streetMatch, postalMatch: postalMatch) },
            threeDS: threeDSResult.map {
                ThreeDSCheck(result: $0, liabilityShift: liabilityShift ?? false, valueResult: valueResult)
            },
            action: action,
            reasons: reasons
        )
    }

    /// A brand named in an answer: a built-in one, or one the server's brands file declared (known here by
    /// its name only).
    static func brand(_ name: String, field: String) throws(WireError) -> Brand {
        guard CardDataFile.isValidBrandName(name) else { throw WireError.invalid(field, "not a brand name") }
        return Brand(named: name)
    }
}
