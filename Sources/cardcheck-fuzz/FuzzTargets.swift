import CardCheck
import CardCheckCrypto
import CardCheckServer
import CardCheckWire
import NIOCore

/// What one fuzz input exercises.
enum FuzzTarget: String, CaseIterable {
    /// The frame decoder on a raw byte stream, as a socket delivers it.
    case frames
    /// A request frame's fields, decoded and answered by the responder (validation, CSC, interpret…).
    case requests

    /// Runs one input. Any crash, overflow or sanitizer report is a finding; errors are fine.
    func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        switch self {
        case .frames:
            var decoder = FrameDecoder(maximumFrameSize: 16_384)
            var buffer = ByteBuffer(bytes: bytes)
            var output = ByteBuffer()
            while let frame = try? decoder.decode(buffer: &buffer) {
                _ = FuzzTarget.responder.respond(
                    to: frame,
                    today: FuzzTarget.today,
                    permissions: [.generateSecurityCodes, .generateAuthenticationValues],
                    into: &output
                )
            }
        case .requests:
            guard let first = bytes.first else { return }
            // The first byte picks the operation (and flags); the rest are the fields.
            let opcodes = Opcode.allCases.map(\.rawValue) + [0x00, 0x42]
            let opcode = opcodes[Int(first) % opcodes.count]
            let frame = Frame(
                opcode: opcode,
                flags: UInt16(first >> 5),
                requestID: 1,
                fields: ByteBuffer(bytes: bytes.dropFirst())
            )
            var output = ByteBuffer()
            _ = FuzzTarget.responder.respond(
                to: frame,
                today: FuzzTarget.today,
                permissions: [.generateSecurityCodes, .generateAuthenticationValues],
                into: &output
            )
        }
    }

    static let today = YearMonth(year: 2026, month: 11)!

    /// The daemon's responder with a key table, so that CSC, CAVV and AAV paths run too.
    static let responder: Responder = {
        let keys = try? KeyFile.parse(
            """
            4 0123456789ABCDEFFEDCBA9876543210 name=fuzz
            5412 4C37C8319D76ADAB58D9431543C2165B parity=any expiry=MMYY
            4 0123456789ABCDEFFEDCBA9876543210 purpose=cavv indicator=01
            5 0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B purpose=aav key_id=1
            """
        )
        var validator = Validator()
        validator.securityCodes = keys
        validator.authenticationValues = keys
        return Responder(
            validator: validator,
            securityCodes: keys,
            authenticationValues: keys,
            hello: HelloResponse(serverName: "fuzz", serverVersion: "0", maximumFrameSize: 16_384, maximumInFlight: 256)
        )
    }()
}
