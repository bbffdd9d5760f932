import CardCheck
import CardCheckClient
import CardCheckCrypto
import CardCheckTestSupport
import CardCheckWire
import Foundation
import Testing

/// `CAVV_GENERATE` and `CAVV_VERIFY` through the real daemon and its socket, and `cardcheck cavv` against it.
@Suite("cardcheckd CAVV_GENERATE and CAVV_VERIFY", .serialized)
struct AuthenticationValueOperationTests {
    static let cavvKey = "0123456789ABCDEFFEDCBA9876543210"
    static let aavKey = "0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B"
    static let visa = "4123456789012349"
    static let mastercard = "5432109876543212"

    /// A daemon with go-cavv's two keys (a CAVV key for indicator 01 on 412345, an AAV key for key id 1 on
    /// 543210), a CVV key, and `extra` configuration lines.
    func daemon(_ extra: [String], directory: URL) throws -> DaemonProcess {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let keys = directory.appendingPathComponent("keys").path
        try """
        4 \(KeyLoadingTests.testKey) name=cvv
        412345 \(Self.cavvKey) purpose=cavv indicator=01 name=cavv-1
        543210 \(Self.aavKey) purpose=aav key_id=1 name=aav-1

        """.write(toFile: keys, atomically: false, encoding: .utf8)
        chmod(keys, 0o600)
        return try DaemonProcess(configuration: ["keys = \(keys)"] + extra)
    }

    func serverError(_ body: () async throws -> Void) async -> CardCheckServerError? {
        do {
            try await body()
            return nil
        } catch let error as CardCheckClientError {
            guard case .server(let wire) = error else { return nil }
            return wire
        } catch { return nil }
    }

