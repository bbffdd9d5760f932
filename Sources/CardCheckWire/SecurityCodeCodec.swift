import CardCheck
import NIOCore

/// `CSC_GENERATE` and `CSC_VERIFY`: card verification values under the issuer's keys, for any service
/// code. Request fields: 0x01 pan, 0x02 expiry (as `VALIDATE`: `MMYY`, `MM/YY`, `MM/YYYY`), 0x03 service
/// code (3 digits, default `000`: the printed CVV2/CVC2), and for `CSC_VERIFY` 0x04 csc (3 digits; 3 or 4
/// for American Express, which is answered U).
public enum SecurityCodeCodec {
    @usableFromInline
    enum RequestTag: UInt8 {
        case pan = 0x01
        case expiry = 0x02
        case serviceCode = 0x03
        case csc = 0x04

        /// The name of field `tag` in PROTOCOL.md; nil for a tag this request lacks.
        static func name(of tag: UInt8) -> String? { RequestTag(rawValue: tag)?.name }

        var name: String {
            switch self {
            case .pan: "pan"
            case .expiry: "expiry"
            case .serviceCode: "service_code"
            case .csc: "csc"
            }
        }
    }

    enum ResponseTag: UInt8 {
        case code = 0x01
        case keyName = 0x02
        case keyCheckValue = 0x03
        case result = 0x04
    }

    /// A request as the client builds it.
    public struct Request: Sendable, Hashable {
        public var pan: String
        public var expiry: String
        public var serviceCode: String
        /// The code to check (`CSC_VERIFY` only).
        public var csc: String?

        public init(pan: String, expiry: String, serviceCode: String = "000", csc: String? = nil) {
            self.pan = pan
            self.expiry = expiry
            self.serviceCode = serviceCode
            self.csc = csc
        }

        public func write(to buffer: inout ByteBuffer) {
            buffer.writeField(RequestTag.pan.rawValue, text: pan)
            buffer.writeField(RequestTag.expiry.rawValue, text: expiry)
            buffer.writeField(RequestTag.serviceCode.rawValue, text: serviceCode)
            if let csc { buffer.writeField(RequestTag.csc.rawValue, text: csc) }
        }
    }

    /// A request as the server reads it. `csc` points into the frame: valid only inside the body of
    /// ``withRequest(in:today:_:)``, and never copied.
    public struct Parsed {
        public var pan: PAN
        public var expiry: YearMonth
        public var serviceCode: UInt16
        public var csc: UnsafeBufferPointer<UInt8>?
    }

    /// Reads a request straight from the frame's bytes and runs `body` with it.
    @inlinable
    public static func withRequest<R>(
        in fields: ByteBuffer,
        today: YearMonth,
        _ body: (Parsed) throws(WireError) -> R
    ) throws(WireError) -> R {
        let outcome: Result<R, WireError> = fields.withUnsafeReadableBytes { raw in
            Result { () throws(WireError) -> R in
                let bytes = UnsafeBufferPointer(
                    start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    count: raw.count
                )
                return try body(try parse(bytes, today: today))
            }
        }
        return try outcome.get()
    }

