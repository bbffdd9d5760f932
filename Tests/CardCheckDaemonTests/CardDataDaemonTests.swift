import CardCheck
import CardCheckClient
import CardCheckTestSupport
import Foundation
import Testing

/// The `brands` and `ranges` files in the real daemon: checked at start, swapped whole on SIGHUP under load,
/// and kept in force when a reload's file is bad.
@Suite("cardcheckd card data files", .serialized)
struct CardDataDaemonTests {
    static let header = "low,high,brand,lengths,country,funding,product,issuer,networks"
    /// Diners Club's 36 is a prefix scripts/generate-ranges never uses, so the test's row is the only one.
    static let pan = "36000000000008"

    /// A range file: `rows` generated ranges (scripts/generate-ranges, made once) and the test card's row.
    static func rangeFile(_ path: String, country: String, funding: String, generated rows: Int) throws {
        let generated = path + ".generated"
        if !FileManager.default.fileExists(atPath: generated) {
            let run = SystemTool.run(
                RepositoryFile.url("scripts/generate-ranges").path,
                ["\(rows)", "--seed", "3", "--output", generated]
            )
            #expect(run.status == 0, "\(run.output)")
        }
        var text = try String(contentsOfFile: generated, encoding: .utf8)
        // The free texts follow the country, so that a reload changes them too (the daemon writes them from
        // the registry's UTF-8 copies).
        text +=
            "36000000,36000000,diners-club,,\(country),\(funding),test \(country),Issuer of \(country),cartes-bancaires\n"
        // Written whole and renamed into place, as a deployment would: a reload never reads half a file.
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test("--check-config counts the ranges and brands; a bad line refuses to start, naming the file and line")
    func startAndCheck() throws {
        let temporary = try TemporaryDirectory("ccr")
        let ranges = temporary.url.appendingPathComponent("ranges.csv").path
        let brands = temporary.url.appendingPathComponent("brands.csv").path
        try "name,csc_name,csc_length,csc_location,luhn\nmeeza,CVV,3,back,required\n"
            .write(toFile: brands, atomically: true, encoding: .utf8)
        try "\(Self.header)\n507803,507803,meeza,,EG,debit,,,\n36000000,36000000,diners-club,,US,credit,,,\n"
            .write(toFile: ranges, atomically: true, encoding: .utf8)
        let config = temporary.url.appendingPathComponent("c.conf").path
        try "brands = \(brands)\nranges = \(ranges)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let accepted = try BuiltBinary.run("cardcheckd", ["--config", config, "--check-config"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(
            accepted.stdout.contains("# card data: 2 ranges from the range file, 1 brands declared"),
            "\(accepted.stdout)"
        )

        try "\(Self.header)\n507803,507803,meeza,,EG,debit,,,\n36000000,3600000,diners-club,,,,,,\n"
            .write(toFile: ranges, atomically: true, encoding: .utf8)
        let refused = try BuiltBinary.run("cardcheckd", ["--config", config, "--check-config"])
        #expect(refused.status == 78, "\(refused.stdout)\(refused.stderr)")
        #expect(
            refused.stderr.contains("\(ranges):3: low and high must have the same number of digits"),
            "\(refused.stderr)"
        )
        // The daemon itself refuses to start with it.
        let started = try BuiltBinary.run(
            "cardcheckd",
            ["--config", config, "--socket", temporary.url.path + "/s.sock"]
        )
        #expect(started.status == 78 && started.stderr.contains("\(ranges):3:"), "\(started.stderr)")
    }

    @Test(
        "SIGHUP under load swaps the card data whole: every answer is the old data or the new, none fails; a bad file keeps the data in force"
    )
    func reloadUnderLoad() async throws {
        let notifyDirectory = try TemporaryDirectory("ccn")
        let notify = try NotifySocket(directory: notifyDirectory.url)
        let temporary = try TemporaryDirectory("ccr")
        let ranges = temporary.url.appendingPathComponent("ranges.csv").path
        // Large enough that compiling takes a while (so requests arrive mid-reload) and small enough for a
        // debug build; the release figures for 2,000,000 ranges are in the closing note and README.md.
        let generated = 100_000
        try Self.rangeFile(ranges, country: "US", funding: "credit", generated: generated)
        let daemon = try DaemonProcess(
            configuration: ["ranges = \(ranges)"],
            environment: ["NOTIFY_SOCKET": notify.path]
        )
        let client = CardCheckClient(socketPath: daemon.socketPath, timeout: .seconds(60))
        func attributes() async throws -> String {
            let card = try await client.validate(ValidationRequest(pan: Self.pan)).pan?.card
            let country = card?.issuerCountry ?? "-"
            // Every text must agree with the country: the old file's or the new one's, whole.
            guard card?.brand.name == "diners-club", card?.product == "test \(country)",
                card?.issuer == "Issuer of \(country)", card?.networks.map(\.name) == ["cartes-bancaires"]
            else { return "mixed: \(card.map(String.init(describing:)) ?? "none")" }
            return "\(country)/\(card?.funding?.name ?? "-")"
        }
        #expect(try await attributes() == "US/credit")

        // Writers swap the file between two contents and send SIGHUP; readers validate without pause.
        let stop = ManagedAtomicFlag()
        async let load: [String: Int] = withThrowingTaskGroup(of: [String: Int].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var seen: [String: Int] = [:]
                    while !stop.isSet {
                        let batch = try await withThrowingTaskGroup(of: String.self) { inner in
                            for _ in 0..<32 { inner.addTask { try await attributes() } }
                            var answers: [String] = []
                            for try await answer in inner { answers.append(answer) }
                            return answers
                        }
                        for answer in batch { seen[answer, default: 0] += 1 }
                    }
                    return seen
                }
            }
            var all: [String: Int] = [:]
            for try await seen in group { all.merge(seen, uniquingKeysWith: +) }
            return all
        }
        var reloads = 0
        for round in 0..<6 {
            let (country, funding) = round % 2 == 0 ? ("GB", "prepaid") : ("US", "credit")
            try Self.rangeFile(ranges, country: country, funding: funding, generated: generated)
            let sent = Date()
            kill(daemon.process.processIdentifier, SIGHUP)
            let ready = try #require(await offThePool { notify.waitFor("READY=1", after: sent, timeout: 60) })
            #expect(ready.value("STATUS")?.contains("last reload: ok") == true, "\(ready.lines)")
            reloads += 1
            let expected = "\(country)/\(funding)"
            #expect(try await attributes() == expected)
        }
        // A bad line: the reload fails, says so in STATUS=, and the data in force stays.
        let before = try await attributes()
        try "\(Self.header)\n36000000,36000000,diners-club,,XX,,,,\n".write(
            toFile: ranges,
            atomically: false,
            encoding: .utf8
        )
        let sent = Date()
        kill(daemon.process.processIdentifier, SIGHUP)
        let failed = try #require(await offThePool { notify.waitFor("READY=1", after: sent, timeout: 60) })
        let status = failed.value("STATUS") ?? ""
        #expect(status.contains("last reload: FAILED") && status.contains("\(ranges):2:"), "\(status)")
        #expect(try await attributes() == before)
        stop.set()
        let seen = try await load

        // Only whole answers: the old data or the new, never a mix of the two files' fields.
        #expect(Set(seen.keys).isSubset(of: ["US/credit", "GB/prepaid"]), "\(seen)")
        #expect(seen.values.reduce(0, +) > 1_000, "\(seen)")
        #expect(reloads == 6)
        await client.close()
        #expect(daemon.stop() == 0)
        #expect(daemon.log.contains("card data loaded"))
        #expect(!daemon.logShows(Self.pan))
    }

    @Test(
        "a range file large enough to be looked up ahead: pipelined requests over its ranges get the card data the engine gives"
    )
    func lookaheadAnswersAsTheEngine() async throws {
        let temporary = try TemporaryDirectory("ccl")
        let ranges = temporary.url.appendingPathComponent("ranges.csv").path
        try Self.rangeFile(ranges, country: "US", funding: "credit", generated: 100_000)
        let text = try String(contentsOfFile: ranges, encoding: .utf8)
        let local = try CardDirectory.compile(brandsFile: nil, rangesFile: (ranges, Array(text.utf8)))
        #expect(local.fetchesAhead, "the daemon looks this file's cards up ahead")
        // Every 50th row: a card at its low end, one at its high end, and one just past it (often another
        // range's, or a gap), so that mixed blocks are searched at their segments' edges.
        var pans: [String] = []
        for (index, line) in text.split(separator: "\n").enumerated() where index % 50 == 7 {
            let columns = line.split(separator: ",", omittingEmptySubsequences: false)
            guard columns.count > 2, let low = UInt64(columns[0]), let high = UInt64(columns[1]) else { continue }
            for prefix in [low, high, high + 1] {
                var digits = String(prefix)
                digits = String(repeating: "0", count: max(0, columns[0].count - digits.count)) + digits
                digits += String(repeating: "7", count: max(0, 15 - digits.count))
                pans.append(digits + String(Luhn.checkDigit(for: digits)))
            }
        }
        #expect(pans.count > 5_000)
        let daemon = try DaemonProcess(configuration: ["ranges = \(ranges)", "velocity = false"])
        // One connection, every request in flight at once: the daemon reads them in batches of many frames.
        let client = CardCheckClient(socketPath: daemon.socketPath, timeout: .seconds(120))
        let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, pan) in pans.enumerated() {
                group.addTask {
                    let card = try await client.validate(ValidationRequest(pan: pan)).pan?.card
                    return (index, card.map(String.init(describing:)) ?? "none")
                }
            }
            var answers = [String](repeating: "", count: pans.count)
            for try await (index, answer) in group { answers[index] = answer }
            return answers
        }
        var wrong = 0
        for (pan, answer) in zip(pans, answers) {
            let expected = local.attributes(of: try PAN(pan)).map(String.init(describing:)) ?? "none"
            if answer != expected {
                wrong += 1
                if wrong <= 5 {
                    Issue.record(
                        "\((try? PAN(pan))?.masked.description ?? "?"): the daemon answered \(answer), the engine \(expected)"
                    )
                }
            }
        }
        #expect(wrong == 0, "\(wrong) of \(pans.count) answers differ from the engine's")
        #expect(Set(answers).count > 100, "the cards span many ranges' data")
        await client.close()
        #expect(daemon.stop() == 0)
    }
}

/// Runs a blocking wait on a Dispatch thread, so that it does not hold one of the few threads the test's
/// own tasks (the load) run on.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: body()) }
    }
}

/// A flag set once, read by many tasks.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
