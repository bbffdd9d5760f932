import CardCheck
import Foundation
import NIOConcurrencyHelpers
import Synchronization

/// Velocity limits against card testing (issue 17): failures counted per card and per BIN in bounded
/// tables, cards locked after too many, BINs flagged when many of their cards fail. A card is known only by
/// a keyed hash of its number (SipHash-2-4 under a key drawn from the kernel at start, never written
/// anywhere), so the tables say nothing about which cards they hold; the BIN is public.
///
/// The tables are split into 64 shards by hash, each behind its own lock, and live as long as the daemon:
/// a reload changes the limits, not the counts; a restart starts from nothing. Requests for cards that are
/// not locked, while no card is, take no lock: the latest lock's end is kept in an atomic, and so is the
/// latest BIN flag's.
public final class VelocityLimiter: CardVelocity, @unchecked Sendable {
    // @unchecked: the shards' tables are touched only under their locks; the rest is atomics or constant.

    /// The limits; sizes are fixed at start, the rest reloadable.
    public struct Settings: Sendable, Hashable {
        /// Wrong security codes, bad expiries and address failures per card within the window before it is
        /// locked for the window; 0 does not count that kind.
        public var codeFailures = 5
        public var expiryFailures = 5
        public var addressFailures = 10
        public var cardWindowSeconds: UInt32 = 3_600
        /// Distinct cards of one BIN failing within the window before its requests are flagged for the
        /// window; 0: off.
        public var binCards = 200
        public var binWindowSeconds: UInt32 = 600
        /// 6 or 8.
        public var binDigits = 6
        public var maximumCards = 1_000_000
        public var maximumBINs = 100_000

        public init() {}
    }

    /// What a card's entry holds: 16 bytes beside its 8-byte hash.
    struct CardRecord {
        var windowStart: UInt32 = 0
        var lockedUntil: UInt32 = 0
        var code: UInt16 = 0
        var expiry: UInt16 = 0
        var address: UInt16 = 0
    }

    struct BINRecord {
        var windowStart: UInt32 = 0
        var flaggedUntil: UInt32 = 0
        var cards: UInt32 = 0
    }

    final class Shard<Record>: @unchecked Sendable {
        let lock = NIOLock()
        var table: BoundedTable<Record>

        init(capacity: Int) { table = BoundedTable(capacity: capacity) }
        deinit { table.deallocate() }
    }

    static let shardCount = 64

    private let hasher = SipHash24.random()
    private let cards: [Shard<CardRecord>]
    private let bins: [Shard<BINRecord>]
    /// Read on every request without a lock; written on reload (`pack`): the thresholds, and the windows.
    private let limits: Synchronization.Atomic<UInt64>
    private let windows: Synchronization.Atomic<UInt64>
    private let binDigitsDivisors: [UInt64] = (0...19).map { power in
        (0..<power).reduce(UInt64(1)) { partial, _ in partial * 10 }
    }
    /// The end of the latest lock and flag given: before it, a lookup is needed; after it, none is.
    private let lockHorizon = Synchronization.Atomic<UInt32>(0)
    private let flagHorizon = Synchronization.Atomic<UInt32>(0)
    /// Seconds since start, from the monotonic clock; injected by tests.
    let now: @Sendable () -> UInt32
    /// Told when a card is locked (its masked number and the lock's seconds) or a BIN flagged: the daemon
    /// logs them. Rare events, off the request path's common case.
    public var onLock: (@Sendable (MaskedPAN, UInt32) -> Void)?
    public var onFlag: (@Sendable (UInt64, UInt32) -> Void)?

    // Counters for STATS and the metrics.
    let cardsLocked = Synchronization.Atomic<Int>(0)
    let binsFlagged = Synchronization.Atomic<Int>(0)
    let cardEvictions = Synchronization.Atomic<Int>(0)
    let binEvictions = Synchronization.Atomic<Int>(0)
    let lockedAnswers = Synchronization.Atomic<Int>(0)

