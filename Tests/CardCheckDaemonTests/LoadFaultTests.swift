import CardCheck
import CardCheckClient
import CardCheckTestSupport
import Foundation
import NIOConcurrencyHelpers
import Synchronization
import Testing

/// Faults while the daemon is under load: the load generator (or the client library) checks every
/// answer against the in-process engine.
@Suite("cardcheckd under load and faults", .serialized)
struct LoadFaultTests {
    /// Starts `cardcheck bench` against `daemon` for `seconds`; read its JSON report with `finish`.
    func startBench(_ daemon: DaemonProcess, seconds: Int) throws -> (Process, Pipe) {
        let bench = Process()
        bench.executableURL = BuiltBinary.url("cardcheck")
        bench.arguments = [
            "bench", "--socket", daemon.socketPath, "--connections", "8", "--pipeline", "8",
            "--duration", "\(seconds)", "--warmup", "0", "--mix", "full=60,luhn=30,interpret=10", "--json",
        ]
        let output = Pipe()
        bench.standardOutput = output
        bench.standardError = FileHandle.nullDevice
        try bench.run()
        return (bench, output)
    }

    func finish(_ bench: (Process, Pipe)) throws -> (status: Int32, text: String, report: [String: Any]) {
        let text = String(decoding: bench.1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        bench.0.waitUntilExit()
        return (bench.0.terminationStatus, text, try jsonReport(text))
    }

    @Test("SIGHUP five times under load: no request lost, failed or answered wrongly")
    func reloadUnderLoad() throws {
        // The bench repeats its cards, some failing each time: velocity limits would lock them and change
        // the answers it checks (VelocityTests covers the limits).
        let daemon = try DaemonProcess(configuration: ["velocity = false"])
        let bench = try startBench(daemon, seconds: 3)
        for _ in 0..<5 {
            usleep(400_000)
            kill(daemon.process.processIdentifier, SIGHUP)
        }
        let run = try finish(bench)
        #expect(run.status == 0, "\(run.text)")
        #expect(run.text.contains(#""ok":true"#) && run.text.contains(#""problems":{}"#), "\(run.text)")
        #expect(daemon.stop() == 0)
        #expect(daemon.log.components(separatedBy: "configuration reloaded").count - 1 == 5, "\(daemon.log)")
    }

    @Test("SIGTERM under load: every request the daemon took in is answered and arrives; it exits 0 within seconds")
    func stopUnderLoad() async throws {
        let daemon = try DaemonProcess(configuration: ["velocity = false"])  // as reloadUnderLoad

        let bench = try startBench(daemon, seconds: 4)
        // Stop once the load is really on (a slow machine or a sanitizer build starts the bench late).
        let observer = CardCheckClient(socketPath: daemon.socketPath)
        var statsCalls = 0
        let giveUp = ContinuousClock.now + .seconds(30)
        while true {
            statsCalls += 1
            try #require(ContinuousClock.now < giveUp, "the load never started")
            if try await observer.stats().requestsAnswered >= 2_000 + UInt64(statsCalls) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        await observer.close()
        let stopAsked = ContinuousClock.now
        let status = daemon.stop()
        let stopTook = ContinuousClock.now - stopAsked
        let run = try finish(bench)
        #expect(status == 0)
        #expect(stopTook < .seconds(4), "a stop under load took \(stopTook)")
        // The daemon's own count of answers written equals what the load generator received: nothing
        // taken in was dropped, and nothing written was lost in the close.
        let answered = try #require(run.report["answered"] as? Int)
        let stopped = try #require(daemon.log.split(separator: "\n").last { $0.contains("stopped") }, "\(daemon.log)")
        let daemonAnswered = try #require(
            stopped.firstMatch(of: /requests_answered=(\d+)/).flatMap { Int($0.1) },
            "\(stopped)"
        )
        #expect(answered > 1_000, "\(run.text)")
        #expect(
            daemonAnswered == answered + statsCalls,
            "daemon: \(stopped); bench: \(run.text); STATS calls: \(statsCalls)"
        )
        // Requests sent after the daemon stopped reading find the connection closed; none is answered wrongly.
        let problems = try #require(run.report["problems"] as? [String: Int])
        #expect(Set(problems.keys).isSubset(of: ["connection_closed", "connection_error"]), "\(run.text)")
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
    }

    @Test(
        "kill -9 under load: the client library reconnects to the next daemon; no request fails or is answered wrongly"
    )
    func killUnderLoad() async throws {
        let first = try DaemonProcess(configuration: ["velocity = false"])  // as reloadUnderLoad
        var generator = CardGenerator(seed: 23)
        let requests = (0..<256).map { _ in generator.request() }
        let today = YearMonth(unixTime: Int64(Date().timeIntervalSince1970))
        let engine = Validator()
        let expected = requests.map { request -> String in
            do throws(CardCheck.ValidationError) {
                return "\(try engine.validate(request, today: today))"
            } catch {
                return "error \(error.code)"
            }
        }
        let client = CardCheckClient(socketPath: first.socketPath, timeout: .seconds(15))
        let run = RestartRun()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for loop in 0..<16 {
                group.addTask {
                    var index = loop
                    while run.phase.load(ordering: .relaxed) < 3 {
                        let request = requests[index % requests.count]
                        let sentIn = run.phase.load(ordering: .relaxed)
                        let answer: String
                        do throws(CardCheckClientError) {
                            answer = "\(try await client.validate(request))"
                        } catch let .server(error) {
                            answer = "error \(error.code)"
                        } catch {
                            run.tally.withLockedValue { $0.failures.append("\(error)") }
                            continue
                        }
                        let right = answer == expected[index % requests.count]
                        run.tally.withLockedValue {
                            $0.answered[min(sentIn, 2)] += 1
                            if !right { $0.wrong += 1 }
                        }
                        index += 16
                    }
                }
            }
            // Phases end on answers counted, not on time, so that a slow (sanitizer) build holds too.
            func awaitAnswers(_ count: Int, in phase: Int) async throws {
                let giveUp = ContinuousClock.now + .seconds(60)
                while run.tally.withLockedValue({ $0.answered[phase] }) < count, ContinuousClock.now < giveUp {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            try await awaitAnswers(500, in: 0)
            #expect(first.stop(signal: SIGKILL) == SIGKILL)
            run.phase.store(1, ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(300))  // requests meet a dead socket meanwhile
            let next = try DaemonProcess(replacing: first)
            run.phase.store(2, ordering: .relaxed)
            try await awaitAnswers(500, in: 2)
            run.phase.store(3, ordering: .relaxed)
            try await group.waitForAll()
            await client.close()
            #expect(next.stop() == 0)
        }
        let result = run.tally.withLockedValue { $0 }
        #expect(result.failures.isEmpty, "\(result.failures.prefix(5))")
        #expect(result.wrong == 0)
        #expect(result.answered[0] >= 500 && result.answered[2] >= 500, "answers per phase: \(result.answered)")
    }
}

/// What the request loops of the kill -9 test share.
private final class RestartRun: Sendable {
    /// 0: the first daemon serves, 1: it was killed, 2: the next daemon is up, 3: stop sending.
    let phase = Atomic<Int>(0)
    /// Answers by the phase their request was sent in, answers that differ from the engine's, failures.
    /// (A pthread lock, not `Synchronization.Mutex`: ThreadSanitizer does not see the futex under the
    /// latter and reports the guarded counts as a race.)
    let tally = NIOLockedValueBox<(answered: [Int], wrong: Int, failures: [String])>(([0, 0, 0], 0, []))
}
