import CardCheck
import CardCheckJSON
import Foundation
import Testing

@Suite("JSON Lines contract")
struct JSONLinesTests {
    let lines = JSONLinesValidator(validator: Validator(), today: YearMonth(year: 2026, month: 11)!)

    @Test("every vector in Protocol/vectors gives its response line exactly, in-process, in any month to 2070")
    func vectorsInProcess() {
        let vectors = JSONLinesVectors.shared
        #expect(vectors.vectors.count >= 20)
        let now = YearMonth(unixTime: Int64(Date().timeIntervalSince1970))
        for today in [now, YearMonth(year: 2026, month: 11)!, YearMonth(year: 2070, month: 1)!] {
            let lines = JSONLinesValidator(validator: JSONLinesVectors.validator, today: today)
            for vector in vectors.vectors {
                let (output, failed) = lines.process(vector.request)
                #expect(output == vector.response, "\(vector.name) in \(today)")
                #expect(failed == vector.response.hasPrefix("{\"error\""), "\(vector.name)")
            }
        }
    }

    @Test("every result has exactly the documented keys, in order")
    func keysInOrder() throws {
        for vector in JSONLinesVectors.shared.vectors where !vector.response.hasPrefix("{\"error\"") {
            // A key is a quoted word that follows `{` or `,` and precedes `:` (reason names have no `:`).
            let keys = vector.response.dropFirst().split(separator: ",").compactMap { part -> String? in
                guard part.hasPrefix("\""), part.contains("\":") else { return nil }
                return part.split(separator: ":").first.map { String($0.dropFirst().dropLast()) }
            }
            #expect(keys == JSONLineResult.keys, "\(vector.name)")
            let object = try JSONSerialization.jsonObject(with: Data(vector.response.utf8)) as? [String: Any]
            #expect(object?.count == JSONLineResult.keys.count)
        }
    }

    @Test("strings are escaped as RFC 8259 requires")
    func escaping() throws {
        var writer = JSONWriter()
        let tricky = "quote \" backslash \\ newline \n tab \t bell \u{07} unicode é 🂡"
        writer.add("text", tricky)
        let decoded = try JSONSerialization.jsonObject(with: Data(writer.finished.utf8)) as? [String: String]
        #expect(decoded?["text"] == tricky)
        #expect(writer.finished.contains("\\u0007"))
    }

    @Test(
        "every control character, quotes and backslashes at the ends and in runs: JSONSerialization reads back the text"
    )
    func escapingRoundTrip() throws {
        let alphabet: [Character] =
            (0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) } + ["\"", "\\", "a", "é", "🂡", " "]
        var generator = SystemRandomNumberGenerator()
        var texts = ["", "\"", "\\\\", "\u{01}\u{1F}", "x\""]
        for _ in 0..<2_000 {
            texts.append(
                String(
                    (0..<Int.random(in: 0...12, using: &generator)).map { _ in
                        alphabet.randomElement(using: &generator)!
                    }
                )
            )
        }
        for text in texts {
            var writer = JSONWriter()
            writer.add("text", text)
            let decoded = try JSONSerialization.jsonObject(with: Data(writer.finished.utf8)) as? [String: String]
            #expect(decoded?["text"] == text, "\(Array(text.unicodeScalars))")
        }
    }

    @Test(
        "typed errors for every kind of bad line",
        arguments: [
            ("", "invalid_json"), ("{", "invalid_json"), ("null", "not_an_object"), ("\"pan\"", "not_an_object"),
            ("{\"pan\":true}", "wrong_type"), ("{\"csc\":123}", "wrong_type"),
            ("{\"csc_indicator\":1.5}", "wrong_type"),
            ("{\"csc_indicator\":true}", "wrong_type"), ("{\"csc_indicator\":\"one\"}", "wrong_type"),
            ("{\"PAN\":\"4111111111111111\"}", "unknown_key"), ("{\"pan\":\"\"}", "pan_empty"),
        ]
    )
    func badLines(line: String, code: String) {
        #expect(throws: (any Error).self) { try JSONLineRequest.parse(line).validated(lines) }
        let (output, failed) = lines.process(line)
        #expect(failed)
        #expect(output.hasPrefix("{\"error\":{\"code\":\"\(code)\""), "\(output)")
    }

    @Test("null values mean the field is absent")
    func nulls() throws {
        let request = try JSONLineRequest.parse(#"{"pan":"4111111111111111","csc":null,"on_file_street":null}"#)
        #expect(request == ValidationRequest(pan: "4111111111111111"))
    }

    @Test("a security code never appears in an output or error line")
    func noSecurityCodeInOutput() {
        for line in [
            #"{"pan":"4111111111111111","csc":"864"}"#, #"{"pan":"4111111111111111","csc":"864","csc_indicator":9}"#,
            #"{"pan":"41111111111x1111","csc":"864"}"#, #"{"pan":"4111111111111111","csc":"8642"}"#,
        ] {
            #expect(!lines.process(line).output.contains("864"))
        }
    }
}

extension ValidationRequest {
    func validated(_ lines: JSONLinesValidator) throws -> ValidationResult {
        try lines.validator.validate(self, today: lines.today)
    }
}