    @usableFromInline
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, today: YearMonth) throws(WireError) -> Parsed {
        var pan: UnsafeBufferPointer<UInt8>?
        var expiry: UnsafeBufferPointer<UInt8>?
        var serviceCode: UnsafeBufferPointer<UInt8>?
        var csc: UnsafeBufferPointer<UInt8>?
        var fields = RawFields(bytes)
        while let (tag, value) = try fields.next(names: RequestTag.name(of:)) {
            guard let known = RequestTag(rawValue: tag) else { continue }  // unknown: skipped
            switch known {
            case .pan: pan = value
            case .expiry: expiry = value
            case .serviceCode: serviceCode = value
            case .csc: csc = value
            }
        }
        guard let pan else {
            throw WireError(kind: .missingField, field: "pan", message: "a card verification value needs the PAN")
        }
        guard let expiry else {
            throw WireError(kind: .missingField, field: "expiry", message: "a card verification value needs the expiry")
        }
        let card: PAN
        do { card = try PAN(utf8: pan) } catch { throw WireError(error) }
        guard let month = Expiry.parse(utf8: expiry, today: today)?.month else {
            throw WireError.invalid("expiry", "the expiry is MMYY, MM/YY or MM/YYYY with a month from 01 to 12")
        }
        var service: UInt16 = 0
        if let serviceCode {
            guard let digits = threeDigits(serviceCode) else {
                throw WireError.invalid("service_code", "a service code is 3 digits")
            }
            service = digits
        }
        // Three digits, or four (American Express's CID, which CSC_VERIFY answers U); the responder holds
        // each brand to its own length. The message never carries the value itself.
        if let csc, !(3...4).contains(csc.count) || !csc.allSatisfy({ $0 &- 0x30 < 10 }) {
            throw WireError.invalid("csc", "a card verification value is 3 digits")
        }
        return Parsed(pan: card, expiry: month, serviceCode: service, csc: csc)
    }

    private static func threeDigits(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt16? {
        guard bytes.count == 3 else { return nil }
        var value: UInt16 = 0
        for byte in bytes {
            let digit = byte &- 0x30
            guard digit < 10 else { return nil }
            value = value * 10 + UInt16(digit)
        }
        return value
    }

    // MARK: Responses

    /// A generated code and the key that made it.
    public struct Generated: Sendable, Hashable {
        public var code: String
        public var key: KeyIdentity

        public init(code: String, key: KeyIdentity) {
            self.code = code
            self.key = key
        }

        public func write(to buffer: inout ByteBuffer) {
            buffer.writeField(ResponseTag.code.rawValue, text: code)
            buffer.writeField(ResponseTag.keyName.rawValue, text: key.name)
            buffer.writeField(ResponseTag.keyCheckValue.rawValue, text: key.checkValue)
        }

        public init(fields: ByteBuffer) throws(WireError) {
            var code: String?
            var name: String?
            var kcv: String?
            var reader = FieldReader(fields)
            while let (tag, value) = try reader.next() {
                switch ResponseTag(rawValue: tag) {
                case .code: code = value.text
                case .keyName: name = value.text
                case .keyCheckValue: kcv = value.text
                default: break
                }
            }
            guard let code, let name, let kcv else {
                throw WireError(kind: .missingField, message: "CSC_GENERATE response without code, key name and KCV")
            }
            self.init(code: code, key: KeyIdentity(name: name, checkValue: kcv))
        }
    }

    /// Writes a `CSC_VERIFY` answer: the result letter (M, N, U) and, for M, the key that matched.
    public static func write(_ verification: SecurityCodeVerification, to buffer: inout ByteBuffer) {
        buffer.writeField(ResponseTag.result.rawValue, byte: verification.result.letter.asciiValue!)
        if case .match(let key) = verification {
            buffer.writeField(ResponseTag.keyName.rawValue, text: key.name)
            buffer.writeField(ResponseTag.keyCheckValue.rawValue, text: key.checkValue)
        }
    }

    /// Reads a `CSC_VERIFY` answer.
    public static func verification(fields: ByteBuffer) throws(WireError) -> SecurityCodeVerification {
        var result: CSCResult?
        var name: String?
        var kcv: String?
        var reader = FieldReader(fields)
        while let (tag, value) = try reader.next() {
            switch ResponseTag(rawValue: tag) {
            case .result: result = try value.code(named: "result") { CSCResult(letter: Character(Unicode.Scalar($0))) }
            case .keyName: name = value.text
            case .keyCheckValue: kcv = value.text
            default: break
            }
        }
        switch result {
        case .M?:
            guard let name, let kcv else {
                throw WireError(kind: .missingField, message: "a match (CSC_VERIFY, CAVV_VERIFY) without its key")
            }
            return .match(KeyIdentity(name: name, checkValue: kcv))
        case .N?: return .noMatch
        case .U?: return .noKey
        case .L?: return .locked
        default:
            throw WireError(
                kind: .malformed,
                message: "a CSC_VERIFY or CAVV_VERIFY response without a result M, N, U or L"
            )
        }
    }
}
