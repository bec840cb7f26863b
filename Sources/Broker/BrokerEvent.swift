/// What a session reports, in order.
public enum BrokerEvent: Sendable {
    case connected(sessionPresent: Bool)
    /// `fatal`: the broker refused the credentials or the client; retrying will not help.
    case connectFailed(reason: String, fatal: Bool)
    case disconnected(reason: String)
    case subscribed(grantedQoS: [Int])
    case message(ReceivedMessage)
}

/// A message as received: copied out of the library's buffers inside its callback.
public struct ReceivedMessage: Sendable {
    public var time: UInt64
    public var topic: String
    public var payload: [UInt8]
    public var qos: UInt8
    public var retain: Bool
    /// What `MosquittoSession.keeper` returned for it (the recorder's journal number).
    public var keptAs: UInt64?

    public init(time: UInt64, topic: String, payload: [UInt8], qos: UInt8, retain: Bool) {
        self.time = time
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}
