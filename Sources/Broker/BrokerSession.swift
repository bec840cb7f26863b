/// An MQTT session as the recorder uses it: connect, subscribe, take the events, disconnect.
/// `MosquittoSession` is the real one; `ScriptedSession` plays given events, so that what the
/// recorder does with them is tested without a broker.
public protocol BrokerSession: AnyObject {
    /// Called with each message as it arrives, before it is queued (see `MosquittoSession`).
    var keeper: (@Sendable (ReceivedMessage) -> UInt64?)? { get set }
    func connect(giveUpAfter: Duration?, shouldStop: () -> Bool) throws(BrokerError)
    func subscribe(_ filters: [String], qos: Int) throws(BrokerError)
    func events(timeout: Double) -> [BrokerEvent]
    func disconnect()
    /// Bytes received and not yet taken by `events` (0 when it cannot tell).
    var queuedBytes: Int { get }
}

extension BrokerSession {
    public var queuedBytes: Int { 0 }
}

extension MosquittoSession: BrokerSession {}

/// A session that hands out the events it was given, in order, as a broker would have sent them
/// (messages go through `keeper` as they are taken); nothing touches the network.
public final class ScriptedSession: BrokerSession, @unchecked Sendable {
    // @unchecked: used by one thread at a time (the recorder's), as the tests drive it.
    public var keeper: (@Sendable (ReceivedMessage) -> UInt64?)?
    private var script: [BrokerEvent]
    public private(set) var subscribed: [String] = []
    public private(set) var disconnected = false

    public init(_ events: [BrokerEvent]) { script = events }

    public func connect(giveUpAfter: Duration?, shouldStop: () -> Bool) throws(BrokerError) {}

    public func subscribe(_ filters: [String], qos: Int) throws(BrokerError) { subscribed = filters }

    /// The next event (one at a time, as a slow broker would), or none once the script is over.
    public func events(timeout: Double) -> [BrokerEvent] {
        guard !script.isEmpty else { return [] }
        var e = script.removeFirst()
        if case .message(var m) = e {
            m.keptAs = keeper?(m)
            e = .message(m)
        }
        return [e]
    }

    public func disconnect() { disconnected = true }

    /// True once every event was taken.
    public var isOver: Bool { script.isEmpty }
}
