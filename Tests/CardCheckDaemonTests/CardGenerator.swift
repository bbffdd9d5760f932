import CardCheck
import CardCheckTestSupport

/// Seeded random requests over every brand, with valid and broken PANs, expiries, codes and addresses.
struct CardGenerator {
    private var random: SeededGenerator

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    mutating func next() -> UInt64 { random.next() }

    mutating func pick<T>(_ options: [T]) -> T { options[Int(next() % UInt64(options.count))] }

    mutating func digits(_ count: Int) -> String {
        String((0..<count).map { _ in Character(String(next() % 10)) })
    }

    mutating func pan() -> String {
        let prefix = pick([
            "4", "51", "2221", "34", "37", "6011", "65", "3528", "62", "2200", "5066", "6759", "9792",
            "36", "6062", "4011", "8",
        ])
        let length = pick([13, 14, 15, 16, 16, 16, 17, 19])
        let payload = prefix + digits(length - 1 - prefix.count)
        let pan = payload + String(Luhn.checkDigit(for: payload))
        switch next() % 10 {
        case 0: return String(pan.dropLast()) + String((Int(String(pan.last!))! + 1) % 10)  // Luhn failure
        case 1: return pan.enumerated().map { $0.offset % 4 == 3 ? "\($0.element) " : "\($0.element)" }.joined()
        default: return pan
        }
    }

    mutating func request() -> ValidationRequest {
        var request = ValidationRequest()
        if next() % 8 != 0 { request.pan = pan() }
        if next() % 3 != 0 { request.expiry = pick(["12/30", "0127", "10/26", "13/27", "11/2026", "12/2047", "1/28"]) }
        switch next() % 7 {
        case 6:  // a code that contradicts its indicator: a typed error
            request.csc = digits(3)
            request.cscIndicator = 9
        case 0: request.csc = digits(3)
        case 1: request.csc = digits(4)
        case 2: request.csc = pick(["X", "I", "", "12a"])
        case 3: request.cscIndicator = pick([0, 2, 9])
        default: break
        }
        if next() % 2 == 0 {
            let number = 100 + next() % 5
            request.address = Address(street: "\(number) Main St", postalCode: pick(["12345", "12345-6789", "99999"]))
            if next() % 5 != 0 {
                request.onFileAddress = Address(
                    street: "\(100 + next() % 5) Main Street",
                    postalCode: pick(["12345", "123456789"]),
                    country: pick([nil, "US", "GB"])
                )
            }
        }
        if request == ValidationRequest() { request.pan = pan() }
        return request
    }
}
