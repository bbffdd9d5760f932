import CardCheck

/// The fast path of ``JSONLineRequest/parse(_:)``: one pass over the line's UTF-8 bytes for the shape
/// nearly every line has (one object of known keys, each once, with string or null values and an
/// integer or string `csc_indicator`). Anything else (an unknown or repeated key, a nested value, a
/// number where a string belongs, a fraction, a syntax error) returns nil, and the line goes to
/// Foundation's JSONDecoder, which decides it and its error exactly as before. So this scanner never
/// rejects a line and never decides an error: it only accepts what it can read with certainty.
/// Measured: Foundation's decoder was most of `cardcheck validate`'s cost per line (Benchmarks/README.md).
enum FlatRequestScanner {
    /// The request `line` holds, or nil when the line is not of the simple shape.
    static func request(_ line: some StringProtocol) -> ValidationRequest? {
        var text = String(line)
        return text.withUTF8 { bytes in
            var scanner = Cursor(bytes: bytes)
            return scanner.request()
        }
    }

    /// The request keys, by their index in ``JSONLineRequest/keys``.
    private enum Key: Int, CaseIterable {
        case pan, expiry, csc, cscIndicator, street, postalCode, country, onFileStreet, onFilePostalCode,
            onFileCountry, threeDSStatus, eci, authenticationValue, threeDSVersion, threeDSStatusReason, profile

        static let names: [[UInt8]] = JSONLineRequest.keys.map { Array($0.utf8) }
    }

    private struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// A key without escapes, matched against the known keys.
        mutating func key() -> Key? {
            guard take(0x22) else { return nil }
            let start = index
            while index < bytes.count, bytes[index] != 0x22 {
                guard bytes[index] != 0x5C, bytes[index] >= 0x20 else { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            let name = UnsafeBufferPointer(rebasing: bytes[start..<index])
            index += 1
            for key in Key.allCases where Key.names[key.rawValue].elementsEqual(name) { return key }
            return nil
        }

        /// A string value (after its opening quote has been seen), escapes decoded as JSON defines them.
        mutating func string() -> String? {
            guard take(0x22) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x22 {
                    let plain = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    index += 1
                    return plain
                }
                if byte == 0x5C { return escapedString(from: start) }
                guard byte >= 0x20 else { return nil }
                index += 1
            }
            return nil
        }

        private mutating func escapedString(from start: Int) -> String? {
            var scalars = String.UnicodeScalarView()
            var plainStart = start
            func flushPlain(_ end: Int, into scalars: inout String.UnicodeScalarView) {
                let plain = String(decoding: UnsafeBufferPointer(rebasing: bytes[plainStart..<end]), as: UTF8.self)
                scalars.append(contentsOf: plain.unicodeScalars)
            }
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x22 {
                    flushPlain(index, into: &scalars)
                    index += 1
                    return String(scalars)
                }
                guard byte >= 0x20 else { return nil }
                guard byte == 0x5C else {
                    index += 1
                    continue
                }
                flushPlain(index, into: &scalars)
                index += 1
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case 0x22: scalars.append("\"")
                case 0x5C: scalars.append("\\")
                case 0x2F: scalars.append("/")
                case 0x62: scalars.append("\u{08}")
                case 0x66: scalars.append("\u{0C}")
                case 0x6E: scalars.append("\n")
                case 0x72: scalars.append("\r")
                case 0x74: scalars.append("\t")
                case 0x75:
                    guard let unit = hex4() else { return nil }
                    if (0xD800...0xDBFF).contains(unit) {
                        // A surrogate pair: the low half must follow as its own \u escape.
                        guard index + 1 < bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 else {
                            return nil
                        }
                        index += 2
                        guard let low = hex4(), (0xDC00...0xDFFF).contains(low),
                            let scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                        else { return nil }
                        scalars.append(scalar)
                    } else {
                        guard let scalar = Unicode.Scalar(unit) else { return nil }  // a lone low surrogate
                        scalars.append(scalar)
                    }
                default: return nil
                }
                plainStart = index
            }
            return nil
        }

        private mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case 0x30...0x39: digit = byte - 0x30
                case 0x41...0x46: digit = byte - 0x41 + 10
                case 0x61...0x66: digit = byte - 0x61 + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        /// `null`, consumed; false (nothing consumed) when the value is something else.
        mutating func null() -> Bool {
            skipSpace()
            guard index + 4 <= bytes.count, bytes[index] == 0x6E, bytes[index + 1] == 0x75, bytes[index + 2] == 0x6C,
                bytes[index + 3] == 0x6C
            else { return false }
            index += 4
            return true
        }

        /// A JSON integer of at most 9 digits (no fraction, exponent or leading zero): other numbers go to
        /// the decoder.
        mutating func integer() -> Int? {
            skipSpace()
            var negative = false
            if index < bytes.count, bytes[index] == 0x2D {
                negative = true
                index += 1
            }
            let start = index
            var value = 0
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
                value = value * 10 + Int(bytes[index] - 0x30)
                index += 1
            }
            let digits = index - start
            guard digits >= 1, digits <= 9, !(digits > 1 && bytes[start] == 0x30) else { return nil }
            if index < bytes.count, [0x2E, 0x65, 0x45].contains(bytes[index]) { return nil }  // . e E
            return negative ? -value : value
        }

        mutating func request() -> ValidationRequest? {
            guard take(0x7B) else { return nil }  // {
            var request = ValidationRequest()
            var onFile = Address()
            var seen = 0
            if !take(0x7D) {  // not }
                repeat {
                    guard let key = key(), seen & (1 << key.rawValue) == 0, take(0x3A) else { return nil }
                    seen |= 1 << key.rawValue
                    if null() { continue }
                    skipSpace()
                    guard index < bytes.count else { return nil }
                    if key == .cscIndicator {
                        if bytes[index] == 0x22 {
                            // As the decoder's path does: the string's text read as a Swift Int.
                            guard let text = string(), let number = Int(text) else { return nil }
                            request.cscIndicator = number
                        } else {
                            guard let number = integer() else { return nil }
                            request.cscIndicator = number
                        }
                        continue
                    }
                    guard bytes[index] == 0x22, let text = string() else { return nil }
                    switch key {
                    case .pan: request.pan = text
                    case .expiry: request.expiry = text
                    case .csc: request.csc = text
                    case .street: request.address.street = text
                    case .postalCode: request.address.postalCode = text
                    case .country: request.address.country = text
                    case .onFileStreet: onFile.street = text
                    case .onFilePostalCode: onFile.postalCode = text
                    case .onFileCountry: onFile.country = text
                    case .threeDSStatus: request.threeDS.status = text
                    case .eci: request.threeDS.eci = text
                    case .authenticationValue: request.threeDS.authenticationValue = text
                    case .threeDSVersion: request.threeDS.version = text
                    case .threeDSStatusReason: request.threeDS.statusReason = text
                    case .profile: request.profile = text
                    case .cscIndicator: return nil  // handled above
                    }
                } while take(0x2C)  // ,
                guard take(0x7D) else { return nil }
            }
            skipSpace()
            guard index == bytes.count else { return nil }
            request.onFileAddress = onFile == Address() ? nil : onFile
            return request
        }
    }
}
