import CardCheck
import Synchronization
import Testing

@testable import CardCheckServer

@Suite("Velocity tables: SipHash-2-4 and the bounded table")
struct VelocityTableTests {
    static let referenceKey = SipHash24(k0: 0x0706_0504_0302_0100, k1: 0x0F0E_0D0C_0B0A_0908)

    @Test("SipHash-2-4 gives the reference implementation's vectors (key 00..0f, message 00..n-1)")
    func sipHashVectors() {
        let expected: [Int: UInt64] = [0: 0x726F_DB47_DD0E_0E31, 1: 0x74F8_39C5_93DC_67FD, 15: 0xA129_CA61_49BE_45E5]
        for (length, value) in expected {
            #expect(Self.referenceKey.hash((0..<length).map(UInt8.init)) == value, "length \(length)")
        }
    }

    @Test("the two-word fast path is the reference algorithm over the same 16 bytes")
    func fastPath() {
        var generator = SystemRandomNumberGenerator()
        let key = SipHash24.random()
        for _ in 0..<1_000 {
            let (first, second) = (generator.next() as UInt64, UInt64.random(in: 12...19, using: &generator))
            let bytes =
                withUnsafeBytes(of: first.littleEndian, Array.init)
                + withUnsafeBytes(of: second.littleEndian, Array.init)
            #expect(key.hash(first, second) == key.hash(bytes))
        }
        #expect(SipHash24.random().hash(1, 16) != SipHash24.random().hash(1, 16))  // a fresh key each start
    }

    @Test("the bounded table agrees with a first-in-first-out model over 200,000 random operations")
    func againstModel() {
        var generator = SystemRandomNumberGenerator()
        for capacity in [1, 7, 100, 1_000] {
            var table = BoundedTable<UInt32>(capacity: capacity)
            defer { table.deallocate() }
            var order: [UInt64] = []  // oldest first
            var values: [UInt64: UInt32] = [:]
            for step in 0..<50_000 {
                let key = UInt64.random(in: 0..<UInt64(capacity * 3), using: &generator) &* 0x9E37_79B9
                if Bool.random(using: &generator) {
                    let (position, added, evicted) = table.findOrAdd(key, value: UInt32(step)) { _ in false }
                    if values[key] == nil {
                        #expect(added)
                        #expect(evicted == (order.count == capacity))
                        if order.count == capacity { values[order.removeFirst()] = nil }
                        order.append(key)
                        values[key] = UInt32(step)
                    } else {
                        #expect(!added && table[position] == values[key])
                    }
                } else {
                    #expect(
                        table.position(of: key).map { table[$0] } == values[key],
                        "capacity \(capacity) step \(step)"
                    )
                }
            }
            #expect(table.count == order.count)
        }
    }

    @Test("a full table passes over entries `keep` holds (a locked card) before evicting")
    func secondChance() {
        var table = BoundedTable<UInt32>(capacity: 4)
        defer { table.deallocate() }
        for key in 1...4 { _ = table.findOrAdd(UInt64(key), value: key == 1 ? 1 : 0) { _ in false } }
        _ = table.findOrAdd(5, value: 0) { $0 == 1 }
        #expect(table.position(of: 1) != nil && table.position(of: 2) == nil)
    }

    @Test("the limiter's window ends on the injected clock: locked, then unlocked; counts start again")
    func windowOnInjectedClock() throws {
        let clock = Synchronization.Atomic<UInt32>(100)
        var settings = VelocityLimiter.Settings()
        settings.codeFailures = 2
        settings.cardWindowSeconds = 60
        settings.maximumCards = 1_024
        let limiter = VelocityLimiter(settings: settings) { clock.load(ordering: .relaxed) }
        let pan = try CardCheck.PAN("4111111111111111")
        #expect(!limiter.ticket(for: pan).cardLocked)
        limiter.record(.code, for: limiter.ticket(for: pan))
        #expect(!limiter.ticket(for: pan).cardLocked)
        limiter.record(.code, for: limiter.ticket(for: pan))
        #expect(limiter.ticket(for: pan).cardLocked)
        #expect(!limiter.ticket(for: try CardCheck.PAN("4012888888881881")).cardLocked)
        clock.store(159, ordering: .relaxed)
        #expect(limiter.ticket(for: pan).cardLocked)
        clock.store(161, ordering: .relaxed)
        #expect(!limiter.ticket(for: pan).cardLocked)
        limiter.record(.code, for: limiter.ticket(for: pan))  // a new window: one failure, not three
        #expect(!limiter.ticket(for: pan).cardLocked)
    }
}
