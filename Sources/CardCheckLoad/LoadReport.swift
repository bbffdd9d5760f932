import Histogram

/// What a load run measured: throughput, latency percentiles, problems by type.
public struct LoadReport: Sendable {
    public let options: LoadOptions
    /// Nanoseconds.
    public let latency: Histogram<UInt64>
    public let measured: Int
    public let sent: Int
    public let answered: Int
    /// Connections opened again after theirs broke, and requests sent again on them (`reconnect`).
    public let reopened: Int
    public let resent: Int
    public let problems: [String: Int]
    public let examples: [String]
    public let measuredSeconds: Double

    init(options: LoadOptions, snapshots: [LoopRecorder.Snapshot], measuredSeconds: Double) {
        self.options = options
        var latency = Histogram<UInt64>(
            lowestDiscernibleValue: 1,
            highestTrackableValue: 60_000_000_000,
            numberOfSignificantValueDigits: .three
        )
        var problems: [String: Int] = [:]
        var examples: [String] = []
        for snapshot in snapshots {
            latency.add(snapshot.latency)
            problems.merge(snapshot.problems, uniquingKeysWith: +)
            examples += snapshot.examples
        }
        self.latency = latency
        measured = snapshots.reduce(0) { $0 + $1.measured }
        sent = snapshots.reduce(0) { $0 + $1.sent }
        answered = snapshots.reduce(0) { $0 + $1.answered }
        reopened = snapshots.reduce(0) { $0 + $1.reopened }
        resent = snapshots.reduce(0) { $0 + $1.resent }
        self.problems = problems
        self.examples = Array(examples.prefix(5))
        self.measuredSeconds = measuredSeconds
    }

    public var throughput: Double { Double(measured) / measuredSeconds }
    public var problemCount: Int { problems.values.reduce(0, +) }
    /// Every request answered, and answered right.
    public var succeeded: Bool { problemCount == 0 && sent == answered && measured > 0 }

    public static let percentiles: [(name: String, value: Double)] = [
        ("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9), ("p99.99", 99.99),
    ]

    /// Microseconds at a percentile.
    public func microseconds(at percentile: Double) -> Double { Double(latency.valueAtPercentile(percentile)) / 1_000 }
    public var maxMicroseconds: Double { Double(latency.max) / 1_000 }
    public var meanMicroseconds: Double { latency.mean / 1_000 }

    private var loadText: String {
        switch options.server {
        case .cardcheckd: "mix \(options.mix), seed \(options.seed)"
        case .redis: "Redis PING (RESP)"
        }
    }

    private var paceText: String {
        switch options.pace {
        case .asFastAsPossible: "closed loop"
        case .constant(let rate): "open loop at \(Int(rate)) requests/s"
        }
    }

    /// For people.
    public var text: String {
        var lines = [
            "cardcheck bench: \(options.connections) connections, pipeline \(options.pipeline), \(paceText), \(loadText)",
            "requests: \(sent) sent, \(answered) answered, \(measured) measured over \(format(measuredSeconds)) s (after \(format(options.warmupSeconds)) s warm-up)",
            "throughput: \(Int(throughput.rounded())) requests/s",
            "latency (µs): "
                + Self.percentiles.map { "\($0.name) \(format(microseconds(at: $0.value)))" }.joined(separator: "  ")
                + "  max \(format(maxMicroseconds))  mean \(format(meanMicroseconds))",
        ]
        if options.reconnect {
            lines.append("reconnects: \(reopened) connections opened again, \(resent) requests sent again")
        }
        if problems.isEmpty {
            lines.append(options.checkAnswers ? "answers: all checked, all right" : "answers: not checked (--no-check)")
        } else {
            lines.append(
                "PROBLEMS: "
                    + problems.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            )
            lines += examples.map { "  e.g. \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    /// For machines: one JSON object.
    public var json: String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var pace = "null"
        if case .constant(let rate) = options.pace { pace = format(rate) }
        let latencyFields =
            Self.percentiles.map { "\(quoted($0.name)):\(format(microseconds(at: $0.value)))" }
            + ["\"max\":\(format(maxMicroseconds))", "\"mean\":\(format(meanMicroseconds))"]
        let problemFields = problems.sorted { $0.key < $1.key }.map { "\(quoted($0.key)):\($0.value)" }
        return "{"
            + [
                "\"server\":\(quoted(options.server.rawValue))",
                "\"connections\":\(options.connections)", "\"pipeline\":\(options.pipeline)", "\"rate\":\(pace)",
                "\"mix\":\(quoted(options.mix.description))", "\"seed\":\(options.seed)",
                "\"threads\":\(options.threads)",
                "\"sent\":\(sent)", "\"answered\":\(answered)", "\"measured\":\(measured)",
                "\"reopened\":\(reopened)", "\"resent\":\(resent)",
                "\"seconds\":\(format(measuredSeconds))", "\"requests_per_second\":\(format(throughput))",
                "\"latency_us\":{" + latencyFields.joined(separator: ",") + "}",
                "\"problems\":{" + problemFields.joined(separator: ",") + "}",
                "\"ok\":\(succeeded)",
            ].joined(separator: ",") + "}"
    }

    private func format(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String((value * 100).rounded() / 100)
    }
}
