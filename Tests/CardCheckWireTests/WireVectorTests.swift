import CardCheck
import CardCheckCrypto
import CardCheckServer
import CardCheckTestSupport
import CardCheckWire
import Foundation
import NIOCore
import Testing

/// Protocol/vectors/wire.json: request and response frames made by Protocol/vectors/encode.py from their
/// meanings (PROTOCOL.md), independently of this codec; the daemon they describe holds the file's keys.
struct WireVectors: Decodable {
    struct Vector: Decodable {
        var name: String
        var request: String
        var response: String
        /// Set where the response's values are the server's at that moment (STATS).
        var responseVaries: String?
        var closesConnection: Bool?
    }
    struct Daemon: Decodable {
        var keys: String
        var brands: String
        var ranges: String
        var profiles: [String: String]
    }
    var daemon: Daemon
    var vectors: [Vector]

    static let shared: WireVectors = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try! decoder.decode(WireVectors.self, from: RepositoryFile.data("Protocol/vectors/wire.json"))
    }()

    /// The vectors' key table, as the daemon loads it.
    static let keys: KeyTable = try! KeyFile.parse(shared.daemon.keys)

    /// The vectors' brands and ranges files, as the daemon loads them.
    static let cards: CardDirectory = try! CardDirectory.compile(
        brandsFile: ("brands", Array(shared.daemon.brands.utf8)),
        rangesFile: ("ranges", Array(shared.daemon.ranges.utf8))
    )
}

extension ByteBuffer {
    init(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self.init(bytes: bytes)
    }

    var hex: String { readableBytesView.map { String(format: "%02x", $0) }.joined() }
}

/// Splits a buffer into frames with the real decoder.
func decodeFrames(_ buffer: ByteBuffer, maximum: Int = WireFormat.defaultMaximumFrameSize) throws -> [Frame] {
    var decoder = FrameDecoder(maximumFrameSize: maximum)
    var input = buffer
    var frames: [Frame] = []
    while let frame = try decoder.decode(buffer: &input) { frames.append(frame) }
    return frames
}

/// A validator that verifies printed codes with the vectors' keys, as their daemon does.
let vectorValidator: Validator = {
    var validator = Validator(cards: WireVectors.cards)
    validator.securityCodes = WireVectors.keys
    validator.authenticationValues = WireVectors.keys
    validator.profiles = try! PolicyProfiles.compile(
        files: WireVectors.shared.daemon.profiles.map { ("\($0.key).conf", $0.value) },
        base: PolicyProfile()
    )
    return validator
}()

let vectorResponder = Responder(
    validator: vectorValidator,
    securityCodes: WireVectors.keys,
    authenticationValues: WireVectors.keys,
    hello: HelloResponse(
        serverName: "cardcheckd",
        serverVersion: "0.1.0",
        maximumFrameSize: 16_384,
        maximumInFlight: 256
    ),
    exposition: { "cardcheck_uptime_seconds 0.0\n" }
)
/// Any month: the vectors do not depend on the date.
let vectorMonth = YearMonth(unixTime: Int64(Date().timeIntervalSince1970))

/// The tags of a frame's fields, in order (for responses whose values vary).
func fieldTags(_ frame: Frame) -> [UInt8] {
    let bytes = Array(frame.fields.readableBytesView)
    var (tags, offset) = ([UInt8](), 0)
    while offset + 3 <= bytes.count {
        tags.append(bytes[offset])
        offset += 3 + (Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]))
    }
    return tags
}

@Suite("Wire protocol vectors")
struct WireVectorTests {
    /// The response the server gives `vector`'s request bytes: the responder's, or the framing error's.
    func answer(_ vector: WireVectors.Vector, today: YearMonth) throws -> ByteBuffer {
        var output = ByteBuffer()
        do {
            let frames = try decodeFrames(ByteBuffer(hex: vector.request))
            #expect(frames.count == 1, "\(vector.name)")
            _ = vectorResponder.respond(
                to: try #require(frames.first),
                today: today,
                permissions: [.generateSecurityCodes, .generateAuthenticationValues],
                into: &output
            )
        } catch let error as FramingError {
            #expect(vector.closesConnection == true, "\(vector.name)")
            Responder.write(error.wireError, requestID: 0, into: &output)
        }
        return output
    }

