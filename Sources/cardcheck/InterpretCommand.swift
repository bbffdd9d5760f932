import ArgumentParser
import CardCheck
import CardCheckClient
import CardCheckJSON
import CardCheckWire

struct InterpretCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpret",
        abstract: "Explain AVS and CSC result codes returned by an issuer, with the policy's action."
    )

    @OptionGroup var engine: EngineOptions

    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("An AVS result code, A to Z.", valueName: "letter")) var avs: AVSCode?
    @Option(help: ArgumentHelp("A CSC result code: D, I, M, N, P, S, U or X.", valueName: "letter")) var csc: CSCResult?

    func validate() throws {
        guard avs != nil || csc != nil else { throw ValidationError("give --avs, --csc or both") }
    }

    func run() async throws {
        let request = InterpretRequest(avs: avs, csc: csc)
        let response: CardCheckClient.Interpretation
        if engine.local {
            response = CardCheckClient.Interpretation(
                wire: InterpretResponse(request, policy: try engine.validator().policy)
            )
        } else {
            let client = engine.client()
            do { response = try await client.interpret(avs: request.avs, csc: request.csc) } catch {
                throw Terminal.fail(error)
            }
            await client.close()
        }
        if output.asJSON {
            var writer = JSONWriter()
            if let code = request.avs, let part = response.avs {
                writer.add("avs") { object in
                    object.add("code", String(code.letter))
                    object.add("meaning", part.meaning)
                    object.add("street_match", part.street.asBool)
                    object.add("postal_match", part.postal.asBool)
                    object.add("action", part.action.name)
                    object.add("advice", part.advice)
                }
            }
            if let code = request.csc, let part = response.csc {
                writer.add("csc") { object in
                    object.add("code", String(code.letter))
                    object.add("meaning", part.meaning)
                    object.add("action", part.action.name)
                    object.add("advice", part.advice)
                }
            }
            writer.add("action", response.action.name)
            print(writer.finished)
        } else {
            if let code = request.avs, let part = response.avs {
                print(
                    "AVS \(code.letter)  \(part.meaning)\n      street \(part.street), postal \(part.postal); \(part.action.name): \(part.advice)"
                )
            }
            if let code = request.csc, let part = response.csc {
                print("CSC \(code.letter)  \(part.meaning)\n      \(part.action.name): \(part.advice)")
            }
            print("action \(response.action.name)")
        }
    }
}
