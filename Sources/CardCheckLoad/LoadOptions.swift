import CardCheck
import CardCheckCrypto

/// What a load run does.
public struct LoadOptions: Sendable {
    public enum Pace: Sendable, Hashable {
        /// Closed loop: each connection keeps `pipeline` requests in flight, as fast as answers come.
        case asFastAsPossible
        /// Open loop: this many requests per second in all, evenly spaced on every connection; latency is
        /// measured from when a request should have gone out, so a stall cannot hide (no coordinated omission).
        case constant(perSecond: Double)
    }

    public enum Length: Sendable, Hashable {
        case seconds(Double)
        case requests(Int)
    }

    /// The server a run loads.
    public enum Server: String, Sendable, Hashable, CaseIterable {
        /// cardcheckd, with the run's mix of requests.
        case cardcheckd
        /// A Redis server: `PING` in RESP, its answers checked, so that both servers are measured by one
        /// client on the same connections and pipeline (scripts/compare-redis).
        case redis
    }

    public var socketPath: String
    public var server = Server.cardcheckd
    public var connections = 16
    public var pipeline = 1
    public var length = Length.seconds(10)
    public var warmupSeconds = 1.0
    public var pace = Pace.asFastAsPossible
    public var mix: RequestMix
    public var seed: UInt64 = 1
    /// Event loop threads; one per core by default.
    public var threads: Int
    /// The daemon's key table, so that codes can be made right and answers checked.
    public var keys: KeyTable?
    /// The daemon's card data (brands and ranges files), so that its answers are checked against the same.
    public var cards: CardDirectory = .standard
    /// Check every answer against the engine (the default).
    public var checkAnswers = true
    /// A connection that breaks (a daemon restart, `kill -9`) is opened again, at once and then with a pause
    /// growing from 5 to 200 ms as the client library does, and its unanswered requests are sent again on
    /// the new one: every operation is idempotent. Latency counts from the first send, so the stall shows.
    public var reconnect = false
    /// How long to wait for answers still in flight when the run ends.
    public var drainSeconds = 5.0

    public init(socketPath: String, mix: RequestMix, threads: Int) {
        self.socketPath = socketPath
        self.mix = mix
        self.threads = threads
    }
}
