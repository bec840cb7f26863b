import Capture
import ResourceProtocol

/// One `$resource` message as the `events` table holds it.
///
/// Its optional numbers are kept as plain numbers with a bit each saying whether they are there
/// (`MemoryLayout.stride` 160 bytes instead of 184): a batch's events wait between the reducer
/// and the writer.
public struct ProjectedEvent: Sendable, Equatable {
    public var id: Int64
    public var time: UInt64
    /// The topic as sent when it is not a well-formed `$resource` topic (stored as `raw_topic`);
    /// nil when `topicID` names it.
    public var topic: String?
    public var type: String?
    public var name: String?
    public var state: String?
    public var payloadBytes: Int
    public var position: CapturePosition
    private var numbers = Numbers()
    private var present = PresenceBits()

    private struct Numbers: Sendable, Equatable { var topicID: Int64 = 0, taskID: Int64 = 0, percent: Int64 = 0, resultCode: Int64 = 0 }

    public init(id: Int64, time: UInt64, topic: String?, payloadBytes: Int, position: CapturePosition) {
        self.id = id
        self.time = time
        self.topic = topic
        self.payloadBytes = payloadBytes
        self.position = position
    }

    /// The row of a well-formed topic in `topics` (direction, product, device), which the
    /// `events` view joins: stored once per topic, not as three texts per message.
    public var topicID: Int64? {
        get { present.read(numbers.topicID, 1) }
        set { present.write(newValue, to: &numbers.topicID, 1) }
    }
    public var taskID: Int64? {
        get { present.read(numbers.taskID, 2) }
        set { present.write(newValue, to: &numbers.taskID, 2) }
    }
    public var percent: Int64? {
        get { present.read(numbers.percent, 4) }
        set { present.write(newValue, to: &numbers.percent, 4) }
    }
    public var resultCode: Int64? {
        get { present.read(numbers.resultCode, 8) }
        set { present.write(newValue, to: &numbers.resultCode, 8) }
    }
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
