import CardCheck
import CardCheckCrypto
import CardCheckTestSupport
import CardCheckWire
import Foundation
import NIOCore
import Synchronization
import Testing

@testable import CardCheckServer

/// A `VALIDATE` frame's bytes.
func validateBytes(id: UInt32, _ request: ValidationRequest) -> [UInt8] {
    requestBytes(Opcode.validate.rawValue, id: id) { try! ValidateCodec.write(request, to: &$0) }
}

/// Sends `requests` pipelined on one connection while a second thread reads, so that neither side's
/// socket buffer stalls the other however many there are; returns every response frame, in order.
func exchange(_ path: String, count: Int, chunk: Int = 2_000, request: (Int) -> [UInt8]) throws -> [Frame] {
    let connection = try RawConnection(path)
    let received = Mutex<[UInt8]>([])
    let reader = Thread {
        var chunkBuffer = [UInt8](repeating: 0, count: 1 << 16)
        var frames = 0
        var pending: [UInt8] = []
        while frames < count {
            let read = chunkBuffer.withUnsafeMutableBytes { recv(connection.descriptor, $0.baseAddress, $0.count, 0) }
            if read <= 0 { break }
            pending += chunkBuffer[0..<read]
            // Count whole frames by their length prefixes.
            var offset = 0
            while pending.count - offset >= 4 {
                let length =
                    Int(pending[offset]) << 24 | Int(pending[offset + 1]) << 16 | Int(pending[offset + 2]) << 8
                    | Int(pending[offset + 3])
                guard pending.count - offset >= 4 + length else { break }
                offset += 4 + length
                frames += 1
            }
            received.withLock { $0 += pending[0..<offset] }
            pending.removeFirst(offset)
        }
    }
    reader.start()
    var index = 0
    while index < count {
        var bytes: [UInt8] = []
        for position in index..<min(count, index + chunk) { bytes += request(position) }
        connection.send(bytes)
        index += chunk
    }
    while !reader.isFinished { usleep(10_000) }
    return try frames(in: received.withLock { $0 })
}

/// A response without its request id: two answers compared byte for byte.
func answerBytes(_ frame: Frame) -> [UInt8] {
    var buffer = ByteBuffer()
    buffer.writeFrame(Frame(opcode: frame.opcode, requestID: 0, fields: frame.fields))
    return Array(buffer.readableBytesView)
}

func luhnPAN(_ payload: String) -> String { payload + String(Luhn.checkDigit(for: payload)) }

@Suite("Velocity limits", .serialized)
struct VelocityTests {
    static let card = "4114585553881637"  // 213 is its printed code under the test key (YYMM 2812)

    func daemon(_ extra: [String], directory: TemporaryDirectory) throws -> DaemonProcess {
        let keys = directory.file("keys")
        try "4114 \(KeyLoadingTests.testKey) name=visa-test\n".write(toFile: keys, atomically: false, encoding: .utf8)
        chmod(keys, 0o600)
        return try DaemonProcess(configuration: ["keys = \(keys)"] + extra)
    }