    @Test("every vector's request gives exactly its response bytes, in any month from 2026 to 2070")
    func requestsGiveTheirResponses() throws {
        #expect(WireVectors.shared.vectors.count >= 45)
        let months = [vectorMonth, YearMonth(year: 2026, month: 11)!, YearMonth(year: 2070, month: 1)!]
        for vector in WireVectors.shared.vectors {
            for month in months {
                let output = try answer(vector, today: month)
                if vector.responseVaries == nil {
                    #expect(output.hex == vector.response, "\(vector.name) in \(month)")
                } else {
                    // The same frame and tags; the values are the server's at that moment.
                    let expected = try #require(try decodeFrames(ByteBuffer(hex: vector.response)).first)
                    let got = try #require(try decodeFrames(output).first)
                    #expect(got.opcode == expected.opcode && got.requestID == expected.requestID)
                    #expect(fieldTags(got) == fieldTags(expected), "\(vector.name)")
                }
            }
        }
    }

    @Test("the full-card request is compact: well under 200 bytes")
    func compact() {
        #expect(WireVectors.shared.vectors[0].request.count / 2 < 200)
    }

    /// The request of the first vector (the full card), as PROTOCOL.md's meaning gives it.
    static let fullCard = ValidationRequest(
        pan: "4111 1111 1111 1111",
        expiry: "01/2020",
        csc: "921",
        cscIndicator: 1,
        address: Address(street: "123 Main St", postalCode: "12345", country: "US"),
        onFileAddress: Address(street: "123 Main Street", postalCode: "12345-6789", country: "US")
    )

    @Test("encoding the request meaning gives the vector's bytes (the client side)")
    func clientEncoding() throws {
        let full = WireVectors.shared.vectors[0]
        let request = Self.fullCard
        var fields = ByteBuffer()
        try ValidateCodec.write(request, to: &fields)
        var frame = ByteBuffer()
        frame.writeFrame(Frame(opcode: Opcode.validate.rawValue, requestID: 0x0102_0304, fields: fields))
        #expect(frame.hex == full.request)
    }

    @Test("response bytes decode to the engine's result (the client side)")
    func clientDecoding() throws {
        let full = WireVectors.shared.vectors[0]
        let frame = try #require(try decodeFrames(ByteBuffer(hex: full.response)).first)
        #expect(frame.opcode == Opcode.validate.responseOpcode && frame.requestID == 0x0102_0304)
        let decoded = try ValidateCodec.readResult(frame.fields)
        let expected = try vectorValidator.validate(Self.fullCard, today: vectorMonth)
        #expect(decoded == expected && decoded.csc?.result == .M, "\(decoded) \(expected)")

        for vector in WireVectors.shared.vectors {
            let response = try #require(try decodeFrames(ByteBuffer(hex: vector.response)).first)
            switch response.opcode {
            case Opcode.validate.responseOpcode: _ = try ValidateCodec.readResult(response.fields)
            case WireFormat.errorOpcode: _ = try WireError(fields: response.fields)
            case Opcode.hello.responseOpcode:
                #expect(try HelloResponse(fields: response.fields).maximumFrameSize == 16_384)
            case Opcode.interpret.responseOpcode:
                // The vectors' interpretations: AVS N with CSC M (review), CSC L (decline).
                let action = try InterpretResponse(fields: response.fields).action
                #expect(action == (vector.name.contains("CSC L") ? .decline : .review), "\(vector.name)")
            case Opcode.cscVerify.responseOpcode:
                _ = try SecurityCodeCodec.verification(fields: response.fields)
            default: break
            }
        }
    }

    @Test("a pipelined stream of every vector answers each by its id")
    func pipelined() throws {
        let open = WireVectors.shared.vectors.filter { $0.closesConnection != true }
        var stream = ByteBuffer()
        for vector in open { stream.writeImmutableBuffer(ByteBuffer(hex: vector.request)) }
        let frames = try decodeFrames(stream)
        #expect(frames.count == open.count)
        var output = ByteBuffer()
        for frame in frames {
            _ = vectorResponder.respond(
                to: frame,
                today: vectorMonth,
                permissions: [.generateSecurityCodes, .generateAuthenticationValues],
                into: &output
            )
        }
        let responses = try decodeFrames(output)
        #expect(responses.map(\.requestID) == frames.map(\.requestID))
    }
}

