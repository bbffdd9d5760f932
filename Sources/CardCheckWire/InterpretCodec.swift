import CardCheck
import NIOCore

/// `INTERPRET`: issuer-returned AVS and/or CSC codes in; meaning, flags, advice and the policy's action out.
public struct InterpretRequest: Sendable, Hashable {
    public var avs: AVSCode?
    public var csc: CSCResult?

    public init(avs: AVSCode? = nil, csc: CSCResult? = nil) {
        self.avs = avs
        self.csc = csc
    }

    public func write(to buffer: inout ByteBuffer) {
        if let avs { buffer.writeField(0x01, byte: avs.letter.asciiValue!) }
        if let csc { buffer.writeField(0x02, byte: csc.letter.asciiValue!) }
    }

    public init(fields: ByteBuffer) throws(WireError) {
        var reader = FieldReader(fields)
        while let (tag, value) = try reader.next() {
            switch tag {
            case 0x01:
                guard let code = AVSCode(letter: Character(Unicode.Scalar(try value.byte(named: "avs")))) else {
                    throw WireError.invalid("avs", "an AVS code is one letter A to Z")
                }
                avs = code
            case 0x02:
                guard let code = CSCResult(letter: Character(Unicode.Scalar(try value.byte(named: "csc")))) else {
                    throw WireError.invalid("csc", "a CSC result is one of D, I, M, N, P, S, U, X")
                }
                csc = code
            default: break
            }
        }
        guard avs != nil || csc != nil else {
            throw WireError(kind: .missingField, message: "INTERPRET needs an AVS code, a CSC code or both")
        }
    }
}

public struct InterpretResponse: Sendable, Hashable {
    public struct AVSPart: Sendable, Hashable {
        public var meaning: String
        public var street: MatchFlag
        public var postal: MatchFlag
        public var action: Action
        public var advice: String
    }

    public struct CSCPart: Sendable, Hashable {
        public var meaning: String
        public var action: Action
        public var advice: String
    }

    public var avs: AVSPart?
    public var csc: CSCPart?
    public var action: Action

    /// The answer under `policy`.
    public init(_ request: InterpretRequest, policy: DecisionPolicy) {
        avs = request.avs.map { code in
            let meaning = Interpretation.avs(code)
            return AVSPart(
                meaning: meaning.meaning,
                street: meaning.street,
                postal: meaning.postal,
                action: policy[code],
                advice: meaning.advice
            )
        }
        csc = request.csc.map { code in
            let meaning = Interpretation.csc(code)
            return CSCPart(meaning: meaning.meaning, action: policy[code], advice: meaning.advice)
        }
        action = max(avs?.action ?? .accept, csc?.action ?? .accept)
    }

    public func write(to buffer: inout ByteBuffer) {
        if let avs {
            buffer.writeField(0x01, text: avs.meaning)
            buffer.writeField(0x02, byte: avs.street.rawValue)
            buffer.writeField(0x03, byte: avs.postal.rawValue)
            buffer.writeField(0x04, byte: avs.action.rawValue)
            buffer.writeField(0x05, text: avs.advice)
        }
        if let csc {
            buffer.writeField(0x10, text: csc.meaning)
            buffer.writeField(0x11, byte: csc.action.rawValue)
            buffer.writeField(0x12, text: csc.advice)
        }
        buffer.writeField(0x20, byte: action.rawValue)
    }

    public init(fields: ByteBuffer) throws(WireError) {
        var avsMeaning: String?
        var street: MatchFlag?
        var postal: MatchFlag?
        var avsAction: Action?
        var avsAdvice: String?
        var cscMeaning: String?
        var cscAction: Action?
        var cscAdvice: String?
        var overall: Action?
        func readAction(_ value: FieldValue) throws(WireError) -> Action {
            try value.code(named: "action", Action.init(rawValue:))
        }
        func flag(_ value: FieldValue) throws(WireError) -> MatchFlag {
            try value.code(named: "flag", MatchFlag.init(rawValue:))
        }
        var reader = FieldReader(fields)
        while let (tag, value) = try reader.next() {
            switch tag {
            case 0x01: avsMeaning = value.text
            case 0x02: street = try flag(value)
            case 0x03: postal = try flag(value)
            case 0x04: avsAction = try readAction(value)
            case 0x05: avsAdvice = value.text
            case 0x10: cscMeaning = value.text
            case 0x11: cscAction = try readAction(value)
            case 0x12: cscAdvice = value.text
            case 0x20: overall = try readAction(value)
            default: break
            }
        }
        guard let overall else { throw WireError(kind: .missingField, message: "INTERPRET response without action") }
        self.action = overall
        if let avsMeaning, let street, let postal, let avsAction, let avsAdvice {
            avs = AVSPart(meaning: avsMeaning, street: street, postal: postal, action: avsAction, advice: avsAdvice)
        }
        if let cscMeaning, let cscAction, let cscAdvice {
            csc = CSCPart(meaning: cscMeaning, action: cscAction, advice: cscAdvice)
        }
    }
}
