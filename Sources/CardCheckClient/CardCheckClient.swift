import Atomics
import CardCheck
import CardCheckWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A client of cardcheckd. One connection carries any number of concurrent requests, matched by id;
/// it is opened on first use and opened again after it breaks (a daemon restart), and a request that
/// lost its connection is sent again on a new one until its timeout (every operation is idempotent).
public final class CardCheckClient: Sendable {
    public let socketPath: String
    /// How long one request may take, reconnects and resends included.
    public let timeout: Duration
    /// Whether a request whose connection broke or was refused is tried again until its timeout (a
    /// long-lived gateway process riding out a daemon restart), or only once more at once (a command
    /// that should say "no daemon" without waiting).
    public let reconnects: Bool
    private let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    private let nextID = ManagedAtomic<UInt32>(0)
    private let connection = NIOLockedValueBox<EventLoopFuture<Connection>?>(nil)

    public init(socketPath: String, timeout: Duration = .seconds(5), reconnects: Bool = true) {
        self.socketPath = socketPath
        self.timeout = timeout
        self.reconnects = reconnects
    }

    // MARK: Operations

    public func validate(
        _ request: ValidationRequest,
        options: ValidateOptions = []
    ) async throws(CardCheckClientError) -> ValidationResult {
        let frame = try await call(.validate, flags: options.rawValue) { buffer throws(CardCheckClientError) in
            do throws(WireError) { try ValidateCodec.write(request, to: &buffer) } catch {
                throw .server(CardCheckServerError(error))
            }
        }
        return try decode { () throws(WireError) in try ValidateCodec.readResult(frame.fields) }
    }

    public func interpret(
        avs: AVSCode? = nil,
        csc: CSCResult? = nil
    ) async throws(CardCheckClientError) -> Interpretation {
        let frame = try await call(.interpret) { InterpretRequest(avs: avs, csc: csc).write(to: &$0) }
        return Interpretation(wire: try decode { () throws(WireError) in try InterpretResponse(fields: frame.fields) })
    }

    public func hello(clientName: String = "CardCheckClient") async throws(CardCheckClientError) -> ServerInfo {
        let frame = try await call(.hello) { HelloRequest(clientName: clientName).write(to: &$0) }
        return ServerInfo(try decode { () throws(WireError) in try HelloResponse(fields: frame.fields) })
    }

    /// Sends a PING and returns the round-trip time.
    public func ping() async throws(CardCheckClientError) -> Duration {
        let start = ContinuousClock.now
        _ = try await call(.ping) { $0.writeField(0x01, text: "cardcheck") }
        return ContinuousClock.now - start
    }

    public func stats() async throws(CardCheckClientError) -> Statistics {
        let frame = try await call(.stats) { _ in }
        return Statistics(try decode { () throws(WireError) in try StatsResponse(fields: frame.fields) })
    }

    /// The daemon's metrics in the Prometheus text exposition format.
    public func metrics() async throws(CardCheckClientError) -> String {
        let frame = try await call(.stats, flags: StatsFlags.prometheus.rawValue) { _ in }
        return try decode { () throws(WireError) in try MetricsExposition(fields: frame.fields).text }
    }

    /// Makes a card verification value under the daemon's key for the card's range (`CSC_GENERATE`; only
    /// for peers the daemon lists in `csc_generate_users` or `csc_generate_groups`). `expiry` is the card's
    /// date (`MMYY`, `MM/YY`, `MM/YYYY`); `serviceCode` `000` is the printed code, `999` the chip's iCVV.
    public func generateSecurityCode(
        pan: String,
        expiry: String,
        serviceCode: String = "000"
    ) async throws(CardCheckClientError) -> GeneratedSecurityCode {
        let request = SecurityCodeCodec.Request(pan: pan, expiry: expiry, serviceCode: serviceCode)
        let frame = try await call(.cscGenerate) { request.write(to: &$0) }
        let generated = try decode { () throws(WireError) in try SecurityCodeCodec.Generated(fields: frame.fields) }
        return GeneratedSecurityCode(code: generated.code, key: generated.key)
    }

    /// Checks a card verification value under the daemon's keys (`CSC_VERIFY`): M with the key that
    /// matched, N, or U when no key covers the card.
    public func verifySecurityCode(
        pan: String,
        expiry: String,
        csc: String,
        serviceCode: String = "000"
    ) async throws(CardCheckClientError) -> SecurityCodeVerification {
        let request = SecurityCodeCodec.Request(pan: pan, expiry: expiry, serviceCode: serviceCode, csc: csc)
        let frame = try await call(.cscVerify) { request.write(to: &$0) }
        return try decode { () throws(WireError) in try SecurityCodeCodec.verification(fields: frame.fields) }
    }

