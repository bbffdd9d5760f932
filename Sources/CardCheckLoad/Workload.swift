import CardCheck
import CardCheckCrypto
import CardCheckServer
import CardCheckWire
import NIOCore

/// The requests a load run sends, made once before it starts: each is a finished frame whose request id
/// is its index + 1, with the exact response the engine gives it in this process (same keys, the card
/// networks' default policy). The run sends these buffers as they are and compares the answers byte for
/// byte: no encoding, decoding or allocation per request.
public struct Workload: Sendable {
    public struct Template: Sendable {
        public var kind: RequestKind
        public var request: ByteBuffer
        /// The whole response frame, length prefix included.
        public var expected: ByteBuffer
    }

    public let templates: [Template]
    public let mix: RequestMix

    /// `count` requests drawn from `mix` with the seeded generator. `keys` is the daemon's key table, so
    /// that codes are made right (or deliberately wrong) for covered cards and answers can be checked.
    public init(
        mix: RequestMix,
        seed: UInt64,
        count: Int = 4_096,
        keys: KeyTable?,
        cards directory: CardDirectory = .standard,
        today: YearMonth
    ) {
        var cards = TestCards(seed: seed, keys: keys)
        var validator = Validator(cards: directory)
        validator.securityCodes = keys
        validator.authenticationValues = keys
        let responder = Responder(validator: validator, securityCodes: keys, authenticationValues: keys)
        var templates: [Template] = []
        templates.reserveCapacity(count)
        for index in 0..<count {
            let kind = mix.kind(at: Int(cards.next() % UInt64(mix.total)))
            let (opcode, fields) = cards.request(kind, today: today)
            var request = ByteBuffer()
            request.writeFrame(Frame(opcode: opcode.rawValue, requestID: UInt32(index + 1), fields: fields))
            var expected = ByteBuffer()
            let frame = Frame(opcode: opcode.rawValue, requestID: UInt32(index + 1), fields: fields)
            _ = responder.respond(to: frame, today: today, into: &expected)
            templates.append(Template(kind: kind, request: request, expected: expected))
        }
        self.templates = templates
        self.mix = mix
    }

    private init(templates: [Template], mix: RequestMix) {
        self.templates = templates
        self.mix = mix
    }

    /// Redis's `PING` as redis-benchmark sends it (`PING_MBULK`: a RESP array of one bulk string), and the
    /// simple string it must answer. RESP answers carry no id: they come in the order of the requests.
    public static let redisPing = Workload(
        templates: [
            Template(
                kind: .ping,
                request: ByteBuffer(string: "*1\r\n$4\r\nPING\r\n"),
                expected: ByteBuffer(string: "+PONG\r\n")
            )
        ],
        mix: try! RequestMix("ping")
    )
}

/// Seeded cards for load runs: Luhn-valid PANs over the common brands (or in the key table's ranges for
/// CSC checks), expiries ahead, codes right or wrong, addresses that match, half match or do not.
struct TestCards {
    private var state: UInt64
    private let keys: KeyTable?

    init(seed: UInt64, keys: KeyTable?) {
        state = seed
        self.keys = keys
    }

    /// SplitMix64.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func pick<T>(_ options: [T]) -> T { options[Int(next() % UInt64(options.count))] }

    /// A Luhn-valid PAN of `length` digits starting with `prefix`.
    mutating func pan(prefix: String, length: Int) -> String {
        var payload = prefix
        while payload.count < length - 1 { payload.append(Character(String(next() % 10))) }
        return payload + String(Luhn.checkDigit(for: payload))
    }

