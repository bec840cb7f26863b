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
        matches(time: m.time) && matches(topic: m.topic) && (m.isRecorderEvent || matches(payload: m.payload))
    }

    /// The time is within `since` and `until`.
    public func matches(time: UInt64) -> Bool {
        if let since, time < since { return false }
        if let until, time > until { return false }
        return true
    }

    /// The topic passes (the same for every message of a channel: callers may keep the answer).
    /// A recorder event passes only when no topic or type is filtered.
    public func matches(topic: String) -> Bool {
        if CapturedMessage.isRecorderTopic(topic) {
            return includeRecorderEvents && !needsTopic && types.isEmpty
        }
        if needsTopic {
            guard let t = try? ResourceTopic(parsing: topic) else { return false }
            if !products.isEmpty, !products.contains(t.product) { return false }
            if !devices.isEmpty, !devices.contains(t.device) { return false }
            if let direction, t.direction != direction { return false }
        }
        return true
    }

    /// The payload's message type passes (any payload does when no type is filtered).
    public func matches<Payload: Collection<UInt8>>(payload: Payload) -> Bool {
        guard !types.isEmpty else { return true }
        guard let type = (try? ResourceMessage(decoding: payload))?.typeName else { return false }
        return types.contains(type)
    }
}
