import ResourceProtocol
import Selection

/// What `restrace replay` is told: timing, selection and re-addressing.
public struct ReplayOptions: Sendable {
    /// Speed factor: 2 plays twice as fast. Ignored with `maxRate`.
    public var rate = 1.0
    /// Publish as fast as the broker accepts, keeping at most `window` messages unacknowledged.
    public var maxRate = false
    public var window = 1000
    public var filter = MessageFilter()
    public var mapProduct: [String: String] = [:]
    public var mapDevice: [String: String] = [:]
    /// Prepended to every topic, so a replay never lands on production topics by accident.
    public var topicPrefix = ""
    /// Publish with this QoS instead of the recorded one.
    public var qos: Int?
    /// Play the capture this many times, the timeline restarting each time.
    public var loops = 1

    public init() {}

    /// The topic a recorded topic is published on.
    public func address(_ topic: String) -> String {
        guard !mapProduct.isEmpty || !mapDevice.isEmpty, var t = try? ResourceTopic(parsing: topic) else { return topicPrefix + topic }
        t.product = mapProduct[t.product] ?? t.product
        t.device = mapDevice[t.device] ?? t.device
        return topicPrefix + t.description
    }
}

/// One message as the replay publishes it, lent for the call that publishes it: its payload is
/// read where it lies in the capture (valid only during that call), not copied.
public struct ReplayMessage {
    /// When it is due, ns after the start of its loop.
    public var due: UInt64
    public var loop: Int
    public var originalTime: UInt64
    public var topic: String
    public var payload: UnsafeBufferPointer<UInt8>
    public var qos: Int
    public var retain: Bool
}

/// What a replay did.
public struct ReplaySummary: Sendable {
    public var published = 0
    /// Messages of the capture not selected (filters, direction, recorder events).
    public var skipped = 0
    public var failed = 0
    public var seconds = 0.0
    /// Lateness against the schedule, ms.
    public var latenessP50 = 0.0
    public var latenessP99 = 0.0
    public var latenessMax = 0.0
    /// Damage met in the capture (what could not be read was skipped).
    public var captureProblems: [String] = []
    public var interrupted = false
    /// Why the first failed message failed (the others are counted in `failed`).
    public var firstFailure: String?
    /// Set when a failure ended the replay early (a broker that acknowledges nothing any more).
    public var abortedBecause: String?
}
