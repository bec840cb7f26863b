import Broker
import ResourceProtocol

/// `--client-per-device`: one MQTT connection per played device (client id = the device name),
/// for brokers that tie a device's topics to its client identity. Sends go out on the device's
/// own connection; every connection's messages come through one queue.
public final class PerDeviceLink: PlayerLink {
    private let sessions: [String: MosquittoSession]
    private let first: MosquittoSession

    /// `sessions` by live `product/device`, all sharing the first one's events.
    public init(sessions: [String: MosquittoSession]) {
        self.sessions = sessions
        first = sessions.sorted { $0.key < $1.key }[0].value
    }

    public func send(topic: String, payload: [UInt8], qos: Int, retain: Bool) throws {
        let session = (try? ResourceTopic(parsing: String(topic[(topic.range(of: "$resource/")?.lowerBound ?? topic.startIndex)...])))
            .flatMap { sessions["\($0.product)/\($0.device)"] } ?? first
        try session.send(topic: topic, payload: payload, qos: qos, retain: retain)
    }

    public func receive(timeout: Double) -> [ReceivedMessage] { first.receive(timeout: timeout) }
}