@Suite("Framing")
struct FramingTests {
    @Test("an oversized length is refused from the length field alone, before any body arrives")
    func oversized() {
        var decoder = FrameDecoder(maximumFrameSize: 1_024)
        var input = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF])  // 4 GiB - 1, and nothing after it
        #expect(throws: FramingError.frameTooLarge(length: UInt32.max, maximum: 1_024)) {
            try decoder.decode(buffer: &input)
        }
        #expect(FramingError.frameTooLarge(length: 1, maximum: 0).wireError.closesConnection)
    }

    @Test("a frame shorter than its header, or without the magic, loses the framing")
    func badStreams() {
        var decoder = FrameDecoder()
        var short = ByteBuffer(bytes: [0, 0, 0, 3, 0xC1, 1, 0])
        #expect(throws: FramingError.frameTooShort(length: 3)) { try decoder.decode(buffer: &short) }
        var garbage = ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n")
        #expect(throws: FramingError.self) { try decoder.decode(buffer: &garbage) }
        var badMagic = ByteBuffer(bytes: [0, 0, 0, 8, 0x41, 2, 0, 0, 0, 0, 0, 1])
        #expect(throws: FramingError.badMagic(0x41)) { try decoder.decode(buffer: &badMagic) }
        #expect(FramingError.badMagic(0x41).wireError.closesConnection)
    }

    @Test("a truncated frame waits for the rest; bytes dribbled one at a time assemble")
    func truncatedAndDribbled() throws {
        let bytes = Array(ByteBuffer(hex: WireVectors.shared.vectors[0].request).readableBytesView)
        var decoder = FrameDecoder()
        var input = ByteBuffer()
        var frames: [Frame] = []
        for byte in bytes {
            input.writeInteger(byte)
            if let frame = try decoder.decode(buffer: &input) { frames.append(frame) }
        }
        #expect(frames.count == 1)
        #expect(frames.first?.requestID == 0x0102_0304)
    }

    @Test("errors that keep framing leave the connection open")
    func closingRules() {
        for kind in WireError.Kind.allCases {
            let closes = WireError(kind: kind, message: "").closesConnection
            #expect(closes == [.frameTooLarge, .overloaded, .notPermitted].contains(kind), "\(kind.name)")
        }
    }

    @Test("garbage fields never crash the responder and always get an answer")
    func garbageFields() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let length = Int.random(in: 0..<64, using: &generator)
            let body = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let frame = Frame(
                opcode: UInt8.random(in: 1...5, using: &generator),
                flags: .random(in: 0...3, using: &generator),
                requestID: 42,
                fields: ByteBuffer(bytes: body)
            )
            var output = ByteBuffer()
            _ = vectorResponder.respond(to: frame, today: vectorMonth, into: &output)
            let responses = (try? decodeFrames(output)) ?? []
            #expect(responses.count == 1 && responses.first?.requestID == 42)
        }
    }

    @Test("a card's data reads back from the wire: every text (copied as one block) beside country and funding")
    func cardDataRoundTrip() throws {
        let brands = BuiltInCardData.catalog
        let networks = ["cartes-bancaires", "dankort", "mir"].compactMap { brands.brand(named: $0) }
        #expect(networks.count == 3)
        let cards = [
            CardAttributes(
                brand: .visa,
                legacyBrand: brands.brand(named: "switch"),
                issuerCountry: "GB",
                funding: .debit,
                product: "consumer, débit",  // UTF-8, and a comma
                issuer: String(repeating: "x", count: 200),
                networks: networks
            ),
            CardAttributes(brand: .mastercard, issuer: "Only an issuer"),
            CardAttributes(brand: .mastercard, issuerCountry: "AU"),
            CardAttributes(brand: .visa, legacyBrand: brands.brand(named: "solo"), networks: [networks[0]]),
        ]
        for card in cards {
            var result = try Validator().validate(
                ValidationRequest(pan: "4111111111111111"),
                today: YearMonth(year: 2026, month: 12)!
            )
            result.pan?.card = card
            var buffer = ByteBuffer()
            ValidateCodec.write(result, to: &buffer)
            let read = try ValidateCodec.readResult(buffer)
            #expect(read.pan?.card == card, "\(card)")
            #expect(read.pan?.card?.description == card.description)
        }
    }

    @Test("a batch's lookahead finds a request's PAN by the fields' headers alone, and nothing in malformed fields")
    func lookaheadFindsThePAN() throws {
        func pan(_ fields: [UInt8]) -> String? {
            fields.withUnsafeBytes { ValidateCodec.panField(in: $0).map { String(decoding: $0, as: UTF8.self) } }
        }
        var buffer = ByteBuffer()
        try ValidateCodec.write(
            ValidationRequest(
                pan: "4111111111111111",
                expiry: "12/30",
                csc: "123",
                address: Address(postalCode: "94107")
            ),
            to: &buffer
        )
        let fields = Array(buffer.readableBytesView)
        #expect(pan(fields) == "4111111111111111")
        let (panTag, expiryTag): (UInt8, UInt8) = (0x01, 0x02)  // Protocol/PROTOCOL.md
        // After other fields, after an unknown tag, and not at all.
        let expiry: [UInt8] = [expiryTag, 0, 5] + Array("12/30".utf8)
        let unknown: [UInt8] = [0xEE, 0, 2, 1, 2]
        let panField: [UInt8] = [panTag, 0, 3] + Array("411".utf8)
        #expect(pan(expiry + unknown + panField) == "411")
        #expect(pan(expiry + unknown) == nil)
        // A field running past the end, a cut header, an empty frame.
        #expect(pan([panTag, 0, 16] + Array("4111".utf8)) == nil)
        #expect(pan([panTag, 0]) == nil)
        #expect(pan([]) == nil)
    }

    @Test("masked PANs read back from the wire")
    func maskedRoundTrip() throws {
        for pan in ["4111111111111111", "378282246310005", "4222222222222", "6011000990139424123"] {
            let masked = try PAN(pan).masked
            #expect(MaskedPAN(masked.description) == masked)
        }
        #expect(MaskedPAN("4111111111111111") == nil)
        #expect(MaskedPAN("4111111*1111") == nil)
    }
}

