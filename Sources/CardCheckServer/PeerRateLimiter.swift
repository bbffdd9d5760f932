import CardCheck
import NIOConcurrencyHelpers
import NIOCore

/// Token buckets per peer user (uid): one for requests, one for failures (wrong codes, bad expiries,
/// addresses matching nothing). A peer over either gets `rate_limited`, with the time until its bucket has
/// a token again, and keeps its connection. Off unless `velocity_peer_requests` or `velocity_peer_failures`
/// is set; the buckets survive a reload, which changes only the rates. Taken once per batch (the frames of
/// one read), not per request.
public final class PeerRateLimiter: @unchecked Sendable {
    // @unchecked: `buckets` and `limits` are touched only under `lock`.
    public struct Limits: Sendable, Hashable {
        /// Requests per second; 0: no request limit.
        public var requestsPerSecond: Double = 0
        /// Requests at once above the rate; 0: one second's worth.
        public var burst: Double = 0
        /// Failures per minute; 0: no failure limit.
        public var failuresPerMinute: Double = 0

        public init(requestsPerSecond: Double = 0, burst: Double = 0, failuresPerMinute: Double = 0) {
            self.requestsPerSecond = requestsPerSecond
            self.burst = burst
            self.failuresPerMinute = failuresPerMinute
        }

        var isOff: Bool { requestsPerSecond <= 0 && failuresPerMinute <= 0 }
        var requestCapacity: Double { burst > 0 ? burst : requestsPerSecond }
        /// A minute's failures may come at once.
        var failureCapacity: Double { failuresPerMinute }
    }

    struct Bucket {
        var requests: Double
        var failures: Double
        var updated: NIODeadline
    }

    private let lock = NIOLock()
    private var limits: Limits
    private var buckets: [UInt32: Bucket] = [:]
    /// Peers are the host's users: a handful. Buckets idle past a minute at full are dropped at this size.
    private static let pruneAbove = 4_096

    public init(_ limits: Limits) { self.limits = limits }

    public func update(_ new: Limits) { lock.withLock { limits = new } }

    /// How many of `count` requests `uid` may send now (the first ones), and, when not all, how long until
    /// the next would be admitted.
    public func admit(_ count: Int, uid: UInt32, now: NIODeadline = .now()) -> (granted: Int, retryAfter: TimeAmount?) {
        lock.withLock {
            let limits = self.limits
            if limits.isOff { return (count, nil) }
            var bucket = refilled(uid: uid, limits: limits, now: now)
            defer { buckets[uid] = bucket }
            // Failures over the limit stop every request until a failure token is back.
            if limits.failuresPerMinute > 0 && bucket.failures < 1 {
                let seconds = (1 - bucket.failures) / (limits.failuresPerMinute / 60)
                return (0, .nanoseconds(Int64(seconds * 1e9)))
            }
            guard limits.requestsPerSecond > 0 else { return (count, nil) }
            let granted = min(count, Int(bucket.requests.rounded(.down)))
            bucket.requests -= Double(granted)
            if granted == count { return (count, nil) }
            let seconds = (1 - bucket.requests) / limits.requestsPerSecond
            return (granted, .nanoseconds(Int64(seconds * 1e9)))
        }
    }

    /// Counts failures the peer's requests caused.
    public func failed(_ count: Int, uid: UInt32, now: NIODeadline = .now()) {
        guard count > 0 else { return }
        lock.withLock {
            guard limits.failuresPerMinute > 0 else { return }
            var bucket = refilled(uid: uid, limits: limits, now: now)
            bucket.failures -= Double(count)
            buckets[uid] = bucket
        }
    }

    private func refilled(uid: UInt32, limits: Limits, now: NIODeadline) -> Bucket {
        guard var bucket = buckets[uid] else {
            if buckets.count > Self.pruneAbove { prune(limits: limits, now: now) }
            return Bucket(requests: limits.requestCapacity, failures: limits.failureCapacity, updated: now)
        }
        let seconds = Double(max(0, (now - bucket.updated).nanoseconds)) / 1e9
        bucket.requests = min(limits.requestCapacity, bucket.requests + seconds * limits.requestsPerSecond)
        bucket.failures = min(limits.failureCapacity, bucket.failures + seconds * limits.failuresPerMinute / 60)
        bucket.updated = now
        return bucket
    }

    private func prune(limits: Limits, now: NIODeadline) {
        buckets = buckets.filter { now - $0.value.updated < .seconds(60) }
    }
}
