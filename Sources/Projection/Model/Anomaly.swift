/// Something in the traffic that fits no rule: kept, counted and shown, never an error.
public struct Anomaly: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case malformedJSON = "malformed_json"
        case missingField = "missing_field"
        case invalidField = "invalid_field"
        case unknownType = "unknown_type"
        case badTopic = "bad_topic"
        case wrongDirection = "wrong_direction"
        case orphanProgress = "orphan_progress"
        case orphanResponse = "orphan_response"
        case percentBackwards = "percent_backwards"
        case percentOutOfRange = "percent_out_of_range"
        case eventAfterEnd = "event_after_end"
    }

    public var kind: Kind
    public var time: UInt64
    public var topic: String
    /// The topic's product and device, when it is a `$resource` topic (for filters without a join).
    public var product: String?
    public var device: String?
    /// The event's number in the projection (the `events.id` of a `$resource` message).
    public var eventID: Int64
    /// Where the raw message lies in the capture (`file@chunk#index`).
    public var position: String
    public var taskID: Int64?
    public var detail: String
}
