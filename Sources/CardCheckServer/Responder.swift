import CardCheck
import CardCheckCrypto
import CardCheckJSON
import CardCheckWire
import NIOCore

/// Answers request frames: decodes, runs the engine and writes the response frame. Pure: no sockets, no
/// clock (the caller passes `today`), no shared state beyond what its closures read. A connection calls
/// it for each frame of a batch, on its event loop or a worker queue.
///
/// Invariant: when `respond` returns, no security code of the frame is left in the frame's memory,
/// whatever the operation or the error. Callers never wipe.
public struct Responder: Sendable {
    /// The engines for each combination of `VALIDATE` flags (configured options plus the request's).
    let validators: ValidatorVariants
    public let hello: HelloResponse
    /// The daemon's counters at the moment of asking.
    let statistics: @Sendable () -> StatsResponse
    /// The daemon's metrics as Prometheus text, for `STATS` with the `prometheus` flag.
    let exposition: @Sendable () -> String
    /// The issuers' keys for `CSC_GENERATE` and `CSC_VERIFY`; nil without keys.
    let securityCodes: (any SecurityCodeIssuer)?
    /// The issuers' keys for `CAVV_GENERATE` and `CAVV_VERIFY`; nil without keys.
    let authenticationValues: (any AuthenticationValueIssuer)?
    /// Per-peer rate limits; nil when off.
    public let peerLimits: PeerRateLimiter?
    /// Whether answers must say if they failed (for the peers' failure buckets): only with limits.
    var countsFailures: Bool { peerLimits != nil }

    /// Without `statistics` and `exposition` (a load generator's or a fuzzer's responder), `STATS` answers
    /// zeros and an empty exposition.
    public init(
        validator: Validator,
        securityCodes: (any SecurityCodeIssuer)? = nil,
        authenticationValues: (any AuthenticationValueIssuer)? = nil,
        peerLimits: PeerRateLimiter? = nil,
        hello: HelloResponse = HelloResponse(
            serverName: "",
            serverVersion: "",
            maximumFrameSize: 0,
            maximumInFlight: 0
        ),
        statistics: @escaping @Sendable () -> StatsResponse = { StatsResponse() },
        exposition: @escaping @Sendable () -> String = { "" }
    ) {
        validators = ValidatorVariants(validator)
        self.hello = hello
        self.statistics = statistics
        self.exposition = exposition
        self.securityCodes = securityCodes
        self.authenticationValues = authenticationValues
        self.peerLimits = peerLimits
    }

    public var policy: DecisionPolicy { validators.configured.policy }

