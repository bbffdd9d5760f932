import ArgumentParser
import CardCheck
import CardCheckClient
import CardCheckJSON
import CardCheckWire

struct InterpretCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpret",
        abstract: "Explain AVS, CSC and 3-D Secure codes returned by an issuer, with the policy's action.",
        discussion: """
            AVS and CSC codes are explained by cardcheckd with its policy (or in-process with --local). 3-D Secure             codes (--three-ds-status, --three-ds-reason, --eci, --cavv-result) are read from cardcheck's own             tables (shared/reference/three-d-secure.md), with the card networks' default actions.
            """
    )

    @OptionGroup var engine: EngineOptions

    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("An AVS result code, A to Z.", valueName: "letter")) var avs: AVSCode?
    @Option(help: ArgumentHelp("A CSC result code: D, I, M, N, P, S, U or X.", valueName: "letter")) var csc: CSCResult?
    @Option(help: ArgumentHelp("A 3-D Secure transStatus: Y, A, N, U, R, C, D or I.", valueName: "letter"))
    var threeDSStatus: ThreeDSStatus?
    @Option(help: ArgumentHelp("A 3-D Secure transStatusReason: 01 to 26, 80 to 99.", valueName: "NN"))
    var threeDSReason: ThreeDSReasonArgument?
    @Option(
        help: ArgumentHelp(
            "An ECI: 05 06 07 (Visa and most brands), 02 01 00 04 06 07 N0 N2 (Mastercard).",
            valueName: "NN"
        )
    )
    var eci: ECIArgument?
    @Option(
        help: ArgumentHelp("Visa's CAVV result code in the authorisation response: 0 to 9, A to D.", valueName: "code")
    )
    var cavvResult: CAVVResultArgument?

    func validate() throws {
        guard
            avs != nil || csc != nil || threeDSStatus != nil || threeDSReason != nil || eci != nil || cavvResult != nil
        else {
            throw ValidationError("give --avs, --csc, --three-ds-status, --three-ds-reason, --eci or --cavv-result")
        }
    }

    func run() async throws {
        let request = InterpretRequest(avs: avs, csc: csc)
        let response: CardCheckClient.Interpretation?
        if avs == nil && csc == nil {
            response = nil  // only 3-D Secure codes: nothing to ask the daemon
        } else if engine.local {
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
            if let code = request.avs, let part = response?.avs {
                writer.add("avs") { object in
                    object.add("code", String(code.letter))
                    object.add("meaning", part.meaning)
                    object.add("street_match", part.street.asBool)
                    object.add("postal_match", part.postal.asBool)
                    object.add("action", part.action.name)
                    object.add("advice", part.advice)
                }
            }
            if let code = request.csc, let part = response?.csc {
                writer.add("csc") { object in
                    object.add("code", String(code.letter))
                    object.add("meaning", part.meaning)
                    object.add("action", part.action.name)
                    object.add("advice", part.advice)
                }
            }
            func add(_ key: String, _ part: ThreeDSCodeInterpretation?, to writer: inout JSONWriter) {
                guard let part else { return writer.add(key, nil as String?) }
                writer.add(key) { object in
                    object.add("code", part.code)
                    object.add("meaning", part.meaning)
                    object.add("liability_shift", part.liabilityShift)
                    object.add("action", part.recommendedAction.name)
                    object.add("advice", part.advice)
                }
            }
            if let status = threeDSStatus { add("three_ds_status", Interpretation.threeDSStatus(status), to: &writer) }
            if let reason = threeDSReason {
                writer.add("three_ds_reason") { object in
                    object.add("code", reason.code)
                    object.add("meaning", reason.meaning)
                }
            }
            if let eci {
                writer.add("eci") { object in
                    let families = Interpretation.eci(eci.text)
                    object.add("code", eci.text)
                    add("visa", families.visa, to: &object)
                    add("mastercard", families.mastercard, to: &object)
                }
            }
            if let cavvResult { add("cavv_result", cavvResult.interpretation, to: &writer) }
            writer.add("action", action(response).name)
            print(writer.finished)
        } else {
            if let code = request.avs, let part = response?.avs {
                print(
                    "AVS \(code.letter)  \(part.meaning)\n      street \(part.street), postal \(part.postal); \(part.action.name): \(part.advice)"
                )
            }
            if let code = request.csc, let part = response?.csc {
                print("CSC \(code.letter)  \(part.meaning)\n      \(part.action.name): \(part.advice)")
            }
            func show(_ label: String, _ part: ThreeDSCodeInterpretation) {
                let shift =
                    switch part.liabilityShift {
                    case true?: "liability shifts"
                    case false?: "no liability shift"
                    case nil: "liability not decided yet"
                    }
                print(
                    "\(label) \(part.code)  \(part.meaning)\n      \(shift); \(part.recommendedAction.name): \(part.advice)"
                )
            }
            if let status = threeDSStatus { show("3DS", Interpretation.threeDSStatus(status)) }
            if let reason = threeDSReason { print("3DS reason \(reason.code)  \(reason.meaning)") }
            if let eci {
                let families = Interpretation.eci(eci.text)
                if let visa = families.visa { show("ECI (Visa, Amex, Discover, JCB, UnionPay, Elo)", visa) }
                if let mastercard = families.mastercard { show("ECI (Mastercard, Maestro)", mastercard) }
            }
            if let cavvResult { show("CAVV result", cavvResult.interpretation) }
            print("action \(action(response).name)")
        }
    }

    /// The most severe action of the codes given: the daemon's (or the local policy's) for AVS and CSC, the
    /// tables' for 3-D Secure. An ECI alone recommends accept (it says whether liability shifts, not what to do).
    private func action(_ response: CardCheckClient.Interpretation?) -> Action {
        var actions = [response?.action ?? .accept]
        if let threeDSStatus { actions.append(Interpretation.threeDSStatus(threeDSStatus).recommendedAction) }
        if let cavvResult { actions.append(cavvResult.interpretation.recommendedAction) }
        return actions.max()!
    }
}
