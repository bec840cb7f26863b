/// Why a payload could not be decoded into a `ResourceMessage`.
public enum ResourceDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The payload has no bytes (or only whitespace).
    case empty
    /// The bytes are not valid JSON; `offset` is where the scanner gave up.
    case invalidJSON(offset: Int, reason: String)
    /// Valid JSON, but not an object (`null`, an array, a number, a string, …).
    case notAnObject(found: String)
    /// Nesting deeper than `ResourceMessage.maximumDepth`.
    case tooDeep(offset: Int)
    /// A field the type needs is missing.
    case missingField(type: String, field: String)
    /// A field has a value of the wrong kind or out of range.
    case invalidField(field: String, reason: String)

    public var description: String {
        switch self {
        case .empty: "empty payload"
        case .invalidJSON(let offset, let reason): "invalid JSON at byte \(offset): \(reason)"
        case .notAnObject(let found): "payload is \(found), not a JSON object"
        case .tooDeep(let offset): "nesting too deep at byte \(offset)"
        case .missingField(let type, let field): "\(type) without \(field)"
        case .invalidField(let field, let reason): "field \(field): \(reason)"
        }
    }

    /// A short stable name for the kind of error, as used in anomaly kinds.
    public var kind: String {
        switch self {
        case .empty, .invalidJSON, .notAnObject, .tooDeep: "malformed_json"
        case .missingField: "missing_field"
        case .invalidField: "invalid_field"
        }
    }
}