    @Test("generate and verify over the socket: the engine's value, M under its key, N when changed, U uncovered")
    func generateAndVerify() async throws {
        let temporary = try TemporaryDirectory("cav")
        let daemon = try daemon(["cavv_generate_users = \(getuid())"], directory: temporary.url)
        let client = CardCheckClient(socketPath: daemon.socketPath)

        // Fixed inputs: the daemon's value is the one this process's crypto makes (another process, same code
        // path as the published vectors' test).
        let visaOrder = AuthenticationValueCodec.Request(
            pan: Self.visa,
            threeDSStatus: "Y",
            keyIndicator: "01",
            transactionNumber: "9602231034727993",
            secondFactor: "02"
        )
        let visaValue = try await client.generateAuthenticationValue(visaOrder)
        let local = try KeyFile.parse("412345 \(Self.cavvKey) purpose=cavv indicator=01 name=cavv-1")
        let expected = try local.issueAuthenticationValue(
            AuthenticationValueOrder(
                status: .Y,
                keyIndicator: 1,
                transactionNumber: 9_602_231_034_727_993,
                secondFactor: 2
            ),
            pan: try PAN(Self.visa),
            card: CardAttributes(brand: .visa)
        )
        #expect(visaValue.value == expected.value && visaValue.key == expected.key && visaValue.key.name == "cavv-1")

        // Defaults: a random tracking number each time, so two values differ, and both verify.
        let first = try await client.generateAuthenticationValue(.init(pan: Self.visa, threeDSStatus: "A"))
        let second = try await client.generateAuthenticationValue(.init(pan: Self.visa, threeDSStatus: "A"))
        #expect(first.value != second.value && first.value[0] == 7)
        let aav = try await client.generateAuthenticationValue(
            .init(pan: Self.mastercard, threeDSStatus: "Y", merchantName: "Shop")
        )
        #expect(aav.value[0] == 0x8C && aav.key.name == "aav-1")

        for (pan, value) in [(Self.visa, visaValue.value), (Self.visa, first.value), (Self.mastercard, aav.value)] {
            for text in [value.base64, value.hex, String(value.base64.dropLast())] {
                let verified = try await client.verifyAuthenticationValue(.init(pan: pan, authenticationValue: text))
                #expect(verified.result == .M, "\(pan) \(text)")
            }
            var bytes = value.byteArray
            bytes[4] ^= 0x01  // the Visa output's last digit, or a byte under the AAV's MAC
            let changed = AuthenticationValue(bytes: bytes)!
            let refused = try await client.verifyAuthenticationValue(.init(pan: pan, authenticationValue: changed.hex))
            #expect(refused == .noMatch, "\(pan)")
        }
        // No key covers the card; Amex has no public method.
        #expect(
            try await client.verifyAuthenticationValue(
                .init(pan: "4111111111111111", authenticationValue: visaValue.value.hex)
            )
                == .noKey
        )
        #expect(
            try await client.verifyAuthenticationValue(
                .init(pan: "378282246310005", authenticationValue: visaValue.value.hex)
            )
                == .noKey
        )
        // VALIDATE agrees: M, liability shift.
        let result = try await client.validate(
            ValidationRequest(
                pan: Self.visa,
                threeDS: ThreeDSData(status: "Y", eci: "05", authenticationValue: visaValue.value.base64)
            )
        )
        #expect(result.threeDS?.valueResult == .M && result.threeDS?.liabilityShift == true)

        // Typed errors, each with its field, and the connection keeps answering.
        let refusals: [(AuthenticationValueCodec.Request, String, String)] = [
            (.init(pan: "4123456789012340", threeDSStatus: "Y"), "luhn_failed", "pan"),
            (.init(pan: Self.visa, threeDSStatus: "N"), "three_ds_status_invalid", "three_ds_status"),
            (.init(pan: Self.visa, threeDSStatus: "Q"), "three_ds_status_invalid", "three_ds_status"),
            (.init(pan: Self.visa), "missing_field", "three_ds_status"),
            (.init(pan: Self.visa, threeDSStatus: "Y", keyIndicator: "02"), "no_key", "pan"),
            (
                .init(pan: Self.visa, threeDSStatus: "Y", transactionNumber: "12"), "transaction_number_invalid",
                "transaction_number"
            ),
            (
                .init(pan: Self.mastercard, threeDSStatus: "Y", transactionNumber: "0000002G"),
                "transaction_number_invalid", "transaction_number"
            ),
            (.init(pan: Self.mastercard, threeDSStatus: "Y", acsIdentifier: "9"), "acs_id_invalid", "acs_id"),
            (.init(pan: "378282246310005", threeDSStatus: "Y"), "brand_not_supported", "pan"),
            (.init(pan: "4111111111111111", threeDSStatus: "Y"), "no_key", "pan"),
        ]
        for (request, code, field) in refusals {
            let error = await serverError { _ = try await client.generateAuthenticationValue(request) }
            #expect(error?.code == code && error?.field == field, "\(request): \(String(describing: error))")
        }
        let badValue = await serverError {
            _ = try await client.verifyAuthenticationValue(.init(pan: Self.visa, authenticationValue: "not base64"))
        }
        #expect(badValue?.code == "authentication_value_invalid")
        let noValue = await serverError { _ = try await client.verifyAuthenticationValue(.init(pan: Self.visa)) }
        #expect(noValue?.kind == .missingField && noValue?.field == "authentication_value")
        #expect(
            try await client.verifyAuthenticationValue(.init(pan: Self.visa, authenticationValue: first.value.hex))
                .result == .M
        )

        let metrics = try await client.metrics()
        #expect(metrics.contains(#"cardcheck_requests_total{op="cavv_generate",outcome="ok"} 4"#), "\(metrics)")
        await client.close()
        #expect(daemon.stop() == 0)
        #expect(daemon.log.contains("CAVV_GENERATE is on"))
        for secret in [
            Self.cavvKey, Self.aavKey, Self.visa, Self.mastercard, visaValue.value.base64, visaValue.value.hex,
        ] {
            #expect(!daemon.logShows(secret), "the log shows \(secret)")
        }
    }

    @Test("CAVV_GENERATE is off unless the peer is listed in cavv_generate_*; csc_generate_users does not open it")
    func generateNeedsItsOwnListing() async throws {
        let temporary = try TemporaryDirectory("cav")
        let daemon = try daemon(["csc_generate_users = \(getuid())"], directory: temporary.url)
        let client = CardCheckClient(socketPath: daemon.socketPath)
        let refused = await serverError {
            _ = try await client.generateAuthenticationValue(.init(pan: Self.visa, threeDSStatus: "Y"))
        }
        #expect(refused?.kind == .notPermitted && refused?.code == "generate_not_permitted")
        // The operation was refused, not the connection.
        let published = "0700010972799396022310347279930000000000"  // for 4123456789012345, not this PAN
        #expect(
            try await client.verifyAuthenticationValue(.init(pan: Self.visa, authenticationValue: published))
                == .noMatch
        )
        #expect(try await client.generateSecurityCode(pan: "4114585553881637", expiry: "12/28").code == "213")

        let original = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        try (original + "\ncavv_generate_users = \(getuid())\n").write(
            toFile: daemon.configPath,
            atomically: true,
            encoding: .utf8
        )
        kill(daemon.process.processIdentifier, SIGHUP)
        var generated: AuthenticationValueCodec.Generated?
        for _ in 0..<50 where generated == nil {
            usleep(100_000)
            generated = try? await client.generateAuthenticationValue(.init(pan: Self.visa, threeDSStatus: "Y"))
        }
        #expect(generated?.key.name == "cavv-1")
        await client.close()
        #expect(daemon.stop() == 0)
    }

    @Test("cardcheck cavv generate/verify through the daemon print what --local prints")
    func commandLineAgainstDaemon() throws {
        let temporary = try TemporaryDirectory("cav")
        let daemon = try daemon(["cavv_generate_users = \(getuid())"], directory: temporary.url)
        let keys = temporary.url.appendingPathComponent("keys").path
        let orders = [
            ["--pan", Self.visa, "--status", "A", "--transaction-number", "9602231034727993"],
            [
                "--pan", Self.mastercard, "--status", "Y", "--transaction-number", "0000002F", "--merchant-name",
                "Shop", "--acs-id", "1",
            ],
        ]
        for order in orders {
            let remote = try BuiltBinary.run("cardcheck", ["cavv", "generate", "--socket", daemon.socketPath] + order)
            let local = try BuiltBinary.run("cardcheck", ["cavv", "generate", "--local", "--keys", keys] + order)
            #expect(
                remote.status == 0 && remote.stdout == local.stdout,
                "\(remote.stdout) \(remote.stderr) vs \(local.stdout)"
            )
            let value = try #require(
                (try JSONSerialization.jsonObject(with: Data(remote.stdout.utf8)) as? [String: Any])?[
                    "authentication_value"
                ]
                    as? String
            )
            for mode in [["--socket", daemon.socketPath], ["--local", "--keys", keys]] {
                let verified = try BuiltBinary.run(
                    "cardcheck",
                    ["cavv", "verify", "--pan", order[1], "--value", value] + mode
                )
                #expect(verified.status == 0 && verified.stdout.contains(#""result":"M""#), "\(verified.stdout)")
            }
        }
        // go-cavv's published vectors, whose PANs fail Mod-10: only --local with --ignore-luhn makes them.
        let published = try BuiltBinary.run(
            "cardcheck",
            [
                "cavv", "generate", "--local", "--keys", keys, "--ignore-luhn", "--pan", "4123456789012345",
                "--status", "A", "--transaction-number", "9602231034727993",
            ]
        )
        #expect(published.stdout.contains(#""hex":"0700010972799396022310347279930000000000""#), "\(published.stdout)")
        let wrong = try BuiltBinary.run(
            "cardcheck",
            [
                "cavv", "verify", "--socket", daemon.socketPath, "--pan", Self.visa, "--value",
                String(repeating: "0", count: 40),
            ]
        )
        #expect(wrong.status == 1)
        #expect(daemon.stop() == 0)
    }
}
