import CardCheck
import Foundation

/// Independent implementations the tests compare the engine against.
enum Oracle {
    /// Textbook Luhn: right to left, double every second digit.
    static func luhnValid(_ digits: String) -> Bool {
        let values = digits.compactMap(\.wholeNumberValue)
        guard values.count == digits.count, !values.isEmpty else { return false }
        var sum = 0
        for (index, digit) in values.reversed().enumerated() {
            if index % 2 == 1 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        return sum % 10 == 0
    }

    /// The check digit by trying all ten.
    static func checkDigit(for payload: String) -> Character {
        for digit in 0...9 where luhnValid(payload + String(digit)) { return Character(String(digit)) }
        fatalError("no check digit for \(payload)")
    }

    /// A Luhn-valid PAN of `length` digits that starts with `prefix`, the rest filled from `generator`.
    static func pan(prefix: String, length: Int, using generator: inout some RandomNumberGenerator) -> String {
        var payload = prefix
        while payload.count < length - 1 { payload.append(Character(String(Int.random(in: 0...9, using: &generator)))) }
        return payload + String(checkDigit(for: payload))
    }

    static func pan(prefix: String, length: Int, fill: Character) -> String {
        let payload = prefix + String(repeating: fill, count: length - 1 - prefix.count)
        return payload + String(checkDigit(for: payload))
    }
}

/// shared/reference/brands.md, as copied into Tests/CardCheckTests/Fixtures, read without the engine.
struct ReferenceBrandTable {
    struct Row {
        var name: String
        var ranges: [(low: Int, high: Int, digits: Int)]
        var lengths: [Int]
        var codeName: String
        var codeLength: Int
        /// A legacy name: never a card's brand, reported beside the live one.
        var legacy: Bool
    }

    let rows: [Row]

    static let shared = ReferenceBrandTable()

    init() {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/brands.md")
        let text = try! String(contentsOf: url, encoding: .utf8)
        var rows: [Row] = []
        for line in text.split(separator: "\n") where line.hasPrefix("| ") && !line.hasPrefix("| brand") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 4 else { continue }
            let name = String(cells[0].split(separator: " ")[0])
            let legacy = cells[0].hasSuffix("(legacy)")
            // "—": a legacy name with no ranges of its own.
            let ranges = (cells[1] == "—" ? [] : cells[1].components(separatedBy: ", ")).map {
                item -> (Int, Int, Int) in
                let bounds = item.components(separatedBy: "–")
                return (Int(bounds[0])!, Int(bounds.last!)!, bounds[0].count)
            }
            let lengths = cells[2].components(separatedBy: ", ").flatMap { item -> [Int] in
                let bounds = item.components(separatedBy: "–").map { Int($0)! }
                return Array(bounds[0]...bounds.last!)
            }
            let code = cells[3].components(separatedBy: ", ")
            rows.append(
                Row(
                    name: name,
                    ranges: ranges,
                    lengths: lengths,
                    codeName: code[0],
                    codeLength: Int(code[1].prefix(1))!,
                    legacy: legacy
                )
            )
        }
        self.rows = rows
    }

    /// Brute force: every range of every live brand, longest prefix first, then the narrowest.
    func brand(of pan: String) -> String? { best(of: pan, legacy: false) }

    /// The same over the legacy rows: the legacy name reported beside a live brand.
    func legacyBrand(of pan: String) -> String? { brand(of: pan) == nil ? nil : best(of: pan, legacy: true) }

    private func best(of pan: String, legacy: Bool) -> String? {
        var best: (name: String, digits: Int, width: Int)?
        for row in rows where row.legacy == legacy {
            for range in row.ranges where pan.count >= range.digits {
                let prefix = Int(pan.prefix(range.digits))!
                guard (range.low...range.high).contains(prefix) else { continue }
                let width = range.high - range.low
                if best == nil || range.digits > best!.digits || range.digits == best!.digits && width < best!.width {
                    best = (row.name, range.digits, width)
                }
            }
        }
        return best?.name
    }

    func row(named name: String) -> Row { rows.first { $0.name == name }! }
}

extension YearMonth {
    static func at(_ year: Int, _ month: Int) -> YearMonth { YearMonth(year: year, month: month)! }
}

/// A validator with the card networks' default policy.
let standardValidator = Validator()
let november2026 = YearMonth.at(2026, 11)
