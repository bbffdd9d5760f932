/// The key file: one key per line, read into a ``KeyTable``.
///
///     # RANGE  KEY                               [purpose=cvv|cavv|aav] [expiry=YYMM|MMYY] [parity=odd|any]
///     #                                          [indicator=NN] [key_id=N] [name=LABEL]
///     411111-411199  0123456789ABCDEFFEDCBA9876543210  expiry=YYMM name=visa-2026
///     5412           <32 hex digits>                    expiry=MMYY
///     4              <32 hex digits>                    purpose=cavv indicator=01
///     54             <40 hex digits>                    purpose=aav key_id=1
///
/// `purpose` is what the key is for: `cvv` (the default: card verification values), `cavv` (a Visa CAVV key
/// pair, for the CAVV key indicator `indicator` names) or `aav` (a Mastercard SPA AAV HMAC key, 16 to 64
/// bytes in hex, for the BIN key identifier `key_id`, 0 to 15).
/// RANGE is an IIN prefix (`4111`) or a range of prefixes of one length (`411111-411199`). KEY is CVK A
/// then CVK B. `expiry` is the order of the expiry digits the issuer used (default YYMM); `parity=any`
/// accepts a key without odd parity (some published test keys); `name` defaults to the key's KCV.
/// Errors name the line, never the key.
public enum KeyFile {
    public struct Problem: Error, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public static func parse(_ text: String) throws(Problem) -> KeyTable {
        var table = KeyTable()
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard !words.isEmpty else { continue }
            func problem(_ message: String) -> Problem { Problem(line: number + 1, message: message) }
            guard words.count >= 2 else { throw problem("expected a prefix range and a key") }
            guard let (low, high, digits) = range(words[0]) else {
                throw problem("'\(words[0])' is not a prefix or a range of prefixes of one length (e.g. 411111-411199)")
            }
            var order = CardVerificationValue.ExpiryOrder.yymm
            var requireOddParity = true
            var name: String?
            var purpose = "cvv"
            var indicator: UInt8?
            var keyID: UInt8?
            for option in words.dropFirst(2) {
                let parts = option.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { throw problem("'\(option)' is not name=value") }
                switch parts[0] {
                case "expiry":
                    guard let value = CardVerificationValue.ExpiryOrder(rawValue: parts[1].uppercased()) else {
                        throw problem("expiry is YYMM or MMYY")
                    }
                    order = value
                case "parity":
                    guard parts[1] == "odd" || parts[1] == "any" else { throw problem("parity is odd or any") }
                    requireOddParity = parts[1] == "odd"
                case "name": name = String(parts[1])
                case "purpose":
                    guard ["cvv", "cavv", "aav"].contains(parts[1]) else {
                        throw problem("purpose is cvv, cavv or aav")
                    }
                    purpose = String(parts[1])
                case "indicator":
                    guard parts[1].count == 2, let value = UInt8(parts[1]), value >= 1 else {
                        throw problem("indicator is the CAVV key indicator, two digits 01 to 99")
                    }
                    indicator = value
                case "key_id":
                    guard let value = UInt8(parts[1]), value <= 15 else { throw problem("key_id is 0 to 15") }
                    keyID = value
                default:
                    throw problem("unknown option '\(parts[0])' (purpose, expiry, parity, indicator, key_id, name)")
                }
            }
            if purpose != "cavv" && indicator != nil { throw problem("indicator goes with purpose=cavv") }
            if purpose != "aav" && keyID != nil { throw problem("key_id goes with purpose=aav") }
            if purpose != "cvv" {
                let kind: KeyTable.AuthenticationKey.Kind
                if let indicator {
                    do {
                        kind = .cavv(
                            try CardVerificationKey(hex: words[1], requireOddParity: requireOddParity),
                            indicator: indicator
                        )
                    } catch {
                        throw problem(error.description)
                    }
                } else if let keyID {
                    do { kind = .aav(try MastercardAAV.Key(hex: words[1]), keyID: keyID) } catch {
                        throw problem(error.description)
                    }
                } else {
                    throw problem(
                        purpose == "cavv"
                            ? "purpose=cavv needs indicator=NN, the CAVV key indicator"
                            : "purpose=aav needs key_id=N, the BIN key identifier"
                    )
                }
                var key = KeyTable.AuthenticationKey(name: "", kind: kind)
                key.name = name ?? key.checkValue
                table.add(
                    key,
                    low: low,
                    high: high,
                    digits: digits
                )
                continue
            }
            let key: CardVerificationKey
            do { key = try CardVerificationKey(hex: words[1], requireOddParity: requireOddParity) } catch {
                throw problem(error.description)
            }
            table.add(
                KeyTable.Entry(name: name ?? key.checkValue, key: key, expiryOrder: order),
                low: low,
                high: high,
                digits: digits
            )
        }
        return table
    }

    /// `4111` or `411111-411199`: both ends of one length, 1 to 12 digits.
    static func range(_ word: Substring) -> (UInt64, UInt64, Int)? {
        let ends = word.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(ends.count), let first = ends.first, let last = ends.last,
            first.count == last.count, (1...12).contains(first.count),
            first.allSatisfy(\.isASCII), last.allSatisfy(\.isASCII),
            let low = UInt64(first), let high = UInt64(last), low <= high
        else { return nil }
        return (low, high, first.count)
    }
}
