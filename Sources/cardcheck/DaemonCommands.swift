import ArgumentParser
import CardCheckClient
import CardCheckJSON
import CardCheckWire

struct PingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ping", abstract: "Check that cardcheckd answers.")

    @OptionGroup var daemon: DaemonOptions
    @Option(help: "How many pings.") var count = 1

    func run() async throws {
        let client = daemon.client()
        do {
            let hello = try await client.hello(clientName: "cardcheck ping")
            for _ in 0..<max(1, count) {
                let time = try await client.ping()
                print(
                    "PONG from \(hello.serverName) \(hello.serverVersion) (protocol \(hello.protocolVersion)) in \(time)"
                )
            }
        } catch {
            throw Terminal.fail(error)
        }
        await client.close()
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show cardcheckd's counters, or its metrics for Prometheus.",
        discussion: """
            With --prometheus, prints every metric in the Prometheus text exposition format. With --output \
            as well, replaces FILE atomically (for node_exporter's textfile collector, which must never \
            read a half-written file).
            """
    )

    @OptionGroup var daemon: DaemonOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Print the metrics in the Prometheus text exposition format.") var prometheus = false
    @Option(
        name: .customLong("output"),
        help: ArgumentHelp(
            "With --prometheus: write to this file (atomically) instead of standard output.",
            valueName: "file"
        )
    )
    var outputFile: String?

    func validate() throws {
        if outputFile != nil && !prometheus { throw ValidationError("--output goes with --prometheus") }
        if output.json && prometheus {
            throw ValidationError("--json and --prometheus are different formats; choose one")
        }
    }

    func run() async throws {
        let client = daemon.client()
        if prometheus {
            let text: String
            do { text = try await client.metrics() } catch { throw Terminal.fail(error) }
            await client.close()
            if let outputFile {
                try TextFile.replace(outputFile, with: text)
            } else {
                print(text, terminator: "")
            }
            return
        }
        let stats: CardCheckClient.Statistics
        do { stats = try await client.stats() } catch { throw Terminal.fail(error) }
        await client.close()
        if output.asJSON {
            var writer = JSONWriter()
            for (name, value) in stats.named { writer.add(name, number: value) }
            print(writer.finished)
        } else {
            for (name, value) in stats.named {
                print(name + String(repeating: " ", count: max(1, 22 - name.count)) + "\(value)")
            }
        }
    }
}
