import CardCheck
import CardCheckLoad
import CardCheckTestSupport
import Foundation
import Testing

/// `cardcheck bench` against the real daemon: it counts what it sends, checks every answer, paces an open
/// loop, and fails when answers are wrong.
@Suite("cardcheck bench", .serialized)
struct BenchTests {
    func daemonWithKeys() throws -> (DaemonProcess, String, TemporaryDirectory) {
        let directory = try TemporaryDirectory("ccb")
        let keys = directory.file("keys")
        try """
        4114 \(KeyLoadingTests.testKey) name=visa-test
        4123 \(AuthenticationValueOperationTests.cavvKey) purpose=cavv indicator=01 name=cavv-test
        5432 \(AuthenticationValueOperationTests.aavKey) purpose=aav key_id=1 name=aav-test

        """.write(toFile: keys, atomically: false, encoding: .utf8)
        chmod(keys, 0o600)
        return (try DaemonProcess(configuration: ["keys = \(keys)"]), keys, directory)
    }

    func report(_ output: String) throws -> [String: Any] { try jsonReport(output) }

    @Test("a closed-loop run of every request kind: each request answered once and answered right")
    func closedLoop() throws {
        let (daemon, keys, directory) = try daemonWithKeys()
        defer { withExtendedLifetime(directory) {} }
        let run = try BuiltBinary.run(
            "cardcheck",
            [
                "bench", "--socket", daemon.socketPath, "--connections", "8", "--pipeline", "4", "--requests", "4000",
                "--warmup", "0", "--mix", "full=40,luhn=20,csc=15,interpret=5,threeds=10,cavv=10", "--keys", keys,
                "--json",
            ]
        )
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let figures = try report(run.stdout)
        #expect(
            figures["sent"] as? Int == 4000 && figures["answered"] as? Int == 4000
                && figures["measured"] as? Int == 4000
        )
        #expect(figures["ok"] as? Bool == true)
        let latency = try #require(figures["latency_us"] as? [String: Double])
        let p50 = try #require(latency["p50"])
        let p99 = try #require(latency["p99"])
        let max = try #require(latency["max"])
        #expect(0 < p50 && p50 <= p99 && p99 <= max)
        // The daemon saw exactly those requests.
        let stats = try BuiltBinary.run("cardcheck", ["stats", "--socket", daemon.socketPath, "--json"])
        let answered = try #require(try report(stats.stdout)["requests_answered"] as? Int)
        // The bench's, the STATS itself, a readiness PING.
        #expect((4_000...4_002).contains(answered), "\(stats.stdout)")
        #expect(daemon.stop() == 0)
    }

    @Test("answers that differ from the engine's are counted and fail the run (exit 1)")
    func detectsWrongAnswers() throws {
        let (daemon, _, directory) = try daemonWithKeys()
        defer { withExtendedLifetime(directory) {} }
        // Without --keys the bench expects U, while the daemon verifies codes under its key: M or N.
        let run = try BuiltBinary.run(
            "cardcheck",
            [
                "bench", "--socket", daemon.socketPath, "--connections", "2", "--requests", "200", "--warmup", "0",
                "--mix", "csc", "--json",
            ]
        )
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        let problems = try #require(try report(run.stdout)["problems"] as? [String: Int])
        #expect((problems["wrong_answer"] ?? 0) > 0)
        #expect(daemon.stop() == 0)
    }

    @Test("open loop: the rate asked for is the rate sent, latency counted from the intended send time")
    func openLoop() throws {
        // A deep pipeline, so that a latency spike on a busy machine delays answers but not sends.
        let (daemon, keys, directory) = try daemonWithKeys()
        defer { withExtendedLifetime(directory) {} }
        let run = try BuiltBinary.run(
            "cardcheck",
            [
                "bench", "--socket", daemon.socketPath, "--connections", "4", "--pipeline", "32", "--rate", "1000",
                "--duration", "2",
                "--warmup", "0", "--keys", keys, "--json",
            ]
        )
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let sent = try #require(try report(run.stdout)["sent"] as? Int)
        #expect((1_900...2_100).contains(sent), "sent \(sent) at 1000/s for 2 s")
        #expect(daemon.stop() == 0)
    }

    @Test(
        "--reconnect rides out a SIGTERM restart and a kill -9: every request answered once and right",
        .timeLimit(.minutes(2))
    )
    func reconnects() throws {
        let first = try DaemonProcess(configuration: ["velocity = false"])
        let bench = Process()
        bench.executableURL = BuiltBinary.url("cardcheck")
        bench.arguments = [
            "bench", "--socket", first.socketPath, "--connections", "8", "--pipeline", "8", "--duration", "5",
            "--warmup", "0", "--threads", "1", "--reconnect", "--json",
        ]
        let output = Pipe()
        bench.standardOutput = output
        bench.standardError = FileHandle.nullDevice
        try bench.run()
        // A stop the way systemd's restart makes it (SIGTERM: what was read is answered, the rest is not read),
        // then a crash (SIGKILL: nothing more is answered; the kernel resets the connections).
        Thread.sleep(forTimeInterval: 1.5)
        #expect(first.stop() == 0)
        let second = try DaemonProcess(replacing: first)
        Thread.sleep(forTimeInterval: 1.5)
        kill(second.process.processIdentifier, SIGKILL)
        second.process.waitUntilExit()
        let third = try DaemonProcess(replacing: second)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        bench.waitUntilExit()
        #expect(bench.terminationStatus == 0, "\(text)\n\(third.log)")
        let figures = try report(text)
        #expect(figures["ok"] as? Bool == true && (figures["problems"] as? [String: Int])?.isEmpty == true)
        #expect(figures["sent"] as? Int == figures["answered"] as? Int)
        // Each of the 8 connections broke twice, and the kill -9 left requests unanswered to send again.
        #expect((figures["reopened"] as? Int ?? 0) >= 16, "\(text)")
        #expect((figures["resent"] as? Int ?? 0) > 0, "\(text)")
        #expect(third.stop() == 0)
    }

    @Test("--server redis drives a real Redis's PING on the same client, every answer checked")
    func redisPing() throws {
        let directory = try TemporaryDirectory("ccr")
        var redis: [Process] = []
        defer {
            // SIGKILL: the test process blocks SIGTERM, and its children inherit the mask.
            for server in redis {
                kill(server.processIdentifier, SIGKILL)
                server.waitUntilExit()
            }
            withExtendedLifetime(directory) {}
        }
        // A second Redis wants a password: each PING is answered -NOAUTH, which the bench must not count as an answer.
        for (name, extra) in [("open", [String]()), ("locked", ["--requirepass", "secret"])] {
            let server = Process()
            server.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
            server.arguments =
                ["--port", "0", "--unixsocket", directory.file("\(name).sock"), "--save", "", "--appendonly", "no"]
                + extra
            server.standardOutput = FileHandle.nullDevice
            try server.run()
            redis.append(server)
        }
        #expect(eventually(within: 10) { RawConnection.canConnect(directory.file("locked.sock")) })
        #expect(eventually(within: 10) { RawConnection.canConnect(directory.file("open.sock")) })

        let bench = { (name: String) in
            try BuiltBinary.run(
                "cardcheck",
                [
                    "bench", "--server", "redis", "--socket", directory.file("\(name).sock"), "--connections", "4",
                    "--pipeline", "16", "--requests", "50000", "--warmup", "0", "--threads", "1", "--json",
                ]
            )
        }
        let open = try bench("open")
        #expect(open.status == 0, "\(open.stdout)\(open.stderr)")
        let figures = try report(open.stdout)
        #expect(figures["sent"] as? Int == 50_000 && figures["answered"] as? Int == 50_000)
        #expect(figures["server"] as? String == "redis" && figures["ok"] as? Bool == true)

        let locked = try bench("locked")
        #expect(locked.status == 1, "\(locked.stdout)")
        let problems = try #require(try report(locked.stdout)["problems"] as? [String: Int])
        #expect(problems["redis_error"] == 50_000, "\(problems)")
    }

    @Test("a daemon that is not there is a clear error, not a hang")
    func noDaemon() throws {
        let run = try BuiltBinary.run(
            "cardcheck",
            ["bench", "--socket", "/tmp/no-such-cardcheck.sock", "--requests", "10"]
        )
        #expect(run.status == 69 && run.stderr.contains("cannot connect"), "\(run.stderr)")
    }

    @Test("the same seed makes the same requests; the mix is parsed strictly")
    func workload() throws {
        let month = YearMonth(year: 2026, month: 11)!
        let mix = try RequestMix("full=3,luhn=1")
        let first = Workload(mix: mix, seed: 7, count: 64, keys: nil, today: month)
        let again = Workload(mix: mix, seed: 7, count: 64, keys: nil, today: month)
        let other = Workload(mix: mix, seed: 8, count: 64, keys: nil, today: month)
        #expect(first.templates.map(\.request) == again.templates.map(\.request))
        #expect(first.templates.map(\.request) != other.templates.map(\.request))
        #expect(Set(first.templates.map(\.kind)) == [.full, .luhn])
        for text in ["full=x", "bogus=1", "full=1,full=2", "luhn=0"] {
            #expect(throws: RequestMix.Problem.self) { try RequestMix(text) }
        }
    }
}

/// The JSON object on the last line of a command's output (`cardcheck bench --json`, `cardcheck stats --json`).
func jsonReport(_ output: String) throws -> [String: Any] {
    let line = try #require(output.split(separator: "\n").last.map(String.init), "no output")
    return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(output)")
}
