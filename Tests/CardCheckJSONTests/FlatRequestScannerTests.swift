import CardCheck
import CardCheckTestSupport
import Foundation
import Testing

@testable import CardCheckJSON

/// The fast scanner against Foundation's JSONDecoder (the oracle): on every line, the same request or
/// the same error; and the common lines really take the fast path.
@Suite("JSON Lines requests: the fast scanner agrees with JSONDecoder")
struct FlatRequestScannerTests {
    func outcome(_ body: () throws(JSONLineError) -> ValidationRequest) -> Result<ValidationRequest, JSONLineError> {
        do { return .success(try body()) } catch { return .failure(error) }
    }

    @Test("the example and vector lines take the fast path and give the decoder's requests")
    func commonLines() throws {
        let examples = try String(contentsOf: RepositoryFile.url("Protocol/examples/cards.jsonl"), encoding: .utf8)
        let lines =
            examples.split(separator: "\n").map(String.init)
            + JSONLinesVectors.shared.vectors.map(\.request).filter {
                !$0.contains("cvv") && $0 != "{}" && $0.hasPrefix("{")
            }
        var fast = 0
        for line in lines {
            if let request = FlatRequestScanner.request(line) {
                fast += 1
                #expect(
                    outcome { () throws(JSONLineError) in try JSONLineRequest.decode(line) } == .success(request),
                    "\(line)"
                )
            }
        }
        #expect(fast >= lines.count - 3, "\(fast) of \(lines.count) lines took the fast path")
    }

    @Test("200,000 generated and mutated lines: parse gives exactly what the decoder gives")
    func differential() {
        var generator = SeededGenerator(seed: 20_261_203)
        let keys = JSONLineRequest.keys + ["cvv", "PAN", "pan ", ""]
        let strings = [
            #""4111 1111 1111 1111""#, #""12/30""#, #""123""#, #""""#, #""X""#, #""a\"b""#, #""tab\there""#,
            #""\u00e9t\u00E9""#, #""\ud83d\ude00""#, #""\ud83d""#, #""\udc00x""#, #""\/\\\b\f\n\r""#, #""\x""#,
            #""é""#, #""9""#, #""+2""#, #"" 1""#, #""\u12""#, #""\udbff\udfff""#, #""\udbff""#,
        ]
        let others = [
            "null", "1", "9", "-0", "0", "01", "1.0", "1e0", "-1", "2147483648", "12345678901", "true", "false",
            "[]", "{}", "[1,2]", #"{"a":1}"#, "nul", "-", "1.", "\"unterminated",
        ]
        let spaces = ["", " ", "\t", "\r", "  \n"]
        var fastTaken = 0
        for round in 0..<200_000 {
            var members: [String] = []
            for _ in 0..<Int.random(in: 0...5, using: &generator) {
                let key = keys.randomElement(using: &generator)!
                let value =
                    Bool.random(using: &generator)
                    ? strings.randomElement(using: &generator)! : others.randomElement(using: &generator)!
                let space = { spaces.randomElement(using: &generator)! }
                members.append("\(space())\"\(key)\"\(space()):\(space())\(value)\(space())")
            }
            var line = "{" + members.joined(separator: ",") + "}"
            switch round % 10 {
            case 0: line = " " + line + " \t"
            case 1: line = String(line.dropLast(Int.random(in: 0...min(3, line.count), using: &generator)))
            case 2: line += "x"
            case 3: line = "[" + line + "]"
            case 4: line = line.replacingOccurrences(of: ",", with: ",,")
            default: break
            }
            let expected = outcome { () throws(JSONLineError) in try JSONLineRequest.decode(line) }
            let got = outcome { () throws(JSONLineError) in try JSONLineRequest.parse(line) }
            #expect(got == expected, "\(line)")
            if got != expected { return }
            if FlatRequestScanner.request(line) != nil { fastTaken += 1 }
        }
        #expect(fastTaken > 10_000, "the fast path took \(fastTaken) lines")
    }
}