    @Test("a brute force of all 1,000 codes: 5 answers N, then every answer byte-identical (L) whatever the code")
    func bruteForce() throws {
        let directory = try TemporaryDirectory("vel")
        let daemon = try daemon([], directory: directory)
        let responses = try exchange(daemon.socketPath, count: 1_000) { code in
            validateBytes(
                id: UInt32(code + 1),
                ValidationRequest(pan: Self.card, expiry: "12/28", csc: String(format: "%03d", code))
            )
        }
        #expect(responses.count == 1_000)
        let results = try responses.map { try ValidateCodec.readResult($0.fields) }
        // Codes 000-004 are wrong: N each, and the fifth locks the card.
        #expect(results.prefix(5).allSatisfy { $0.csc?.result == .N }, "\(results.prefix(6).map { $0.csc?.result })")
        let later = Set(responses.dropFirst(5).map(answerBytes))
        #expect(later.count == 1, "\(later.count) different answers after the lock")
        // The right code (213) got the same answer as every wrong one: L, declined for velocity_card.
        #expect(results[213].csc?.result == .L && results[213].action == .decline)
        #expect(results[213].reasons.contains(.velocityCard) && !results.contains { $0.csc?.result == .M })

        // Other cards of the same range are unaffected; CSC_VERIFY agrees.
        let other = luhnPAN("411458555388200")
        let otherCode = try KeyFile.parse("4114 \(KeyLoadingTests.testKey)").issueCode(
            pan: try PAN(other),
            expiry: YearMonth(year: 2028, month: 12)!,
            serviceCode: 0
        )!.code
        let responses2 = try exchange(daemon.socketPath, count: 2) { index in
            validateBytes(
                id: UInt32(index + 1),
                ValidationRequest(pan: index == 0 ? other : Self.card, expiry: "12/28", csc: otherCode)
            )
        }
        let answers2 = try responses2.map { try ValidateCodec.readResult($0.fields) }
        #expect(answers2[0].csc?.result == .M && answers2[1].csc?.result == .L)

        // A reload changes the limits, not the counts: the card stays locked.
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(daemon.logContains("configuration reloaded"))
        let afterReload = try exchange(daemon.socketPath, count: 1) { _ in
            validateBytes(id: 1, ValidationRequest(pan: Self.card, expiry: "12/28", csc: "213"))
        }
        #expect(try afterReload.map { try ValidateCodec.readResult($0.fields).csc?.result } == [.L])
        #expect(daemon.log.contains("card locked by velocity limits") && daemon.log.contains("411458******1637"))

        let stats = try BuiltBinary.run("cardcheck", ["stats", "--socket", daemon.socketPath, "--json"])
        let figures = try jsonReport(stats.stdout)
        #expect(figures["velocity_cards_locked"] as? Int == 1 && figures["velocity_cards_tracked"] as? Int == 1)
        let metrics = try BuiltBinary.run("cardcheck", ["stats", "--socket", daemon.socketPath, "--prometheus"])
        #expect(metrics.stdout.contains("cardcheck_velocity_cards_locked_total 1"), "\(metrics.stdout)")
        #expect(daemon.stop() == 0)
        // No card number or code anywhere the daemon wrote: its log, STATS, metrics, its directory's files.
        let files = try FileManager.default.subpathsOfDirectory(atPath: daemon.directory.path).compactMap {
            FileManager.default.contents(atPath: daemon.directory.appendingPathComponent($0).path)
        }
        for secret in [Self.card, other, "213", otherCode] {
            #expect(!daemon.logShows(secret), "the log shows \(secret)")
        }
        // Figures and files are searched for the card numbers: a three-digit code occurs by chance in any
        // figure (a latency sum's 0.000213), and logShows reads the log's numbers whole.
        for secret in [Self.card, other] {
            #expect(!stats.stdout.contains(secret) && !metrics.stdout.contains(secret))
            #expect(!files.contains { $0.range(of: Data(secret.utf8)) != nil }, "a file holds \(secret)")
        }
    }

    @Test("CSC_VERIFY: wrong codes count, a locked card answers L for any code, M again once the window passed")
    func verifyAndWindow() throws {
        let directory = try TemporaryDirectory("vel")
        let daemon = try daemon(["velocity_csc_failures = 3", "velocity_card_window = 2"], directory: directory)
        func verify(_ codes: [String]) throws -> [String] {
            let responses = try exchange(daemon.socketPath, count: codes.count) { index in
                requestBytes(Opcode.cscVerify.rawValue, id: UInt32(index + 1)) {
                    SecurityCodeCodec.Request(pan: Self.card, expiry: "12/28", csc: codes[index]).write(to: &$0)
                }
            }
            return try responses.map { String(try SecurityCodeCodec.verification(fields: $0.fields).result.letter) }
        }
        #expect(try verify(["214", "213", "215", "216", "213", "999"]) == ["N", "M", "N", "N", "L", "L"])
        // The lock lasts the window (2 s), then the right code matches again.
        Thread.sleep(forTimeInterval: 3.2)
        #expect(try verify(["213"]) == ["M"])
        #expect(daemon.stop() == 0)
    }

