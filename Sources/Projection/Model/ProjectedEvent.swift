import Capture
import ResourceProtocol

/// One `$resource` message as the `events` table holds it.
public struct ProjectedEvent: Sendable, Equatable {
    public var id: Int64
    public var time: UInt64
    /// The topic as sent when it is not a well-formed `$resource` topic (stored as `raw_topic`);
    /// nil when `topicID` names it.
    public var topic: String?
    /// The row of a well-formed topic in `topics` (direction, product, device), which the
    /// `events` view joins: stored once per topic, not as three texts per message.
    public var topicID: Int64?
    public var type: String?
    public var name: String?
    public var taskID: Int64?
    public var percent: Int64?
    public var state: String?
    public var resultCode: Int64?
    public var payloadBytes: Int
    public var position: CapturePosition
}

/// A well-formed topic, as the `topics` table holds it.
public struct TopicRow: Sendable, Equatable {
    public var id: Int64
    public var topic: ResourceTopic
}

/// An event of the recorder itself (connected, disconnected, …), kept to tell blind windows from silence.
public struct RecorderEvent: Sendable, Equatable {
    public var time: UInt64
    public var event: String
    public var detail: String
}
