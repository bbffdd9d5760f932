import Atomics

/// Request latency by operation, kept as a Prometheus histogram with atomic counters.
///
/// A batch is recorded **once**, with its request count: every request in a batch waited as long, so
/// the batch adds `count` to one bucket and `count × latency` to the sum: three relaxed atomic adds, no
/// lock (a swift-prometheus histogram takes a lock and walks every bucket per observation; the cost is
/// in Benchmarks/README.md). The exposition is the standard text
/// format (cumulative `le` buckets in seconds, `_sum`, `_count`), appended to the registry's text.
final class LatencyHistogram: Sendable {
    let name: String
    let help: String
    /// The `op` label of each series.
    let operations: [String]
    /// Upper bounds in nanoseconds, ascending; a last bucket (+Inf) follows them.
    let bounds: [Int64]
    /// Per series: one counter per bound plus +Inf, **not** cumulative (a count lands in one bucket).
    private let counts: AtomicCounters
    /// Per series, the sum of the latencies in nanoseconds.
    private let sums: AtomicCounters

    init(name: String, help: String, operations: [String], bounds: [Duration]) {
        self.name = name
        self.help = help
        self.operations = operations
        self.bounds = bounds.map(\.nanoseconds)
        precondition(zip(self.bounds, self.bounds.dropFirst()).allSatisfy { $0 < $1 }, "bounds must ascend")
        counts = AtomicCounters(count: operations.count * (bounds.count + 1))
        sums = AtomicCounters(count: operations.count)
    }

    /// `count` requests of operation `operation` (an index into `operations`) each took `nanoseconds`.
    func record(_ nanoseconds: Int64, count: Int, operation: Int) {
        var bucket = 0
        while bucket < bounds.count && bounds[bucket] < nanoseconds { bucket += 1 }
        counts.add(count, at: operation * (bounds.count + 1) + bucket)
        sums.add(Int(nanoseconds) &* count, at: operation)
    }

    /// The observations of one series: cumulative counts per bound, then the total, and the sum in ns.
    func series(_ operation: Int) -> (cumulative: [Int], total: Int, sumNanoseconds: Int64) {
        var running = 0
        var cumulative: [Int] = []
        for bucket in 0...bounds.count {
            running += counts[operation * (bounds.count + 1) + bucket]
            cumulative.append(running)
        }
        let total = cumulative.removeLast()
        return (cumulative, total, Int64(sums[operation]))
    }

    /// The Prometheus text for every series. A series counts from its +Inf bucket, so `_count` and
    /// `le="+Inf"` always agree, read at the same moment.
    func exposition() -> String {
        var text = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        for (operation, label) in operations.enumerated() {
            let (cumulative, total, sum) = series(operation)
            for (bound, count) in zip(bounds, cumulative) {
                text += "\(name)_bucket{op=\"\(label)\",le=\"\(Double(bound) / 1e9)\"} \(count)\n"
            }
            text += "\(name)_bucket{op=\"\(label)\",le=\"+Inf\"} \(total)\n"
            text += "\(name)_sum{op=\"\(label)\"} \(Double(sum) / 1e9)\n"
            text += "\(name)_count{op=\"\(label)\"} \(total)\n"
        }
        return text
    }
}

extension Duration {
    /// The whole duration in nanoseconds (for durations under 292 years).
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
