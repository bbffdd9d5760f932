import ArgumentParser
import CardCheck
import CardCheckJSON

struct InterpretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpret",
        abstract: "Explain AVS and CSC result codes returned by an issuer, with the policy's action."
    )

    @OptionGroup var engine: EngineOptions

    @Flag(help: "Write JSON.") var json = false
    @Option(help: "An AVS result code, A to Z.") var avs: String?
    @Option(help: "A CSC result code: D, I, M, N, P, S, U or X.") var csc: String?

    func validate() throws {
        guard avs != nil || csc != nil else { throw ValidationError("give --avs, --csc or both") }
        if let avs, avs.count != 1 || AVSCode(letter: Character(avs)) == nil {
            throw ValidationError("--avs must be one letter A to Z")
        }
        if let csc, csc.count != 1 || CSCResult(letter: Character(csc)) == nil {
            throw ValidationError("--csc must be one of D, I, M, N, P, S, U, X")
        }
    }

    func run() throws {
        let policy = engine.validator().policy
        let avsCode = avs.flatMap { AVSCode(letter: Character($0)) }
        let cscCode = csc.flatMap { CSCResult(letter: Character($0)) }
        let action = max(avsCode.map { policy[$0] } ?? .accept, cscCode.map { policy[$0] } ?? .accept)
        if json || !Terminal.standardOutputIsTerminal {
            var writer = JSONWriter()
            if let avsCode {
                let meaning = Interpretation.avs(avsCode)
                writer.add("avs") { object in
                    object.add("code", String(avsCode.letter))
                    object.add("meaning", meaning.meaning)
                    object.add("street_match", meaning.street.asBool)
                    object.add("postal_match", meaning.postal.asBool)
                    object.add("action", policy[avsCode].name)
                    object.add("advice", meaning.advice)
                }
            }
            if let cscCode {
                let meaning = Interpretation.csc(cscCode)
                writer.add("csc") { object in
                    object.add("code", String(cscCode.letter))
                    object.add("meaning", meaning.meaning)
                    object.add("action", policy[cscCode].name)
                    object.add("advice", meaning.advice)
                }
            }
            writer.add("action", action.name)
            print(writer.finished)
        } else {
            if let avsCode {
                let meaning = Interpretation.avs(avsCode)
                print("AVS \(avsCode.letter)  \(meaning.meaning)\n      street \(meaning.street), postal \(meaning.postal); \(policy[avsCode].name): \(meaning.advice)")
            }
            if let cscCode {
                let meaning = Interpretation.csc(cscCode)
                print("CSC \(cscCode.letter)  \(meaning.meaning)\n      \(policy[cscCode].name): \(meaning.advice)")
            }
            print("action \(action.name)")
        }
    }
}