    @Test("an enumeration of 500 cards of one BIN raises velocity_bin on that BIN's requests, no other's")
    func binEnumeration() throws {
        let directory = try TemporaryDirectory("vel")
        let daemon = try daemon([], directory: directory)
        // 500 distinct cards of BIN 455555, each failing once (an expired date), then one clean card of that
        // BIN and one of another.
        let cards = (0..<500).map { luhnPAN("455555" + String(format: "%09d", $0 * 7_919)) }
        let responses = try exchange(daemon.socketPath, count: 502) { index in
            if index < 500 {
                return validateBytes(id: UInt32(index + 1), ValidationRequest(pan: cards[index], expiry: "01/20"))
            }
            let pan = index == 500 ? luhnPAN("455555999999999") : luhnPAN("455556999999999")
            return validateBytes(id: UInt32(index + 1), ValidationRequest(pan: pan, expiry: "12/30"))
        }
        let results = try responses.map { try ValidateCodec.readResult($0.fields) }
        // The default: flagged once 200 distinct cards failed.
        let firstFlagged = results.firstIndex { $0.reasons.contains(.velocityBIN) }
        #expect(firstFlagged == 200, "\(String(describing: firstFlagged))")
        #expect(results[500].reasons.contains(.velocityBIN) && results[500].action == .review)
        #expect(!results[501].reasons.contains(.velocityBIN) && results[501].action == .accept)
        #expect(!results.contains { $0.reasons.contains(.velocityCard) })  // one failure per card
        #expect(daemon.stop() == 0)
    }

    @Test("the per-peer bucket refuses with rate_limited and the wait, keeps the connection, and recovers")
    func peerBucket() throws {
        let directory = try TemporaryDirectory("vel")
        let daemon = try daemon(["velocity_peer_requests = 20", "velocity_peer_burst = 20"], directory: directory)
        let responses = try exchange(daemon.socketPath, count: 200, chunk: 200) { index in
            validateBytes(id: UInt32(index + 1), ValidationRequest(pan: "4111111111111111"))
        }
        #expect(responses.count == 200)
        let refused = responses.filter { errorKind($0) == .rateLimited }
        let answered = responses.filter { $0.opcode == Opcode.validate.responseOpcode }
        #expect(answered.count >= 20 && answered.count < 40 && refused.count + answered.count == 200)
        let refusal = try #require(try refused.first.map { try WireError(fields: $0.fields) })
        #expect(refusal.code == "rate_limited" && (refusal.retryAfterMilliseconds ?? 0) > 0, "\(refusal)")
        // Refused, not a result: no answer of a refused request carries an action.
        #expect(refused.allSatisfy { (try? ValidateCodec.readResult($0.fields)) == nil })
        // After a second the bucket has 20 tokens again.
        Thread.sleep(forTimeInterval: 1.2)
        let later = try exchange(daemon.socketPath, count: 10, chunk: 10) { index in
            validateBytes(id: UInt32(index + 1), ValidationRequest(pan: "4111111111111111"))
        }
        #expect(later.allSatisfy { $0.opcode == Opcode.validate.responseOpcode })
        let stats = try BuiltBinary.run("cardcheck", ["stats", "--socket", daemon.socketPath, "--json"])
        #expect(try jsonReport(stats.stdout)["rate_limited"] as? Int == refused.count)
        #expect(daemon.stop() == 0)
    }

    @Test(
        "cardcheck bench against the default limits: its repeated failing cards are locked, reported as velocity_limited"
    )
    func benchSeesTheLimits() throws {
        let directory = try TemporaryDirectory("vel")
        let daemon = try daemon([], directory: directory)
        let run = try BuiltBinary.run(
            "cardcheck",
            [
                "bench", "--socket", daemon.socketPath, "--connections", "2", "--pipeline", "16", "--requests",
                "60000", "--warmup", "0", "--mix", "full", "--keys", directory.file("keys"), "--json",
            ]
        )
        #expect(run.status == 1)
        let problems = try #require(try jsonReport(run.stdout)["problems"] as? [String: Int])
        #expect((problems["velocity_limited"] ?? 0) > 0 && problems["wrong_answer"] == nil, "\(problems)")
        #expect(daemon.stop() == 0)
    }

