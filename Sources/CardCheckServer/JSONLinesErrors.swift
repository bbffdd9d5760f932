import CardCheckJSON
import CardCheckWire

extension JSONLineResult {
    /// A connection-level error (a line too long) as a JSON Lines connection receives it: one error
    /// object on its own line, in the form `cardcheck validate` writes errors.
    static func render(_ error: WireError) -> String {
        render(errorCode: error.code, field: error.field, message: error.message)
    }
}
