import CardCheckJSON
import CardCheckTestSupport
import Foundation
import Testing

@Suite("The cardcheck command, run as a process")
struct CommandTests {
    @Test("JSON Lines on stdin give every vector's output line, in order, and exit 1 if a line failed")
    func vectorsThroughTheBinary() throws {
        let vectors = JSONLinesVectors.shared
        let input = vectors.vectors.map(\.request).joined(separator: "\n") + "\n"
        // The vectors hold for any month: run as of now.
        let directory = try TemporaryDirectory()
        let cardData = try JSONLinesVectors.cardDataOptions(in: directory.url)
        let run = try Binary.run(["validate", "--local", "--json"] + cardData, input: input)
        #expect(run.lines == vectors.vectors.map(\.response))
        #expect(run.status == 1, "some vectors are error lines")
    }

    @Test("all good lines exit 0; a final line without a newline is still answered")
    func exitZero() throws {
        let run = try Binary.run(
            ["validate", "--local", "--today", "2026-11"],
            input: "{\"pan\":\"4111111111111111\"}\n{\"pan\":\"5555555555554444\"}"
        )
        #expect(run.status == 0)
        #expect(run.lines.count == 2)
        #expect(run.lines.allSatisfy { $0.contains("\"action\":\"accept\"") })
    }

    @Test("one card from flags, as JSON")
    func flags() throws {
        let run = try Binary.run([
            "validate", "--local", "--json", "--pan", "5555 5555 5555 4444", "--expiry", "01/2020",
            "--csc", "123", "--street", "123 Main St", "--postal-code", "12345", "--on-file-street", "123 Main Street",
            "--on-file-postal-code", "12345-6789", "--on-file-country", "US", "--country", "US",
        ])
        #expect(run.status == 0)
        #expect(run.lines == [JSONLinesVectors.shared.vectors[0].response])
    }

    @Test("a bad card from flags exits non-zero with the typed error on stderr, without the PAN")
    func badFlags() throws {
        let run = try Binary.run(["validate", "--local", "--json", "--pan", "4111-1111-1111-111Z"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("pan_invalid_character"))
        #expect(!run.stderr.contains("4111"))
        #expect(run.lines.first?.hasPrefix("{\"error\"") == true)
    }

    @Test("the engine's options reach it: international AVS and strict street words")
    func engineOptions() throws {
        let line =
            #"{"street":"10 Downing St","postal_code":"SW1A 2AA","on_file_street":"10 Downing Street","on_file_postal_code":"SW1A2AA","on_file_country":"GB"}"#
        let domestic = try Binary.run(["validate", "--local"], input: line + "\n")
        #expect(domestic.stdout.contains("\"avs_result\":\"G\""))
        let international = try Binary.run(["validate", "--local", "--avs-international"], input: line + "\n")
        #expect(international.stdout.contains("\"avs_result\":\"D\""))
        let words =
            #"{"street":"12 Main Ave","postal_code":"12345","on_file_street":"12 Main St","on_file_postal_code":"12345"}"#
        #expect(try Binary.run(["validate", "--local"], input: words + "\n").stdout.contains("\"avs_result\":\"Y\""))
        #expect(
            try Binary.run(["validate", "--local", "--avs-strict"], input: words + "\n").stdout.contains(
                "\"avs_result\":\"Z\""
            )
        )
    }

    @Test("interpret explains codes with the policy's action")
    func interpret() throws {
        let run = try Binary.run(["interpret", "--local", "--json", "--avs", "R", "--csc", "N"])
        #expect(run.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(object?["action"] as? String == "decline")
        #expect((object?["avs"] as? [String: Any])?["action"] as? String == "retry")
        #expect(try Binary.run(["interpret", "--local", "--avs", "RR"]).status != 0)
    }

    @Test("usage errors exit 64; an unreachable daemon exits 69 with the reason")
    func usage() throws {
        #expect(try Binary.run(["validate", "--local", "--today", "2026-13"]).status == 64)
        #expect(
            try Binary.run(["validate", "--today", "2026-11", "--pan", "4111111111111111"]).status == 64,
            "--today needs --local"
        )
        let unreachable = try Binary.run([
            "validate", "--socket", "/nonexistent/cardcheck.sock", "--pan", "4111111111111111",
        ])
        #expect(unreachable.status == 69)
        #expect(unreachable.stderr.contains("cannot connect to /nonexistent/cardcheck.sock"))
    }
}