    @Test("a stream of 1,000,000 distinct failing cards keeps 100,000 tracked (the bound) and the RSS flat")
    func boundedMemory() throws {
        let directory = try TemporaryDirectory("vel")
        let daemon = try daemon(["velocity_max_cards = 100000"], directory: directory)
        func rss() throws -> Int {
            let status = try String(contentsOfFile: "/proc/\(daemon.process.processIdentifier)/status", encoding: .utf8)
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
            return Int(line.split(separator: " ")[1])! * 1_024
        }
        let count = 1_000_000
        var template = validateBytes(id: 1, ValidationRequest(pan: "4000000000000002", expiry: "01/20"))
        let panOffset = template.indices.first { template[$0...].starts(with: Array("4000000000000002".utf8)) }!
        func request(_ index: Int) -> [UInt8] {
            let pan = luhnPAN("4" + String(format: "%014d", index * 104_729 % 100_000_000_000_000))
            template.replaceSubrange(panOffset..<panOffset + 16, with: Array(pan.utf8))
            template.replaceSubrange(8..<12, with: withUnsafeBytes(of: UInt32(index + 1).bigEndian, Array.init))
            return template
        }
        // Warm up to the bound, then measure the rest of the stream.
        _ = try exchange(daemon.socketPath, count: 200_000, request: request)
        let before = try rss()
        let responses = try exchange(daemon.socketPath, count: count - 200_000) { request($0 + 200_000) }
        #expect(responses.count == count - 200_000)
        let after = try rss()
        let stats = try jsonReport(
            try BuiltBinary.run("cardcheck", ["stats", "--socket", daemon.socketPath, "--json"]).stdout
        )
        #expect(stats["velocity_cards_tracked"] as? Int == 100_000, "\(stats)")
        #expect((stats["velocity_evictions"] as? Int ?? 0) >= 890_000, "\(stats)")
        // 800,000 more distinct cards: a table that grew would hold 25 MB more.
        #expect(after - before < 8_000_000, "RSS \(before) -> \(after)")
        #expect(daemon.stop() == 0)
    }
}

@Suite("JSON logs", .serialized)
struct JSONLogTests {
    @Test("log_format = json: every line of a run's log is one JSON object, fields as keys, no PAN beyond its mask")
    func everyLineIsJSON() throws {
        let directory = try TemporaryDirectory("jlog")
        let keys = directory.file("keys")
        try "4114 \(KeyLoadingTests.testKey) name=visa-test\n".write(toFile: keys, atomically: false, encoding: .utf8)
        chmod(keys, 0o600)
        let daemon = try DaemonProcess(configuration: ["keys = \(keys)", "log_format = json", "log_level = debug"])
        // Traffic that logs: connections, a code brute force that locks a card, an error answer, a reload.
        _ = try exchange(daemon.socketPath, count: 20) { code in
            validateBytes(
                id: UInt32(code + 1),
                ValidationRequest(pan: VelocityTests.card, expiry: "12/28", csc: String(format: "%03d", 300 + code))
            )
        }
        let broken = try RawConnection(daemon.socketPath)
        broken.send([0, 0, 0, 3, 1, 2, 3])  // a length under 8: malformed_stream, the connection closed
        _ = broken.receive(atLeast: 1)
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(daemon.logContains("configuration reloaded"))
        #expect(daemon.stop() == 0)

        let lines = daemon.log.split(separator: "\n")
        #expect(lines.count > 8)
        var messages: [String] = []
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            guard let object else { continue }
            #expect(object["time"] is String && object["level"] is String && object["message"] is String, "\(line)")
            messages.append(object["message"] as? String ?? "")
        }
        #expect(messages.contains("connection accepted") && messages.contains("configuration reloaded"))
        #expect(messages.contains("card locked by velocity limits"))
        let accepted = try #require(
            lines.lazy.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .first { $0["message"] as? String == "connection accepted" }
        )
        #expect(accepted["peer_uid"] as? String == "\(getuid())" && accepted["connection"] != nil, "\(accepted)")
        #expect(daemon.log.contains("411458******1637") && !daemon.logShows(VelocityTests.card))
        // No field holds a code the run sent (process ids may be any number, so they are left out).
        let codes = Set((300..<320).map(String.init))
        for line in lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                continue
            }
            for (key, value) in object where !key.hasSuffix("pid") {
                #expect(!codes.contains("\(value)"), "\(key) holds a code: \(line)")
            }
        }
    }
}
