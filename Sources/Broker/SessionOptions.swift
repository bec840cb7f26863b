/// How to open an MQTT session.
public struct SessionOptions: Sendable {
    public enum ProtocolVersion: String, Sendable, CaseIterable { case v311 = "3.1.1", v5 = "5" }

    public var clientID: String?
    public var username: String?
    /// Never logged, never written into a capture.
    public var password: String?
    public var protocolVersion = ProtocolVersion.v311
    public var keepAlive: Int32 = 30
    /// false keeps the session on the broker while away (it queues QoS 1/2 messages).
    public var cleanSession = true
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    /// Capacity of the receive queue in bytes; past it the network thread waits (back-pressure).
    public var receiveQueueBytes = 256 << 20
    /// Reconnect delays: from `reconnectMin` doubling up to `reconnectMax` seconds.
    /// QoS 1/2 messages the library keeps unacknowledged before it queues (libmosquitto's default is 20).
    public var maxInflight: UInt32 = 20
    public var reconnectMin: UInt32 = 1
    public var reconnectMax: UInt32 = 30

    public init() {}
}

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
}
