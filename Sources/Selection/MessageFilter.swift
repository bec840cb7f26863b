import Capture
import ResourceProtocol

/// Selects messages by time, product, device, direction and message type, as `cat` and `replay`
/// take them on the command line. Recorder events pass only when `includeRecorderEvents` is set.
public struct MessageFilter: Sendable {
    public var since: UInt64?
    public var until: UInt64?
    public var products: Set<String> = []
    public var devices: Set<String> = []
    public var types: Set<String> = []
    public var direction: Direction?
    public var includeRecorderEvents = true

    public init() {}

    /// True when the topic must be parsed (product, device or direction is filtered).
    var needsTopic: Bool { !products.isEmpty || !devices.isEmpty || direction != nil }

    public func matches(_ m: CapturedMessage) -> Bool {
        if let since, m.time < since { return false }
        if let until, m.time > until { return false }
        if m.isRecorderEvent {
            return includeRecorderEvents && !needsTopic && types.isEmpty
        }
        if needsTopic {
            guard let topic = try? ResourceTopic(parsing: m.topic) else { return false }
            if !products.isEmpty, !products.contains(topic.product) { return false }
            if !devices.isEmpty, !devices.contains(topic.device) { return false }
            if let direction, topic.direction != direction { return false }
        }
        if !types.isEmpty {
            guard let type = (try? ResourceMessage(decoding: m.payload))?.typeName, types.contains(type) else { return false }
        }
        return true
    }
}
