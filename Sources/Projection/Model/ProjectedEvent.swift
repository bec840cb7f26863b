import Capture
import ResourceProtocol

/// One `$resource` message as the `events` table holds it.
public struct ProjectedEvent: Sendable, Equatable {
    public var id: Int64
    public var time: UInt64
    /// The topic as sent when it is not a well-formed `$resource` topic (stored as `raw_topic`);
    /// nil when `direction`, `product` and `device` spell it (`events.topic` is computed from them).
    public var topic: String?
    public var product: String?
    public var device: String?
    public var direction: Direction?
    public var type: String?
    public var name: String?
    public var taskID: Int64?
    public var percent: Int64?
    public var state: String?
    public var resultCode: Int64?
    public var payloadBytes: Int
    public var position: CapturePosition
}

/// An event of the recorder itself (connected, disconnected, …), kept to tell blind windows from silence.
public struct RecorderEvent: Sendable, Equatable {
    public var time: UInt64
    public var event: String
    public var detail: String
}