    /// Makes a 3-D Secure authentication value (a Visa CAVV or a Mastercard SPA AAV) under the daemon's key
    /// for the card's range (`CAVV_GENERATE`; only for peers the daemon lists in `cavv_generate_users` or
    /// `cavv_generate_groups`). The request needs the PAN and the status (`Y` or `A`); the other fields
    /// have defaults (PROTOCOL.md).
    public func generateAuthenticationValue(
        _ request: AuthenticationValueCodec.Request
    ) async throws(CardCheckClientError) -> AuthenticationValueCodec.Generated {
        let frame = try await call(.cavvGenerate) { request.write(to: &$0) }
        return try decode { () throws(WireError) in try AuthenticationValueCodec.Generated(fields: frame.fields) }
    }

    /// Checks a 3-D Secure authentication value under the daemon's keys (`CAVV_VERIFY`): M with the key
    /// that matched, N, or U when no key covers the card and value. The request needs the PAN and the value.
    public func verifyAuthenticationValue(
        _ request: AuthenticationValueCodec.Request
    ) async throws(CardCheckClientError) -> SecurityCodeVerification {
        let frame = try await call(.cavvVerify) { request.write(to: &$0) }
        return try decode { () throws(WireError) in try SecurityCodeCodec.verification(fields: frame.fields) }
    }

    /// Closes the connection; the next request opens a new one.
    public func close() async {
        let current = connection.withLockedValue { current in
            defer { current = nil }
            return current
        }
        if let current, let open = try? await current.get() { try? await open.close().get() }
    }

    // MARK: Plumbing

    private func decode<T>(_ body: () throws(WireError) -> T) throws(CardCheckClientError) -> T {
        do { return try body() } catch { throw .protocolViolation(error.description) }
    }

    private func call(
        _ opcode: Opcode,
        flags: UInt16 = 0,
        fields: (inout ByteBuffer) throws(CardCheckClientError) -> Void
    ) async throws(CardCheckClientError) -> Frame {
        var body = ByteBuffer()
        try fields(&body)
        var id = nextID.wrappingIncrementThenLoad(ordering: .relaxed)
        if id == 0 { id = nextID.wrappingIncrementThenLoad(ordering: .relaxed) }  // 0 is for connection errors
        var bytes = ByteBuffer()
        bytes.writeFrame(Frame(opcode: opcode.rawValue, flags: flags, requestID: id, fields: body))
        // A broken or refused connection is tried again, at once and then with a growing pause, until the
        // request's timeout: a daemon restart (systemd's Restart=, an operator's restart) costs the caller
        // latency, not an error. Answers are matched by id on their own connection, so a retry can never
        // pick up another request's answer.
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout / .nanoseconds(1)))
        var pause = TimeAmount.zero
        var attempt = 0
        while true {
            attempt += 1
            do {
                let frame = try await send(bytes, id: id, timeout: max(deadline - .now(), .milliseconds(1)))
                if frame.opcode == WireFormat.errorOpcode {
                    throw CardCheckClientError.server(
                        CardCheckServerError(try decode { () throws(WireError) in try WireError(fields: frame.fields) })
                    )
                }
                guard frame.opcode == opcode.responseOpcode else {
                    throw CardCheckClientError.protocolViolation(
                        "opcode 0x\(String(frame.opcode, radix: 16)) answers \(opcode.name)"
                    )
                }
                return frame
            } catch let error as CardCheckClientError {
                let remaining = deadline - .now()
                guard error.isRetryable, remaining > .zero, !Task.isCancelled, reconnects || attempt < 2 else {
                    throw error
                }
                if pause > .zero { try? await Task.sleep(nanoseconds: UInt64(min(pause, remaining).nanoseconds)) }
                pause = min(max(pause * 2, CardCheckClient.firstReconnectPause), CardCheckClient.longestReconnectPause)
            } catch {
                throw .protocolViolation("\(error)")
            }
        }
    }

    static let firstReconnectPause = TimeAmount.milliseconds(5)
    static let longestReconnectPause = TimeAmount.milliseconds(200)

    private func send(_ bytes: ByteBuffer, id: UInt32, timeout: TimeAmount) async throws -> Frame {
        let (future, open) = try await currentConnection()
        do {
            return try await open.send(bytes, id: id, timeout: timeout).get()
        } catch let error as CardCheckClientError {
            if error.isRetryable { forget(future) }
            throw error
        }
    }

    /// The open connection, opening one if there is none or the last one broke.
    private func currentConnection() async throws(CardCheckClientError) -> (EventLoopFuture<Connection>, Connection) {
        let future = connection.withLockedValue { current -> EventLoopFuture<Connection> in
            if let current { return current }
            let opening = Connection.open(path: socketPath, group: group, maximumFrameSize: 16 * 1_024 * 1_024)
            current = opening
            return opening
        }
        do {
            let open = try await future.get()
            if !open.channel.isActive {
                forget(future)
                throw CardCheckClientError.connectionClosed
            }
            return (future, open)
        } catch let error as CardCheckClientError {
            throw error
        } catch {
            forget(future)
            throw .connectionFailed(path: socketPath, reason: "\(error)")
        }
    }

    /// Drops a broken connection, unless another request already replaced it.
    private func forget(_ broken: EventLoopFuture<Connection>) {
        connection.withLockedValue { current in
            if current === broken { current = nil }
        }
    }
}
