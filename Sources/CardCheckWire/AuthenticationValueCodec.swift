import CardCheck
import NIOCore

/// `CAVV_GENERATE` and `CAVV_VERIFY`: 3-D Secure authentication values (Visa CAVV, Mastercard SPA AAV)
/// under the issuer's keys. Not on the hot path: fields are read into values, not borrowed.
public enum AuthenticationValueCodec {
    enum RequestTag: UInt8, CaseIterable {
        case pan = 0x01
        case authenticationValue = 0x02
        case threeDSStatus = 0x03
        case keyIndicator = 0x04
        case transactionNumber = 0x05
        case secondFactor = 0x06
        case merchantName = 0x07
        case acsIdentifier = 0x08
        case authenticationMethod = 0x09

        var name: String {
            switch self {
            case .pan: "pan"
            case .authenticationValue: "authentication_value"
            case .threeDSStatus: "three_ds_status"
            case .keyIndicator: "key_indicator"
            case .transactionNumber: "transaction_number"
            case .secondFactor: "second_factor"
            case .merchantName: "merchant_name"
            case .acsIdentifier: "acs_id"
            case .authenticationMethod: "authentication_method"
            }
        }
    }

    /// A request as the client builds it and the server reads it: the fields as text, as PROTOCOL.md gives
    /// them. `CAVV_GENERATE` uses every field but `authenticationValue`; `CAVV_VERIFY` the PAN and that.
    public struct Request: Sendable, Hashable, CustomStringConvertible {
        public var pan: String
        public var authenticationValue: String?
        public var threeDSStatus: String?
        public var keyIndicator: String?
        public var transactionNumber: String?
        public var secondFactor: String?
        public var merchantName: String?
        public var acsIdentifier: String?
        public var authenticationMethod: String?

        public init(
            pan: String,
            authenticationValue: String? = nil,
            threeDSStatus: String? = nil,
            keyIndicator: String? = nil,
            transactionNumber: String? = nil,
            secondFactor: String? = nil,
            merchantName: String? = nil,
            acsIdentifier: String? = nil,
            authenticationMethod: String? = nil
        ) {
            self.pan = pan
            self.authenticationValue = authenticationValue
            self.threeDSStatus = threeDSStatus
            self.keyIndicator = keyIndicator
            self.transactionNumber = transactionNumber
            self.secondFactor = secondFactor
            self.merchantName = merchantName
            self.acsIdentifier = acsIdentifier
            self.authenticationMethod = authenticationMethod
        }

        /// The PAN masked; the authentication value hidden.
        public var description: String {
            let masked = (try? PAN(pan)).map { "\($0.masked)" } ?? "<not a PAN>"
            return "AuthenticationValueRequest(pan: \(masked), status: \(threeDSStatus ?? "-"))"
        }

        private var values: [(RequestTag, String?)] {
            [
                (.pan, pan), (.authenticationValue, authenticationValue), (.threeDSStatus, threeDSStatus),
                (.keyIndicator, keyIndicator), (.transactionNumber, transactionNumber),
                (.secondFactor, secondFactor), (.merchantName, merchantName), (.acsIdentifier, acsIdentifier),
                (.authenticationMethod, authenticationMethod),
            ]
        }

        public func write(to buffer: inout ByteBuffer) {
            for case (let tag, let value?) in values { buffer.writeField(tag.rawValue, text: value) }
        }

        public init(fields: ByteBuffer) throws(WireError) {
            var read: [RequestTag: String] = [:]
            var reader = FieldReader(fields) { RequestTag(rawValue: $0)?.name }
            while let (tag, value) = try reader.next() {
                guard let known = RequestTag(rawValue: tag) else { continue }  // unknown: skipped
                read[known] = value.text
            }
            guard let pan = read[.pan] else {
                throw WireError(kind: .missingField, field: "pan", message: "an authentication value needs the PAN")
            }
            self.init(
                pan: pan,
                authenticationValue: read[.authenticationValue],
                threeDSStatus: read[.threeDSStatus],
                keyIndicator: read[.keyIndicator],
                transactionNumber: read[.transactionNumber],
                secondFactor: read[.secondFactor],
                merchantName: read[.merchantName],
                acsIdentifier: read[.acsIdentifier],
                authenticationMethod: read[.authenticationMethod]
            )
        }

        /// The card: Mod-10 is the caller's to check, as for every operation.
        public func card() throws(WireError) -> PAN {
            do { return try PAN(pan) } catch { throw WireError(error) }
        }