@Suite("Security codes leave the buffers")
struct SecretWipeTests {
    @Test("when respond returns, the request's CSC bytes are zeros in the frame's own memory, whatever happened")
    func wipesCodes() throws {
        let validate = try #require(try decodeFrames(ByteBuffer(hex: WireVectors.shared.vectors[0].request)).first)
        var verifyFields = ByteBuffer()
        SecurityCodeCodec.Request(pan: "4114585553881637", expiry: "12/28", csc: "213").write(to: &verifyFields)
        var verifyBytes = ByteBuffer()
        verifyBytes.writeFrame(Frame(opcode: Opcode.cscVerify.rawValue, requestID: 2, fields: verifyFields))
        let verify = try #require(try decodeFrames(verifyBytes).first)
        // A VALIDATE that fails to parse (a two-byte csc_indicator) after its code: the check never runs.
        var brokenFields = ByteBuffer()
        brokenFields.writeField(0x03, text: "456")
        brokenFields.writeField(0x01, text: "4111111111111111")
        brokenFields.writeField(0x04, bytes: [1, 1])
        var brokenBytes = ByteBuffer()
        brokenBytes.writeFrame(Frame(opcode: Opcode.validate.rawValue, requestID: 3, fields: brokenFields))
        let broken = try #require(try decodeFrames(brokenBytes).first)
        // A VALIDATE with its code twice: duplicate_field, and both copies must go.
        var twiceFields = ByteBuffer()
        twiceFields.writeField(0x01, text: "4111111111111111")
        twiceFields.writeField(0x03, text: "789")
        twiceFields.writeField(0x03, text: "789")
        var twiceBytes = ByteBuffer()
        twiceBytes.writeFrame(Frame(opcode: Opcode.validate.rawValue, requestID: 4, fields: twiceFields))
        let twice = try #require(try decodeFrames(twiceBytes).first)
        // A version this server does not speak: answered before any field is read.
        var oldBytes = ByteBuffer()
        oldBytes.writeFrame(Frame(version: 0xC0, opcode: Opcode.validate.rawValue, requestID: 5, fields: twiceFields))
        let oldVersion = try #require(try decodeFrames(oldBytes).first)

        /// The security code fields' values, and how many fields the frame has (read without the
        /// duplicate rule, which is not what is under test here).
        func codeFields(_ frame: Frame) -> (values: [[UInt8]], fields: Int) {
            let bytes = Array(frame.fields.readableBytesView)
            var (values, fields, offset) = ([[UInt8]](), 0, 0)
            while offset + 3 <= bytes.count {
                let length = Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
                let value = Array(bytes[(offset + 3)..<(offset + 3 + length)])
                let tag = bytes[offset]
                fields += 1
                let isCode =
                    (frame.opcode == Opcode.validate.rawValue && tag == 0x03)
                    || (frame.opcode == Opcode.cscVerify.rawValue && tag == 0x04)
                if isCode { values.append(value) }
                offset += 3 + length
            }
            return (values, fields)
        }

        let cases: [(Frame, String, expectError: Bool)] = [
            (validate, "921", false), (verify, "213", false), (broken, "456", true), (twice, "789", true),
            (oldVersion, "789", true),
        ]
        for (frame, code, expectError) in cases {
            let before = codeFields(frame)
            #expect(
                !before.values.isEmpty && before.values.allSatisfy { $0 == Array(code.utf8) },
                "request \(frame.requestID)"
            )
            var answer = ByteBuffer()
            let outcome = vectorResponder.respond(to: frame, today: vectorMonth, into: &answer)
            #expect(
                (outcome.error != nil) == expectError,
                "request \(frame.requestID): \(String(describing: outcome.error))"
            )
            // Read again through the same storage: every code field is zeros, the others are as they were.
            #expect(
                frame.fields.readableBytesView.containsSubsequence(Array("4114585553881637".utf8))
                    || frame.fields.readableBytesView.containsSubsequence(Array("4111 1111 1111 1111".utf8))
                    || frame.fields.readableBytesView.containsSubsequence(Array("4111111111111111".utf8))
            )
            let after = codeFields(frame)
            #expect(
                after.values.count == before.values.count && after.fields == before.fields,
                "request \(frame.requestID)"
            )
            #expect(
                after.values.allSatisfy { $0 == [UInt8](repeating: 0, count: code.utf8.count) },
                "request \(frame.requestID)"
            )
        }
    }
}