    /// Looks up the cards of `batch`'s first ``CardDirectory/lookaheadWidth`` frames ahead (see
    /// ``CardDirectory/lookAhead(prefixes:found:)``): a batch's lookups then wait for memory once between
    /// them, not once each. Writes each frame's finding into `found`, at the frame's position in `batch`
    /// (``CardDirectory/Found/nothing`` for a frame that is no `VALIDATE` with a plain PAN), for
    /// ``respond(to:today:permissions:lookedUp:into:)`` to take, and returns how many it wrote: none for a
    /// directory small enough to stay cached (``CardDirectory/fetchesAhead``). Nothing else changes.
    public func lookUpCards(for batch: ArraySlice<Frame>, into found: UnsafeMutablePointer<CardDirectory.Found>) -> Int
    {
        // Without a large range file the lookup's tables stay cached: fetching ahead would only add work.
        let cards = validators.configured.cards
        guard cards.fetchesAhead else { return 0 }
        let count = min(batch.count, CardDirectory.lookaheadWidth)
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: count) { prefixes in
            for (position, index) in batch.indices.prefix(count).enumerated() {
                var prefix: UInt64?
                if batch[index].opcode == Opcode.validate.rawValue && batch[index].version == WireFormat.versionByte {
                    prefix = batch[index].fields.withUnsafeReadableBytes { fields in
                        ValidateCodec.panField(in: fields).flatMap(CardDirectory.prefix11(digits:))
                    }
                }
                // Out of range: a wasted hint whose finding matches no PAN.
                prefixes[position] = prefix ?? .max
            }
            cards.lookAhead(prefixes: UnsafeBufferPointer(prefixes), found: found)
            return count
        }
    }

    /// What answering a frame did.
    public struct Outcome: Sendable, Hashable {
        public var opcode: Opcode?
        public var error: WireError?
        /// The recommended action of an answered `VALIDATE`.
        public var action: Action?
        /// The request was a JSON line (a `VALIDATE` in Protocol/JSONLINES.md's form).
        public var isJSONLine = false
        /// The answer holds a failure the velocity limits count (a wrong code, a bad expiry, an address
        /// matching nothing): the per-peer failure bucket takes it.
        public var failed = false
        /// The connection must be closed once the response is written.
        public var closesConnection: Bool { error?.closesConnection ?? false }
    }

    /// Appends the response to `frame` to `output`, and leaves no security code in the frame's memory.
    /// `permissions` are the sending peer's; `lookedUp`, where ``lookUpCards(for:into:)`` found its card.
    public func respond(
        to frame: Frame,
        today: YearMonth,
        permissions: PeerPermissions = [],
        lookedUp: CardDirectory.Found = .nothing,
        into output: inout ByteBuffer
    ) -> Outcome {
        if frame.isJSONLine { return answerJSONLine(frame, today: today, into: &output) }
        let outcome = answer(frame, today: today, permissions: permissions, lookedUp: lookedUp, into: &output)
        // An answered VALIDATE zeroed its code where it parsed it (no second walk of the fields on the
        // hot path); every other path walks the fields once more here.
        if outcome.opcode != .validate || outcome.error != nil { frame.wipeSecurityCodes() }
        return outcome
    }

    /// A JSON Lines request: the output line `cardcheck validate --local` would write for it (with this
    /// daemon's policy and AVS options), newline-terminated. The line's bytes are zeroed in the frame
    /// once read, and the text made from them is wiped; the JSON decoder's own transient copies are
    /// freed, not wiped (the binary protocol never copies a code).
    private func answerJSONLine(_ frame: Frame, today: YearMonth, into output: inout ByteBuffer) -> Outcome {
        var line = String(buffer: frame.fields)
        frame.fields.withUnsafeReadableBytes { SecretBytes.zero($0.assumingMemoryBound(to: UInt8.self)) }
        defer { SecretText.wipe(&line) }
        var outcome = Outcome(opcode: .validate, isJSONLine: true)
        let rendered: String
        do {
            let request = try JSONLineRequest.parse(line)
            do {
                let result = try validators.configured.validate(request, today: today)
                outcome.action = result.action
                outcome.failed = countsFailures && !VelocityFailures(result).isEmpty
                rendered = JSONLineResult.render(result)
            } catch {
                outcome.error = WireError(error)
                rendered = JSONLineResult.render(.validation(error))
            }
        } catch {
            outcome.error = WireError(
                kind: .invalidField,
                code: error.code,
                field: error.field,
                message: error.description
            )
            rendered = JSONLineResult.render(error)
        }
        output.writeString(rendered)
        output.writeInteger(UInt8(ascii: "\n"))
        return outcome
    }

    private func answer(
        _ frame: Frame,
        today: YearMonth,
        permissions: PeerPermissions,
        lookedUp: CardDirectory.Found,
        into output: inout ByteBuffer
    ) -> Outcome {
        guard frame.version == WireFormat.versionByte else {
            let error = WireError(
                kind: .unsupportedVersion,
                message:
                    "protocol version \(frame.version & 0x0F) is not spoken here; this server speaks \(WireFormat.protocolVersion)"
            )
            Responder.write(error, requestID: frame.requestID, into: &output)
            return Outcome(opcode: nil, error: error)
        }
        guard let opcode = Opcode(rawValue: frame.opcode) else {
            let error = WireError(
                kind: .unknownOperation,
                message: "opcode 0x\(String(frame.opcode, radix: 16)) is not an operation"
            )
            Responder.write(error, requestID: frame.requestID, into: &output)
            return Outcome(opcode: nil, error: error)
        }
        let start = output.writerIndex
        do {
            let answered = try answer(
                opcode,
                frame: frame,
                today: today,
                permissions: permissions,
                lookedUp: lookedUp,
                into: &output
            )
            return Outcome(opcode: opcode, error: nil, action: answered.action, failed: answered.failed)
        } catch {
            output.moveWriterIndex(to: start)  // drop a half-written response
            Responder.write(error, requestID: frame.requestID, into: &output)
            return Outcome(opcode: opcode, error: error)
        }
    }

    /// Writes the answer; returns the action when the request was a `VALIDATE`.
    private func answer(
        _ opcode: Opcode,
        frame: Frame,
        today: YearMonth,
        permissions: PeerPermissions,
        lookedUp: CardDirectory.Found,
        into output: inout ByteBuffer
    ) throws(WireError) -> (action: Action?, failed: Bool) {
        let id = frame.requestID
        switch opcode {
        case .hello:
            let request = try HelloRequest(fields: frame.fields)
            if let highest = request.highestVersion, highest < WireFormat.protocolVersion {
                throw WireError(
                    kind: .unsupportedVersion,
                    message: "client speaks up to version \(highest); this server speaks \(WireFormat.protocolVersion)"
                )
            }
            output.writeFrame(opcode: opcode.responseOpcode, requestID: id) { hello.write(to: &$0) }
        case .ping:
            var payload: ByteBuffer?
            var reader = FieldReader(frame.fields)
            while let (tag, value) = try reader.next() {
                guard tag == 0x01 else { continue }
                guard value.bytes.readableBytes <= WireFormat.maximumPingPayload else {
                    throw WireError.invalid(
                        "payload",
                        "a PING payload holds at most \(WireFormat.maximumPingPayload) bytes"
                    )
                }
                payload = value.bytes
            }
            output.writeFrame(opcode: opcode.responseOpcode, requestID: id) { buffer in
                if let payload { buffer.writeField(0x01, bytes: payload.readableBytesView) }
            }
        case .validate:
            let validators = self.validators
            let result = try ValidateCodec.withRequestFields(in: frame.fields) { fields throws(WireError) in
                // Checked, then zeroed in the frame's own memory at once: no second walk of the fields.
                defer { SecretBytes.zero(fields.csc) }
                do throws(ValidationError) {
                    return try validators.validate(
                        fields,
                        today: today,
                        flags: ValidateFlags(rawValue: frame.flags),
                        lookedUp: lookedUp
                    )
                } catch {
                    throw WireError(error)
                }
            }
            output.writeFrame(opcode: opcode.responseOpcode, requestID: id) { ValidateCodec.write(result, to: &$0) }
            return (result.action, countsFailures && !VelocityFailures(result).isEmpty)
        case .interpret:
            let response = InterpretResponse(try InterpretRequest(fields: frame.fields), policy: policy)
            output.writeFrame(opcode: opcode.responseOpcode, requestID: id) { response.write(to: &$0) }
        case .stats:
            if StatsFlags(rawValue: frame.flags).contains(.prometheus) {
                let metrics = MetricsExposition(text: exposition())
                output.writeFrame(opcode: opcode.responseOpcode, requestID: id) { metrics.write(to: &$0) }
            } else {
                let stats = statistics()
                output.writeFrame(opcode: opcode.responseOpcode, requestID: id) { stats.write(to: &$0) }
            }
        case .cscGenerate:
            try require(.generateSecurityCodes, of: permissions, "card verification values", setting: "csc_generate")
            let generated = try SecurityCodeCodec.withRequest(in: frame.fields, today: today) {
                request throws(WireError) -> SecurityCodeCodec.Generated in
                try checkLuhn(request.pan)
                guard !isAmericanExpress(request.pan) else {
                    throw WireError(
                        kind: .invalidField,
                        code: "brand_not_supported",
                        field: "pan",
                        message: "American Express security codes have no public method; cardcheck does not make them"
                    )
                }
                guard
                    let issued = securityCodes?.issueCode(
                        pan: request.pan,
                        expiry: request.expiry,
                        serviceCode: request.serviceCode
                    )
                else {
                    throw WireError(
                        kind: .invalidField,
                        code: "no_key",
                        field: "pan",
                        message: "no card verification key covers this card"
                    )
                }
                return SecurityCodeCodec.Generated(code: issued.code, key: issued.key)
            }
            output.writeFrame(opcode: opcode.responseOpcode, requestID: id) { generated.write(to: &$0) }
        case .cscVerify:
            let verification = try SecurityCodeCodec.withRequest(in: frame.fields, today: today) {
                request throws(WireError) -> SecurityCodeVerification in
                guard let code = request.csc else {
                    throw WireError(kind: .missingField, field: "csc", message: "CSC_VERIFY needs the code to check")
                }
                try checkLuhn(request.pan)
                // U for American Express, whatever its code's length: the method is not public.
                guard !isAmericanExpress(request.pan) else { return .noKey }
                guard code.count == 3 else {
                    throw WireError.invalid("csc", "a card verification value is 3 digits for this card")
                }
                // Velocity limits as in VALIDATE: a locked card's code is not checked (L for any code), and a
                // wrong code counts against the card.
                let ticket = validators.configured.velocity?.ticket(for: request.pan)
                if ticket?.cardLocked == true { return .locked }
                let verification =
                    securityCodes?.verifyCode(
                        code,
                        pan: request.pan,
                        expiry: request.expiry,
                        serviceCode: request.serviceCode
                    ) ?? .noKey
                if verification == .noMatch, let ticket { validators.configured.velocity?.record(.code, for: ticket) }
                return verification
            }
            output.writeFrame(opcode: opcode.responseOpcode, requestID: id) {
                SecurityCodeCodec.write(verification, to: &$0)
            }
            return (nil, verification == .noMatch)
        case .cavvGenerate:
            try require(
                .generateAuthenticationValues,
                of: permissions,
                "authentication values",
                setting: "cavv_generate"
            )
            let request = try AuthenticationValueCodec.Request(fields: frame.fields)
            let pan = try request.card()
            try checkLuhn(pan)
            let card = validators.configured.cards.attributes(of: pan)
            let order = try request.order(visa: card?.isVisa ?? false)
            let generated: AuthenticationValueCodec.Generated
            do throws(AuthenticationValueIssueError) {
                guard let authenticationValues else { throw .noKey }
                let issued = try authenticationValues.issueAuthenticationValue(order, pan: pan, card: card)
                generated = AuthenticationValueCodec.Generated(value: issued.value, key: issued.key)
            } catch {
                throw WireError(kind: .invalidField, code: error.code, field: error.field, message: error.description)
            }
            output.writeFrame(opcode: opcode.responseOpcode, requestID: id) { generated.write(to: &$0) }
        case .cavvVerify:
            let request = try AuthenticationValueCodec.Request(fields: frame.fields)
            let pan = try request.card()
            let value = try request.value()
            try checkLuhn(pan)
            let verification =
                authenticationValues?.authenticationValueVerification(
                    value,
                    pan: pan,
                    card: validators.configured.cards.attributes(of: pan)
                ) ?? .noKey
            output.writeFrame(opcode: opcode.responseOpcode, requestID: id) {
                SecurityCodeCodec.write(verification, to: &$0)
            }
        }
        return (nil, false)
    }

    /// A generate operation's permission: `generate_not_permitted` (the connection stays open) unless the
    /// peer has it.
    private func require(
        _ needed: PeerPermissions,
        of permissions: PeerPermissions,
        _ what: String,
        setting: String
    ) throws(WireError) {
        guard !permissions.contains(needed) else { return }
        throw WireError(
            kind: .notPermitted,
            code: "generate_not_permitted",
            message: "this peer may not generate \(what) (\(setting)_users, \(setting)_groups)"
        )
    }

    /// Every PAN is Mod-10 checked before anything else.
    private func checkLuhn(_ pan: PAN) throws(WireError) {
        guard pan.luhnValid else {
            throw WireError(
                kind: .invalidField,
                code: "luhn_failed",
                field: "pan",
                message: "the PAN fails the Mod-10 (Luhn) check"
            )
        }
    }

    /// American Express's security code method is not public: cardcheck neither makes nor checks it.
    private func isAmericanExpress(_ pan: PAN) -> Bool {
        validators.configured.cards.brand(of: pan) == .americanExpress
    }

    /// Appends an error response.
    public static func write(_ error: WireError, requestID: UInt32, into output: inout ByteBuffer) {
        output.writeFrame(opcode: WireFormat.errorOpcode, requestID: requestID) { error.write(to: &$0) }
    }
}
