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
