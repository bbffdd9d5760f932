import CardCheck
import CardCheckCrypto
import CardCheckTestSupport
import Foundation
import Testing

/// Tests/CardCheckCryptoTests/cvv-algorithm.json: the published vectors and our own (the A–F pass, 13 and 19 digits).
struct CSCVectors: Decodable {
    struct Vector: Decodable {
        var name: String
        var key: String
        var pan: String
        var expiry: String
        var service_code: String
        var code: String
    }
    struct CheckValue: Decodable {
        var key: String
        var kcv: String
    }
    var vectors: [Vector]
    var kcv: [CheckValue]

    static let shared: CSCVectors = try! JSONDecoder().decode(
        CSCVectors.self,
        from: RepositoryFile.data("Tests/CardCheckCryptoTests/cvv-algorithm.json")
    )
}

@Suite("CVV / CVC / CVV2 / iCVV")
struct CardVerificationValueTests {
    @Test("every vector's code, and only that code, verifies")
    func vectors() throws {
        #expect(CSCVectors.shared.vectors.count >= 10)
        for vector in CSCVectors.shared.vectors {
            let key = try CardVerificationKey(hex: vector.key, requireOddParity: false)
            let pan = try PAN(vector.pan)
            let code = CardVerificationValue.code(
                key: key,
                pan: pan,
                expiryDigits: UInt16(vector.expiry)!,
                serviceCode: UInt16(vector.service_code)!
            )
            #expect(code.description == vector.code, "\(vector.name): \(vector.pan)")
            let wrong = String(format: "%03d", (Int(vector.code)! + 1) % 1000)
            for (entered, expected) in [(vector.code, true), (wrong, false), ("12", false), ("1234", false)] {
                let verified = Array(entered.utf8).withUnsafeBufferPointer {
                    CardVerificationValue.verify(
                        $0,
                        key: key,
                        pan: pan,
                        expiryDigits: UInt16(vector.expiry)!,
                        serviceCode: UInt16(vector.service_code)!
                    )
                }
                #expect(verified == expected, "\(vector.name): \(entered)")
            }
        }
        #expect(CSCVectors.shared.vectors.contains { $0.name.contains("second pass") })
        #expect(Set(CSCVectors.shared.vectors.map(\.pan.count)).isSuperset(of: [13, 16, 19]))
    }

    @Test("the key check value names a key; parity, length and hex are checked without showing the key")
    func keys() throws {
        for entry in CSCVectors.shared.kcv {
            #expect(try CardVerificationKey(hex: entry.key, requireOddParity: false).checkValue == entry.kcv)
        }
        #expect(try CardVerificationKey(hex: "0123456789ABCDEFFEDCBA9876543210").checkValue == "08D7B4")
        #expect(try CardVerificationKey(hex: "0123456789abcdeffedcba9876543210").checkValue == "08D7B4")
        #expect(throws: CardVerificationKey.Problem.parity(kcv: "DCA506")) {
            try CardVerificationKey(hex: "99999999999999998888888888888888")
        }
        #expect(throws: CardVerificationKey.Problem.wrongLength(31)) {
            try CardVerificationKey(hex: "0123456789ABCDEFFEDCBA987654321")
        }
        #expect(throws: CardVerificationKey.Problem.notHex) {
            try CardVerificationKey(hex: "0123456789ABCDEFFEDCBA987654321G")
        }
        let problem = CardVerificationKey.Problem.parity(kcv: "DCA506").description
        #expect(!problem.contains("9999") && !problem.contains("8888"))
    }

    @Test("expiry order: YYMM and MMYY give different digits for the same month")
    func expiryOrder() {
        let month = YearMonth(year: 2028, month: 12)!
        #expect(CardVerificationValue.ExpiryOrder.yymm.digits(month) == 2812)
        #expect(CardVerificationValue.ExpiryOrder.mmyy.digits(month) == 1228)
    }
}
