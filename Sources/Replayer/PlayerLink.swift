import Broker

/// What a closed-loop replay needs of a broker: publish, and the messages of its subscriptions.
/// `MosquittoSession` is one; tests give the player a link of their own.
public protocol PlayerLink: AnyObject {
    func send(topic: String, payload: [UInt8], qos: Int, retain: Bool) throws
    /// The messages received since the last call, waiting up to `timeout` seconds for the first.
    func receive(timeout: Double) -> [ReceivedMessage]
}

extension MosquittoSession: PlayerLink {
    public func send(topic: String, payload: [UInt8], qos: Int, retain: Bool) throws {
        try publish(topic: topic, payload: payload, qos: qos, retain: retain, window: qos > 0 ? 100 : nil)
    }

    public func receive(timeout: Double) -> [ReceivedMessage] {
        events(timeout: timeout).compactMap { if case .message(let m) = $0 { m } else { nil } }
    }
}