        /// The value to check (`CAVV_VERIFY`).
        public func value() throws(WireError) -> AuthenticationValue {
            guard let text = authenticationValue else {
                throw WireError(
                    kind: .missingField,
                    field: "authentication_value",
                    message: "CAVV_VERIFY needs the authentication value to check"
                )
            }
            var bytes = Array(text.utf8)
            guard let value = bytes.withUnsafeMutableBufferPointer({ AuthenticationValue(utf8: .init($0)) }) else {
                throw WireError(
                    kind: .invalidField,
                    code: "authentication_value_invalid",
                    field: "authentication_value",
                    message: "an authentication value is the base64 of 20 bytes or 40 hex digits"
                )
            }
            return value
        }

        /// What to make (`CAVV_GENERATE`), read for a Visa card (a 16-digit tracking number) or a Mastercard
        /// one (an 8-hex-digit sequence number). Ranges are the order's to check.
        public func order(visa: Bool) throws(WireError) -> AuthenticationValueOrder {
            guard let statusText = threeDSStatus else {
                throw WireError(
                    kind: .missingField,
                    field: "three_ds_status",
                    message: "CAVV_GENERATE needs the status, Y or A"
                )
            }
            guard statusText.utf8.count == 1, let status = ThreeDSStatus(asciiLetter: statusText.utf8.first!) else {
                throw WireError(
                    kind: .invalidField,
                    code: "three_ds_status_invalid",
                    field: "three_ds_status",
                    message: "a 3-D Secure status is one of Y A N U R C D I"
                )
            }
            var order = AuthenticationValueOrder(status: status, merchantName: merchantName ?? "")
            order.keyIndicator = try Self.number(keyIndicator, .keyIndicator, digits: 1...2, radix: 10).map(UInt8.init)
            order.transactionNumber = try Self.number(
                transactionNumber,
                .transactionNumber,
                digits: visa ? 16...16 : 8...8,
                radix: visa ? 10 : 16
            )
            order.secondFactor = try UInt8(Self.number(secondFactor, .secondFactor, digits: 2...2, radix: 10) ?? 0)
            order.acsIdentifier = try UInt8(Self.number(acsIdentifier, .acsIdentifier, digits: 1...1, radix: 10) ?? 0)
            order.authenticationMethod = try Self.number(
                authenticationMethod,
                .authenticationMethod,
                digits: 1...1,
                radix: 10
            ).map(UInt8.init)
            return order
        }

        private static func number(
            _ text: String?,
            _ tag: RequestTag,
            digits: ClosedRange<Int>,
            radix: Int
        ) throws(WireError) -> UInt64? {
            guard let text else { return nil }
            guard digits.contains(text.utf8.count), text.utf8.allSatisfy({ $0 < 0x80 }),
                let value = UInt64(text, radix: radix)
            else {
                let what = radix == 16 ? "hex digits" : "digits"
                let count = digits.count == 1 ? "\(digits.lowerBound)" : "\(digits.lowerBound) to \(digits.upperBound)"
                throw WireError(
                    kind: .invalidField,
                    code: "\(tag.name)_invalid",
                    field: tag.name,
                    message: "\(tag.name) is \(count) \(what) for this card"
                )
            }
            return value
        }
    }

    /// A generated authentication value and the key that made it. Response tags as `CSC_GENERATE`'s:
    /// 0x01 the value (base64, padded), 0x02 the key's name, 0x03 its check value.
    public struct Generated: Sendable, Hashable, CustomStringConvertible {
        public var value: AuthenticationValue
        public var key: KeyIdentity

        public init(value: AuthenticationValue, key: KeyIdentity) {
            self.value = value
            self.key = key
        }

        /// Names the key, never the value.
        public var description: String { "GeneratedAuthenticationValue(key: \(key.name), KCV \(key.checkValue))" }

        public func write(to buffer: inout ByteBuffer) {
            buffer.writeField(0x01, text: value.base64)
            buffer.writeField(0x02, text: key.name)
            buffer.writeField(0x03, text: key.checkValue)
        }

        public init(fields: ByteBuffer) throws(WireError) {
            var text: String?
            var name: String?
            var kcv: String?
            var reader = FieldReader(fields)
            while let (tag, field) = try reader.next() {
                switch tag {
                case 0x01: text = field.text
                case 0x02: name = field.text
                case 0x03: kcv = field.text
                default: break
                }
            }
            guard let text, let name, let kcv else {
                throw WireError(kind: .missingField, message: "CAVV_GENERATE response without value, key name and KCV")
            }
            var bytes = Array(text.utf8)
            guard let value = bytes.withUnsafeMutableBufferPointer({ AuthenticationValue(utf8: .init($0)) }) else {
                throw WireError(kind: .malformed, message: "CAVV_GENERATE response with a value that is not 20 bytes")
            }
            self.init(value: value, key: KeyIdentity(name: name, checkValue: kcv))
        }
    }
}
