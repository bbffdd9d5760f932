import CardCheck
import Foundation

/// Reads one JSON Lines input object into a ``ValidationRequest``.
///
/// Keys (all optional, at least one check needed): `pan`, `expiry`, `csc`, `csc_indicator`, `street`,
/// `postal_code`, `country`, `on_file_street`, `on_file_postal_code`, `on_file_country`, `three_ds_status`,
/// `eci`, `authentication_value`, `three_ds_version`, `three_ds_status_reason`, `profile`. Values are strings;
/// `csc_indicator` may also be a number. An unknown key is an error, so that a misspelt key never silently
/// skips a check.
public enum JSONLineRequest {
    public static let keys: [String] = [
        "pan", "expiry", "csc", "csc_indicator", "street", "postal_code", "country",
        "on_file_street", "on_file_postal_code", "on_file_country", "three_ds_status", "eci", "authentication_value",
        "three_ds_version", "three_ds_status_reason", "profile",
    ]

    public static func parse(_ line: some StringProtocol) throws(JSONLineError) -> ValidationRequest {
        if let request = FlatRequestScanner.request(line) { return request }
        return try decode(line)
    }

    /// Foundation's decoder: every line the fast scanner does not take, and the oracle it is tested against.
    static func decode(_ line: some StringProtocol) throws(JSONLineError) -> ValidationRequest {
        do {
            return try decoder.decode(Line.self, from: Data(line.utf8)).request
        } catch let error as JSONLineError {
            throw error
        } catch DecodingError.typeMismatch, DecodingError.valueNotFound {
            throw .notAnObject  // valid JSON, but not an object (an array, a string, null, ...)
        } catch {
            throw .invalidJSON
        }
    }

    private static let decoder = JSONDecoder()

    /// The decoding of one line, strict about keys and types.
    private struct Line: Decodable {
        var request = ValidationRequest()

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: Key.self)
            if let unknown = fields.allKeys.map(\.stringValue).sorted().first(where: { !keys.contains($0) }) {
                throw JSONLineError.unknownKey(unknown)
            }
            func string(_ name: String) throws -> String? {
                let key = Key(stringValue: name)
                guard fields.contains(key), try !fields.decodeNil(forKey: key) else { return nil }
                guard let text = try? fields.decode(String.self, forKey: key) else {
                    throw JSONLineError.wrongType(key: name, expected: "a string")
                }
                return text
            }
            request.pan = try string("pan")
            request.expiry = try string("expiry")
            request.csc = try string("csc")
            let indicatorKey = Key(stringValue: "csc_indicator")
            if fields.contains(indicatorKey), try !fields.decodeNil(forKey: indicatorKey) {
                if let number = try? fields.decode(Int.self, forKey: indicatorKey) {
                    request.cscIndicator = number
                } else if let text = try? fields.decode(String.self, forKey: indicatorKey), let number = Int(text) {
                    request.cscIndicator = number
                } else {
                    throw JSONLineError.wrongType(key: "csc_indicator", expected: "0, 1, 2 or 9")
                }
            }
            request.address = Address(
                street: try string("street"),
                postalCode: try string("postal_code"),
                country: try string("country")
            )
            let onFile = Address(
                street: try string("on_file_street"),
                postalCode: try string("on_file_postal_code"),
                country: try string("on_file_country")
            )
            request.onFileAddress = onFile == Address() ? nil : onFile
            request.threeDS = ThreeDSData(
                status: try string("three_ds_status"),
                eci: try string("eci"),
                authenticationValue: try string("authentication_value"),
                version: try string("three_ds_version"),
                statusReason: try string("three_ds_status_reason")
            )
            request.profile = try string("profile")
        }
    }
}

/// Why one input line could not be turned into a request or result.
public enum JSONLineError: Error, Hashable, CustomStringConvertible {
    case invalidJSON
    case notAnObject
    case unknownKey(String)
    case wrongType(key: String, expected: String)
    case validation(ValidationError)
    /// An error the daemon answered with: the same code, field and message the engine gives in-process.
    case remote(code: String, field: String?, message: String)

    public var code: String {
        switch self {
        case .invalidJSON: "invalid_json"
        case .notAnObject: "not_an_object"
        case .unknownKey: "unknown_key"
        case .wrongType: "wrong_type"
        case let .validation(error): error.code
        case let .remote(code, _, _): code
        }
    }

    public var field: String? {
        switch self {
        case .invalidJSON, .notAnObject: nil
        case let .unknownKey(key), let .wrongType(key, _): key
        case let .validation(error): error.field
        case let .remote(_, field, _): field
        }
    }

    public var description: String {
        switch self {
        case .invalidJSON: "the line is not valid JSON"
        case .notAnObject: "the line is JSON but not an object"
        case let .unknownKey(key): "unknown key '\(key)'; keys are " + JSONLineRequest.keys.joined(separator: ", ")
        case let .wrongType(key, expected): "\(key) must be \(expected)"
        case let .validation(error): error.description
        case let .remote(_, _, message): message
        }
    }
}