extension Collection where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        let haystack = Array(self)
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<$0 + needle.count]) == needle }
    }
}

@Suite("CSC_VERIFY and the card's own code length")
struct SecurityCodeLengthTests {
    func verify(_ pan: String, _ csc: String) throws -> Frame {
        var fields = ByteBuffer()
        SecurityCodeCodec.Request(pan: pan, expiry: "12/28", csc: csc).write(to: &fields)
        var output = ByteBuffer()
        _ = vectorResponder.respond(
            to: Frame(opcode: Opcode.cscVerify.rawValue, requestID: 9, fields: fields),
            today: vectorMonth,
            into: &output
        )
        return try #require(try decodeFrames(output).first)
    }

    @Test("American Express: a 4-digit CID (or 3 digits) is answered U, as PROTOCOL.md says")
    func americanExpress() throws {
        for csc in ["1234", "123"] {
            let answer = try verify("378282246310005", csc)
            #expect(answer.opcode == Opcode.cscVerify.responseOpcode, "\(csc)")
            #expect(try SecurityCodeCodec.verification(fields: answer.fields) == .noKey)
        }
    }

    @Test("other brands: 4 digits is invalid_field on csc; 5 digits or letters for any brand too")
    func otherBrands() throws {
        for (pan, csc) in [("4111111111111111", "1234"), ("378282246310005", "12345"), ("4111111111111111", "12a")] {
            let answer = try verify(pan, csc)
            #expect(answer.opcode == WireFormat.errorOpcode, "\(pan) \(csc)")
            let error = try WireError(fields: answer.fields)
            #expect(error.kind == .invalidField && error.field == "csc", "\(error)")
            #expect(!error.message.contains(csc))
        }
    }
}

@Suite("Wire vectors file")
struct WireVectorFileTests {
    @Test("request ids are unique: the clients' harnesses pipeline every vector on one connection")
    func uniqueRequestIDs() throws {
        let document = try JSONSerialization.jsonObject(
            with: Data(RepositoryFile.text("Protocol/vectors/wire.json").utf8)
        )
        let vectors = (document as? [String: Any])?["vectors"] as? [[String: Any]] ?? []
        let ids = vectors.compactMap { ($0["request_meaning"] as? [String: Any])?["request_id"] as? Int }
        #expect(ids.count == vectors.count && !ids.isEmpty)
        #expect(Set(ids).count == ids.count)
    }
}
