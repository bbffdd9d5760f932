import CardCheck
import CardCheckClient
import CardCheckTestSupport
import CardCheckWire
import Foundation
import Testing

/// Prometheus text exposition, read into series (`name{labels}`) and values.
struct Exposition {
    var series: [String: Double] = [:]
    var types: [String: String] = [:]

    init(_ text: String) throws {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                types[String(parts[2])] = String(parts[3])
            } else if !line.hasPrefix("#") {
                let cut = try #require(line.lastIndex(of: " "), "\(line)")
                guard let value = Double(String(line[line.index(after: cut)...])) else {
                    throw Unreadable(line: String(line))
                }
                series[String(line[..<cut])] = value
            }
        }
    }

    struct Unreadable: Error { var line: String }

    subscript(_ key: String) -> Double? { series[key] }

    /// The cumulative buckets of a histogram series, in bucket order.
    func buckets(_ name: String, _ labels: String) -> [(bound: Double, count: Double)] {
        series.compactMap { key, value -> (Double, Double)? in
            guard key.hasPrefix("\(name)_bucket{\(labels),le=\"") else { return nil }
            let bound = key.split(separator: "\"").dropLast().last.map(String.init) ?? ""
            return (bound == "+Inf" ? .infinity : Double(bound) ?? .nan, value)
        }.sorted { $0.0 < $1.0 }
    }
}

@Suite("cardcheckd metrics (Prometheus)", .serialized)
struct MetricsTests {
    func metrics(_ daemon: DaemonProcess, _ extra: [String] = []) throws -> (status: Int32, text: String) {
        let run = try BuiltBinary.run("cardcheck", ["stats", "--prometheus", "--socket", daemon.socketPath] + extra)
        return (run.status, run.stdout)
    }

    @Test("requests by operation and outcome, errors by kind and a latency histogram agree with what was answered")
    func countsWhatWasAnswered() async throws {
        let daemon = try DaemonProcess(configuration: ["workers = 2"])
        let examples = try RepositoryFile.text("Protocol/examples/cards.jsonl")
        let local = try BuiltBinary.run("cardcheck", ["validate", "--local"], input: examples)
        // Through the daemon, `cardcheck validate` speaks JSON Lines on the socket: op="validate_jsonl".
        let remote = try BuiltBinary.run("cardcheck", ["validate", "--socket", daemon.socketPath], input: examples)
        #expect(remote.stdout == local.stdout)
        var expected: [String: Double] = [:]
        for line in local.lines {
            let outcome = Action.allCases.first { line.contains("\"action\":\"\($0.name)\"") }?.name ?? "error"
            expected[outcome, default: 0] += 1
        }
        #expect(expected.count >= 3, "the examples should give several outcomes: \(expected)")

        let client = CardCheckClient(socketPath: daemon.socketPath)
        _ = try await client.interpret(avs: .Y, csc: .M)
        await client.close()
        let raw = try RawConnection(daemon.socketPath)
        raw.send(requestBytes(0x42, id: 7))
        #expect(errorKind(try frames(in: raw.receive(atLeast: 20)).first) == .unknownOperation)

        let (status, text) = try metrics(daemon)
        #expect(status == 0)
        let exposition = try Exposition(text)
        for action in Action.allCases {
            #expect(
                exposition[#"cardcheck_requests_total{op="validate_jsonl",outcome="\#(action.name)"}"#] == expected[
                    action.name
                ] ?? 0,
                "\(action.name)"
            )
        }
        let validateErrors = expected["error"] ?? 0
        #expect(exposition[#"cardcheck_requests_total{op="validate_jsonl",outcome="error"}"#] == validateErrors)
        #expect(exposition[#"cardcheck_requests_total{op="interpret",outcome="ok"}"#] == 1)
        #expect(exposition[#"cardcheck_requests_total{op="unknown",outcome="error"}"#] == 1)
        #expect(exposition[#"cardcheck_errors_total{kind="unknown_operation"}"#] == 1)
        let errorSum = exposition.series.filter { $0.key.hasPrefix("cardcheck_errors_total{") }.values.reduce(0, +)
        #expect(errorSum == validateErrors + 1)

        // Latency: one observation per VALIDATE, cumulative buckets in microseconds up to a second.
        let validations = Double(local.lines.count)
        #expect(exposition.types["cardcheck_request_duration_seconds"] == "histogram")
        #expect(exposition[#"cardcheck_request_duration_seconds_count{op="validate_jsonl"}"#] == validations)
        #expect((exposition[#"cardcheck_request_duration_seconds_sum{op="validate_jsonl"}"#] ?? 0) > 0)
        let buckets = exposition.buckets("cardcheck_request_duration_seconds", #"op="validate_jsonl""#)
        #expect(buckets.first?.bound == 0.000005 && buckets.last?.bound == .infinity, "\(buckets)")
        #expect(buckets.last?.count == validations)
        #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0.count <= $1.count }, "\(buckets)")

        #expect((exposition["cardcheck_connections_accepted_total"] ?? 0) >= 4)
        #expect(exposition["cardcheck_connections_open"] ?? 0 >= 1)
        #expect(exposition[#"cardcheck_worker_queue_depth{worker="0"}"#] != nil)
        #expect(exposition[#"cardcheck_worker_queue_depth{worker="1"}"#] != nil)
        #expect(exposition[#"cardcheck_build_info{version="0.1.0"}"#] == 1)
        #expect((exposition["cardcheck_uptime_seconds"] ?? 0) > 0)

        // No card data: not one PAN of the input appears, not even with its separators removed.
        for line in examples.split(separator: "\n") {
            guard let range = line.range(of: #""pan":""#), let end = line[range.upperBound...].firstIndex(of: "\"")
            else { continue }
            let digits = line[range.upperBound..<end].filter(\.isNumber)
            guard digits.count >= 12 else { continue }
            #expect(!text.contains(digits), "a PAN appears in the metrics")
        }
        #expect(daemon.stop() == 0)
    }

    @Test("reloads are counted by result; --output replaces a file atomically for node_exporter")
    func reloadsAndTextfile() throws {
        let daemon = try DaemonProcess()
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(waitFor { (try? Exposition(metrics(daemon).text))?[#"cardcheck_reloads_total{result="ok"}"#] == 1 })
        try "socket = \(daemon.socketPath)\nno_such_key = 1\n".write(
            toFile: daemon.configPath,
            atomically: true,
            encoding: .utf8
        )
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(waitFor { (try? Exposition(metrics(daemon).text))?[#"cardcheck_reloads_total{result="failed"}"#] == 1 })

        let file = daemon.directory.appendingPathComponent("cardcheck.prom")
        try "stale".write(to: file, atomically: true, encoding: .utf8)
        let (status, printed) = try metrics(daemon, ["--output", file.path])
        #expect(status == 0 && printed.isEmpty)
        let written = try String(contentsOf: file, encoding: .utf8)
        #expect(try Exposition(written)["cardcheck_build_info{version=\"0.1.0\"}"] == 1)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: daemon.directory.path).filter {
            $0.hasSuffix(".tmp")
        }
        #expect(leftovers.isEmpty, "\(leftovers)")

        let misuse = try BuiltBinary.run("cardcheck", ["stats", "--output", file.path, "--socket", daemon.socketPath])
        #expect(misuse.status != 0 && misuse.stderr.contains("--output goes with --prometheus"))
        #expect(daemon.stop() == 0)
    }

    func waitFor(_ condition: () -> Bool) -> Bool {
        for _ in 0..<100 {
            if condition() { return true }
            usleep(50_000)
        }
        return false
    }
}