    /// A card of a common brand, roughly as traffic mixes them.
    mutating func anyPAN() -> String {
        let (prefix, length) = pick([
            ("4", 16), ("4", 16), ("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("37", 15),
            ("6011", 16), ("3528", 16), ("62", 16), ("2200", 16), ("36", 14), ("4", 19),
        ])
        return pan(prefix: prefix, length: length)
    }

    /// A card some CVV key covers, or any card when there are no keys.
    mutating func coveredPAN() -> String {
        pan(in: keys?.ranges.map { ($0.low, $0.high, $0.digits) } ?? [])
    }

    /// A card some CAVV or AAV key covers, or any card when there are none.
    mutating func coveredAuthenticationPAN() -> String {
        pan(in: keys?.authenticationRanges.map { ($0.low, $0.high, $0.digits) } ?? [])
    }

    /// A 16-digit card in one of `ranges` (prefixes of `digits` digits), or any card when there are none.
    private mutating func pan(in ranges: [(low: UInt64, high: UInt64, digits: Int)]) -> String {
        guard !ranges.isEmpty else { return anyPAN() }
        let range = pick(ranges)
        let prefix = String(range.low + next() % (range.high - range.low + 1))
        return pan(prefix: String(repeating: "0", count: max(0, range.digits - prefix.count)) + prefix, length: 16)
    }

    /// For `Y` or `A`: the issuer's value where a key covers the card (one byte changed about half the
    /// time), otherwise 20 seeded bytes that start with the Visa results code of the status.
    mutating func authenticationValue(pan: String, status: ThreeDSStatus) -> AuthenticationValue {
        let card = try? PAN(pan)
        if let keys, let card,
            let issued = try? keys.issueAuthenticationValue(
                AuthenticationValueOrder(status: status, transactionNumber: next() % 10_000_000_000_000_000),
                pan: card,
                card: CardDirectory.standard.attributes(of: card)
            )
        {
            var bytes = issued.value.byteArray
            if next() % 2 == 0 { bytes[4] ^= 0x01 }
            return AuthenticationValue(bytes: bytes)!
        }
        var bytes = (0..<20).map { _ in UInt8(truncatingIfNeeded: next()) }
        bytes[0] = status == .Y ? 0 : 7
        return AuthenticationValue(bytes: bytes)!
    }

    mutating func expiry(_ today: YearMonth) -> (text: String, month: YearMonth) {
        let ahead = Int(1 + next() % 59)
        let ordinal = today.year * 12 + (today.month - 1) + ahead
        let month = YearMonth(year: ordinal / 12, month: ordinal % 12 + 1)!
        let text = (month.month < 10 ? "0" : "") + "\(month.month)/" + String(String(month.year).suffix(2))
        return (text, month)
    }

    /// The CVV2 for a covered card, right about half the time; three random digits otherwise.
    mutating func code(pan: String, month: YearMonth, length: Int) -> String {
        if length == 3, next() % 2 == 0, let keys, let card = try? PAN(pan),
            let issued = keys.issueCode(pan: card, expiry: month, serviceCode: 0)
        {
            return issued.code
        }
        return (0..<length).map { _ in String(next() % 10) }.joined()
    }

    mutating func request(_ kind: RequestKind, today: YearMonth) -> (Opcode, ByteBuffer) {
        var fields = ByteBuffer()
        switch kind {
        case .luhn:
            var request = ValidationRequest()
            request.pan = next() % 20 == 0 ? String(anyPAN().dropLast()) + "0" : anyPAN()  // some fail Luhn
            try? ValidateCodec.write(request, to: &fields)
            return (.validate, fields)
        case .full, .threeDS:
            let pan = next() % 2 == 0 ? coveredPAN() : anyPAN()
            let (text, month) = expiry(today)
            var request = ValidationRequest()
            request.pan = pan
            request.expiry = text
            request.csc = code(pan: pan, month: month, length: pan.hasPrefix("37") ? 4 : 3)
            request.cscIndicator = 1
            let number = 100 + next() % 3
            request.address = Address(
                street: "\(number) Main St",
                postalCode: pick(["12345", "12345-6789", "54321"]),
                country: "US"
            )
            request.onFileAddress = Address(
                street: "\(100 + next() % 3) Main Street",
                postalCode: pick(["12345", "123456789"]),
                country: "US"
            )
            if kind == .threeDS {
                let status = pick([ThreeDSStatus.Y, .Y, .Y, .Y, .Y, .Y, .A, .A, .N, .U, .R, .C, .I])
                let mastercard = pan.hasPrefix("5") || pan.hasPrefix("2221")
                let eci: String
                switch status {
                case .Y: eci = mastercard ? "02" : "05"
                case .A: eci = mastercard ? "01" : "06"
                default: eci = mastercard ? "00" : "07"
                }
                request.threeDS = ThreeDSData(status: String(status.letter), eci: eci, version: "2.2.0")
                if status == .Y || status == .A {
                    request.threeDS.authenticationValue = authenticationValue(pan: pan, status: status).base64
                }
            }
            try? ValidateCodec.write(request, to: &fields)
            return (.validate, fields)
        case .cavv:
            let pan = coveredAuthenticationPAN()
            let value = authenticationValue(pan: pan, status: next() % 4 == 0 ? .A : .Y)
            AuthenticationValueCodec.Request(pan: pan, authenticationValue: value.hex).write(to: &fields)
            return (.cavvVerify, fields)
        case .csc:
            let pan = coveredPAN()
            let (text, month) = expiry(today)
            SecurityCodeCodec.Request(pan: pan, expiry: text, csc: code(pan: pan, month: month, length: 3)).write(
                to: &fields
            )
            return (.cscVerify, fields)
        case .ping:
            return (.ping, fields)
        case .interpret:
            InterpretRequest(avs: pick([.X, .Y, .A, .W, .Z, .N, .U, .R, .G]), csc: pick([.M, .N, .P, .S, .U])).write(
                to: &fields
            )
            return (.interpret, fields)
        }
    }
}
