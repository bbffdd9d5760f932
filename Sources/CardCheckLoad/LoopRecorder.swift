import Histogram
import NIOCore

/// What the connections of one event loop measured. Touched only on that loop: no locks in the request
/// path. The run merges the recorders when it ends.
// @unchecked: made on its loop and, wrapped in NIOLoopBound, used only there.
final class LoopRecorder: @unchecked Sendable {
    /// Nanoseconds, 1 ns to 60 s, 3 significant digits.
    var latency = Histogram<UInt64>(
        lowestDiscernibleValue: 1,
        highestTrackableValue: 60_000_000_000,
        numberOfSignificantValueDigits: .three
    )
    /// Answers within the measured window (after warm-up).
    var measured = 0
    var sent = 0
    var answered = 0
    /// Connections opened again after theirs broke (`reconnect`), and the requests sent again on them.
    var reopened = 0
    var resent = 0
    /// Problems by type: `wrong_answer`, a server error code, `connection_error`, `timeout`, …
    var problems: [String: Int] = [:]
    /// The first wrong answers, described without card data.
    var examples: [String] = []
    /// The connections on this loop, for the open-loop ticker.
    var connections: [LoadConnection] = []

    func problem(_ type: String, _ example: @autoclosure () -> String? = nil) {
        problems[type, default: 0] += 1
        if examples.count < 5, let text = example() { examples.append(text) }
    }

    struct Snapshot: Sendable {
        var latency: Histogram<UInt64>
        var measured: Int
        var sent: Int
        var answered: Int
        var reopened: Int
        var resent: Int
        var problems: [String: Int]
        var examples: [String]
    }

    var snapshot: Snapshot {
        Snapshot(
            latency: latency,
            measured: measured,
            sent: sent,
            answered: answered,
            reopened: reopened,
            resent: resent,
            problems: problems,
            examples: examples
        )
    }
}
