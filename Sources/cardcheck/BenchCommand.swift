import ArgumentParser
import CardCheckCrypto
import CardCheckLoad
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load-test cardcheckd: throughput and latency percentiles, with every answer checked.",
        discussion: """
            Closed loop by default: each connection keeps --pipeline requests in flight as fast as answers \
            come. With --rate, open loop: that many requests per second in all, and each latency counts \
            from when the request should have been sent, so a stall shows in the figures instead of \
            slowing the load (no coordinated omission, as wrk2). Latency goes into an HdrHistogram.

            Every answer is compared byte for byte with the engine's answer in this process (the card \
            networks' default policy, and the daemon's keys when given with --keys). Against a daemon \
            with another policy, use --no-check. The exit status is 1 if any request failed, timed out \
            or was answered wrongly.

            Mix kinds: luhn (VALIDATE, PAN only), full (VALIDATE: PAN, expiry, CSC, both addresses), \
            csc (CSC_VERIFY), interpret (INTERPRET), threeds (full with a 3-D Secure outcome), cavv \
            (CAVV_VERIFY), ping (PING).

            --server redis loads a Redis server's Unix socket with PING in RESP instead, each answer \
            checked, so that cardcheckd and Redis are measured by the same client (scripts/compare-redis). \
            --reconnect rides out a daemon restart as the client library does: a broken connection is \
            opened again and its unanswered requests are sent again; their latency counts from the first \
            send, so the longest stall is the maximum.
            """
    )

    @OptionGroup var socket: SocketOptions
    @Option(help: "Connections to open.") var connections = 16
    @Option(help: "Requests in flight per connection.") var pipeline = 1
    @Option(help: "Seconds to measure (after the warm-up).") var duration: Double?
    @Option(help: "Requests to send in all, instead of --duration.") var requests: Int?
    @Option(help: "Seconds of load before measuring starts.") var warmup = 1.0
    @Option(help: "Open loop: requests per second in all.") var rate: Double?
    @Option(
        help:
            "Request kinds (luhn, full, csc, interpret, threeds, cavv, ping) and their shares, e.g. full=70,luhn=20,csc=5,interpret=5."
    ) var mix = RequestMix(
        argument: "full"
    )!
    @Option(help: "Seed for the generated cards (the same seed, the same requests).") var seed: UInt64 = 1
    @Option(help: "Event loop threads (default: one per core).") var threads = ProcessInfo.processInfo
        .activeProcessorCount
    @Option(help: "The daemon's key file, to make right codes and check M/N answers.") var keys: String?

    /// The daemon's card data files, so that its answers (brand, issuer data) are checked against the same.
    @OptionGroup var cardData: CardDataOptions
    @Flag(help: "Do not compare answers with the engine's (a daemon with its own policy).") var noCheck = false
    @Option(help: "The server to load: cardcheckd, or redis (PING in RESP, to compare).")
    var server = LoadOptions.Server.cardcheckd
    @Flag(help: "Open a broken connection again and send its unanswered requests again.") var reconnect = false
    @Flag(help: "Print the report as one JSON object.") var json = false

    func validate() throws {
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        guard (1...65_536).contains(pipeline) else { throw ValidationError("--pipeline must be 1 to 65536") }
        guard duration == nil || requests == nil else {
            throw ValidationError("give --duration or --requests, not both")
        }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        if let requests, requests < 1 { throw ValidationError("--requests must be at least 1") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        guard warmup >= 0 else { throw ValidationError("--warmup cannot be negative") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if server == .redis {
            guard keys == nil, cardData.isEmpty else {
                throw ValidationError("--server redis takes no card data or keys")
            }
            guard !reconnect else { throw ValidationError("--reconnect is for cardcheckd (Redis answers carry no id)") }
        }
    }

    func run() throws {
        var options = LoadOptions(socketPath: socket.socket, mix: mix, threads: threads)
        options.connections = connections
        options.pipeline = pipeline
        options.length = requests.map { .requests($0) } ?? .seconds(duration ?? 10)
        options.warmupSeconds = warmup
        options.pace = rate.map { .constant(perSecond: $0) } ?? .asFastAsPossible
        options.seed = seed
        options.checkAnswers = !noCheck
        options.server = server
        if server == .redis { options.mix = Workload.redisPing.mix }
        options.reconnect = reconnect
        if let keys {
            do { options.keys = try KeyFile.load(keys, ownership: .any) } catch {
                throw ValidationError("--keys \(error)")
            }
        }
        if !cardData.isEmpty { options.cards = try cardData.directory() }
        let onTerminal = isatty(STDERR_FILENO) == 1
        let report: LoadReport
        do {
            report = try LoadRun.run(options) { seconds, answered in
                if onTerminal { Terminal.printError(String(format: "%5.1f s  %d answered", seconds, answered)) }
            }
        } catch {
            Terminal.printError("cardcheck bench: \(error)")
            throw ExitCode(69)
        }
        print(json ? report.json : report.text)
        if !report.succeeded { throw ExitCode(1) }
    }
}

extension LoadOptions.Server: ExpressibleByArgument {}