    public init(settings: Settings, now: (@Sendable () -> UInt32)? = nil) {
        // The bound split over the shards, the remainder one each to the first: exactly the bound in all.
        func size(_ total: Int, _ shard: Int) -> Int {
            total / Self.shardCount + (shard < total % Self.shardCount ? 1 : 0)
        }
        cards = (0..<Self.shardCount).map { Shard<CardRecord>(capacity: size(settings.maximumCards, $0)) }
        bins = (0..<Self.shardCount).map { Shard<BINRecord>(capacity: size(settings.maximumBINs, $0)) }
        limits = Synchronization.Atomic<UInt64>(Self.pack(settings))
        windows = Synchronization.Atomic<UInt64>(Self.packWindows(settings))
        if let now {
            self.now = now
        } else {
            let start = Self.monotonicSeconds()
            self.now = { UInt32(clamping: Self.monotonicSeconds() - start + 1) }
        }
    }

    /// The coarse monotonic clock: seconds are all the windows need, and it is the cheapest clock to read.
    @Sendable static func monotonicSeconds() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &time)
        return time.tv_sec
    }

    /// Applies reloaded limits; the sizes stay as they were (the tables are made once: a restart changes
    /// them). Reloads come one at a time, from the reload thread.
    public func update(_ new: Settings) {
        limits.store(Self.pack(new), ordering: .releasing)
        windows.store(Self.packWindows(new), ordering: .releasing)
    }

    /// The per-request limits in one word: code, expiry and address thresholds (12 bits each), BIN cards
    /// (16 bits), BIN digits (4 bits); the windows are read from the settings on the slow paths only.
    private static func pack(_ settings: Settings) -> UInt64 {
        UInt64(min(settings.codeFailures, 4_095)) | UInt64(min(settings.expiryFailures, 4_095)) << 12
            | UInt64(min(settings.addressFailures, 4_095)) << 24 | UInt64(min(settings.binCards, 65_535)) << 36
            | UInt64(settings.binDigits) << 52
    }

    private static func packWindows(_ settings: Settings) -> UInt64 {
        UInt64(settings.cardWindowSeconds) | UInt64(settings.binWindowSeconds) << 32
    }

    /// The limits `record` needs, from the two words (no lock).
    private var current: Settings {
        let packed = limits.load(ordering: .acquiring)
        let windows = windows.load(ordering: .acquiring)
        var settings = Settings()
        settings.codeFailures = Int(packed & 0xFFF)
        settings.expiryFailures = Int(packed >> 12 & 0xFFF)
        settings.addressFailures = Int(packed >> 24 & 0xFFF)
        settings.binCards = Int(packed >> 36 & 0xFFFF)
        settings.binDigits = Int(packed >> 52 & 0xF)
        settings.cardWindowSeconds = UInt32(truncatingIfNeeded: windows)
        settings.binWindowSeconds = UInt32(truncatingIfNeeded: windows >> 32)
        return settings
    }

    // MARK: CardVelocity

    /// The card's keyed hash: never shown, logged or kept outside its table.
    @inline(__always) private func cardHash(_ pan: PAN) -> UInt64 { hasher.hash(pan.value, UInt64(pan.length)) }

    /// The card's BIN as a number (its first 6 or 8 digits).
    @inline(__always) private func bin(_ pan: PAN, digits: Int) -> UInt64 {
        pan.length > digits ? pan.value / binDigitsDivisors[pan.length - digits] : pan.value
    }

    public func ticket(for pan: PAN) -> VelocityTicket {
        var ticket = VelocityTicket(pan: pan, cardLocked: false, binFlagged: false)
        let lockHorizon = lockHorizon.load(ordering: .relaxed)
        let flagHorizon = flagHorizon.load(ordering: .relaxed)
        // No lock or flag given yet: nothing to look up (and nothing hashed).
        if lockHorizon == 0 && flagHorizon == 0 { return ticket }
        let time = now()
        if time < lockHorizon {
            let card = cardHash(pan)
            let shard = cards[Int(card >> 58)]
            ticket.cardLocked = shard.lock.withLock {
                shard.table.position(of: card).map { shard.table[$0].lockedUntil > time } ?? false
            }
            if ticket.cardLocked { lockedAnswers.add(1, ordering: .relaxed) }
        }
        if time < flagHorizon {
            let bin = bin(pan, digits: Int(limits.load(ordering: .relaxed) >> 52 & 0xF))
            let shard = bins[Self.binShard(bin)]
            ticket.binFlagged = shard.lock.withLock {
                shard.table.position(of: bin).map { shard.table[$0].flaggedUntil > time } ?? false
            }
        }
        return ticket
    }

    private static func binShard(_ bin: UInt64) -> Int { Int((bin &* 0x9E37_79B9_7F4A_7C15) >> 58) }

    public func record(_ failures: VelocityFailures, for ticket: VelocityTicket) {
        let settings = current
        let time = now()
        let card = cardHash(ticket.pan)
        let shard = cards[Int(card >> 58)]
        let (firstFailure, locked, evicted) = shard.lock.withLock { () -> (Bool, Bool, Bool) in
            let (position, _, evicted) = shard.table.findOrAdd(card, value: CardRecord(windowStart: time)) {
                $0.lockedUntil > time
            }
            var record = shard.table[position]
            if time &- record.windowStart >= settings.cardWindowSeconds {
                record = CardRecord(windowStart: time, lockedUntil: record.lockedUntil)
            }
            let first = record.code == 0 && record.expiry == 0 && record.address == 0
            if failures.contains(.code) { record.code &+= 1 }
            if failures.contains(.expiry) { record.expiry &+= 1 }
            if failures.contains(.address) { record.address &+= 1 }
            func over(_ count: UInt16, _ limit: Int) -> Bool { limit > 0 && Int(count) >= limit }
            var locked = false
            if record.lockedUntil <= time
                && (over(record.code, settings.codeFailures) || over(record.expiry, settings.expiryFailures)
                    || over(record.address, settings.addressFailures))
            {
                record.lockedUntil = time &+ settings.cardWindowSeconds
                locked = true
            }
            shard.table[position] = record
            return (first, locked, evicted)
        }
        if evicted { cardEvictions.add(1, ordering: .relaxed) }
        if locked {
            cardsLocked.add(1, ordering: .relaxed)
            raise(lockHorizon, to: time &+ settings.cardWindowSeconds)
            onLock?(ticket.pan.masked, settings.cardWindowSeconds)
        }
        guard firstFailure, settings.binCards > 0 else { return }
        let bin = bin(ticket.pan, digits: settings.binDigits)
        let binShard = bins[Self.binShard(bin)]
        let (flagged, binEvicted) = binShard.lock.withLock { () -> (Bool, Bool) in
            let (position, _, evicted) = binShard.table.findOrAdd(bin, value: BINRecord(windowStart: time)) {
                $0.flaggedUntil > time
            }
            var record = binShard.table[position]
            if time &- record.windowStart >= settings.binWindowSeconds {
                record = BINRecord(windowStart: time, flaggedUntil: record.flaggedUntil)
            }
            record.cards &+= 1
            var flagged = false
            if record.flaggedUntil <= time && Int(record.cards) >= settings.binCards {
                record.flaggedUntil = time &+ settings.binWindowSeconds
                flagged = true
            }
            binShard.table[position] = record
            return (flagged, evicted)
        }
        if binEvicted { binEvictions.add(1, ordering: .relaxed) }
        if flagged {
            binsFlagged.add(1, ordering: .relaxed)
            raise(flagHorizon, to: time &+ settings.binWindowSeconds)
            onFlag?(bin, settings.binWindowSeconds)
        }
    }

    private func raise(_ horizon: borrowing Synchronization.Atomic<UInt32>, to value: UInt32) {
        var current = horizon.load(ordering: .relaxed)
        while current < value {
            let (exchanged, original) = horizon.compareExchange(
                expected: current,
                desired: value,
                ordering: .relaxed
            )
            if exchanged { return }
            current = original
        }
    }

    // MARK: Figures

    /// Cards and BINs held now (locks taken one shard at a time).
    public var trackedCards: Int {
        cards.reduce(0) { total, shard in total + shard.lock.withLock { shard.table.count } }
    }
    public var trackedBINs: Int { bins.reduce(0) { total, shard in total + shard.lock.withLock { shard.table.count } } }
}
