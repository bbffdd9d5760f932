import CardCheck
import Testing

@Suite("PAN parsing and masking")
struct PANTests {
    @Test("digits with spaces or dashes are accepted")
    func separators() throws {
        let plain = try PAN("4111111111111111")
        #expect(try PAN("4111 1111 1111 1111") == plain)
        #expect(try PAN("4111-1111-1111-1111") == plain)
        #expect(try PAN(" 4111 1111-1111 1111 ") == plain)
        #expect(plain.length == 16)
        #expect(plain.digits == "4111111111111111")
    }

    @Test(
        "anything else is a typed error naming the position, never a silent strip",
        arguments: [
            ("4111 1111 1111 111a", ValidationError.panInvalidCharacter(position: 19)),
            ("4111.1111.1111.1111", .panInvalidCharacter(position: 5)),
            ("4111\t1111111111111", .panInvalidCharacter(position: 5)),
            ("４１１１111111111111", .panInvalidCharacter(position: 1)),
            ("", .panEmpty), ("  - ", .panEmpty),
            ("41111111111", .panLength(digits: 11)), ("41111111111111111111", .panLength(digits: 20)),
            (String(repeating: "4", count: 400), .panLength(digits: 400)),
        ]
    )
    func errors(text: String, error: ValidationError) {
        #expect(throws: error) { try PAN(text) }
    }

    @Test("errors never carry digits of the PAN")
    func errorsDoNotLeak() {
        do {
            _ = try PAN("5555 5555 5555 444x")
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("5555"))
            #expect(!error.description.contains("444"))
        }
    }

    @Test(
        "masking shows at most the first six and the last four, and hides at least six",
        arguments: [
            ("4111111111111111", "411111******1111"),
            ("378282246310005", "37828******0005"),
            ("30569309025904", "3056******5904"),
            ("6304000000000000", "630400******0000"),
            ("4222222222222", "422******2222"),
            ("501800000009", "50******0009"),
            ("6011000990139424123", "601100*********4123"),
            ("0000000000000000", "000000******0000"),
        ]
    )
    func masking(pan: String, masked: String) throws {
        let parsed = try PAN(pan)
        #expect(parsed.masked.description == masked)
        // The wire writes the same characters in place, without a String.
        var bytes = [UInt8](repeating: 0, count: 19)
        let count = bytes.withUnsafeMutableBytes { parsed.masked.writeASCII(to: $0.baseAddress!) }
        #expect(String(decoding: bytes.prefix(count), as: UTF8.self) == masked)
        #expect(parsed.description == masked, "interpolation shows the masked form only")
        #expect("\(parsed)" == masked)
    }
}
