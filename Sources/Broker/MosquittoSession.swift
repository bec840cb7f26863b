internal import CMosquitto
import Foundation
import Logging

/// An MQTT session through libmosquitto: connect with retries, subscribe, publish, and events
/// (connections, disconnections, messages) delivered through a bounded queue.
///
/// The library's network thread calls back into this class; callbacks copy what they need and
/// return at once. C types stay inside this file.
public final class MosquittoSession: @unchecked Sendable {
    // @unchecked: `handle` is used by libmosquitto's own thread-safe API; the mutable fields below
    // are guarded by `lock` (subscriptions, in-flight count) or written before the thread starts.
    private let handle: OpaquePointer
    private let broker: BrokerURL
    private let options: SessionOptions
    private let queue: EventQueue
    private let now: @Sendable () -> UInt64
    private let lock = NSCondition()
    private var subscriptions: [(filter: String, qos: Int32)] = []
    private var inflight = 0
    private var isConnected = false
    /// Why the broker refused the connection for good (bad user name or password, not authorised).
    private var refusal: String?
    /// Messages the broker acknowledged (QoS 1 and 2) or that were written to it (QoS 0).
    private var acknowledgedCount = 0
    /// While a publisher waits for room: the in-flight count that wakes it (-1 when nobody waits).
    private var waitingForRoom = -1
    private var loopRunning = false
    private var properties: OpaquePointer?
    private let logger: Logger
    /// Called on the library's thread with each message as it arrives, before it is queued (the
    /// recorder keeps it in its journal there); what it returns travels with the message. Set
    /// before `connect`.
    public var keeper: (@Sendable (ReceivedMessage) -> UInt64?)?

    /// Creates the session (no network yet). With `sharingEventsWith`, its events go into that
    /// session's queue, so that one `events` call waits on both (one connection per device).
    public init(broker: BrokerURL, options: SessionOptions, logger: Logger = Logger(label: "restrace.broker"),
                now: @escaping @Sendable () -> UInt64 = WallClock.now, sharingEventsWith other: MosquittoSession? = nil) throws(BrokerError) {
        Self.initializeLibrary()
        self.broker = broker
        self.options = options
        self.now = now
        self.logger = logger
        queue = other?.queue ?? EventQueue(capacity: options.receiveQueueBytes)
        let id = options.clientID
        guard let h = mosquitto_new(id, options.cleanSession || id == nil, nil) else {
            throw .library(operation: "mosquitto_new", reason: String(cString: strerror(errno)))
        }
        handle = h
        mosquitto_user_data_set(h, Unmanaged.passUnretained(self).toOpaque())
        try check(mosquitto_int_option(h, MOSQ_OPT_PROTOCOL_VERSION,
                                       options.protocolVersion == .v5 ? Int32(MQTT_PROTOCOL_V5) : Int32(MQTT_PROTOCOL_V311)), "protocol version")
        try check(mosquitto_int_option(h, MOSQ_OPT_TCP_NODELAY, 1), "TCP_NODELAY")
        mosquitto_reconnect_delay_set(h, options.reconnectMin, options.reconnectMax, true)
        mosquitto_max_inflight_messages_set(h, options.maxInflight)
        if let user = options.username ?? broker.username {
            try check(mosquitto_username_pw_set(h, user, options.password), "username")
        }
        if broker.tls || options.caFile != nil {
            try check(mosquitto_tls_set(h, options.caFile, options.caFile == nil ? "/etc/ssl/certs" : nil,
                                        options.certFile, options.keyFile, nil), "TLS setup")
        }
        if options.protocolVersion == .v5, !options.cleanSession {
            // Keep the session on the broker for a week while the recorder is away.
            mosquitto_property_add_int32(&properties, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), 7 * 86400)
        }
        mosquitto_connect_v5_callback_set(h, onConnect)
        mosquitto_disconnect_v5_callback_set(h, onDisconnect)
        mosquitto_message_v5_callback_set(h, onMessage)
        mosquitto_subscribe_v5_callback_set(h, onSubscribe)
        mosquitto_publish_v5_callback_set(h, onPublish)
    }

    deinit {
        if loopRunning { mosquitto_loop_stop(handle, true) }
        mosquitto_property_free_all(&properties)
        mosquitto_destroy(handle)
    }

    private static let initialized: Bool = { mosquitto_lib_init(); return true }()
    private static func initializeLibrary() { _ = initialized }

    private func check(_ rc: Int32, _ what: String) throws(BrokerError) {
        if rc != MOSQ_ERR_SUCCESS.rawValue { throw .library(operation: what, reason: Self.describe(rc)) }
    }

    static func describe(_ rc: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue { return String(cString: strerror(errno)) }
        return String(cString: mosquitto_strerror(rc))
    }

    /// Connects, retrying with capped exponential backoff and jitter until it succeeds or
    /// `giveUpAfter` seconds passed; then the library's thread keeps the connection (and
    /// reconnects by itself). Each failed try is reported as `.connectFailed`.
    public func connect(giveUpAfter: Duration? = nil, shouldStop: () -> Bool = { false }) throws(BrokerError) {
        let started = Date()
        var delay = Double(options.reconnectMin)
        var generator = SystemRandomNumberGenerator()
        while true {
            let rc = mosquitto_connect_bind_v5(handle, broker.host, Int32(broker.port), options.keepAlive, nil, properties)
            if rc == MOSQ_ERR_SUCCESS.rawValue { break }
            let reason = Self.describe(rc)
            queue.put(.connectFailed(reason: reason, fatal: false))
            logger.warning("cannot connect to \(broker): \(reason); retrying in \(String(format: "%.1f", delay)) s")
            if let limit = giveUpAfter, .seconds(Date().timeIntervalSince(started) + delay) > limit {
                throw .gaveUp(broker: broker.description, after: limit, lastReason: reason)
            }
            let until = Date(timeIntervalSinceNow: delay * Double.random(in: 0.8...1.2, using: &generator))
            while Date() < until {
                if shouldStop() { throw .gaveUp(broker: broker.description, after: .seconds(Date().timeIntervalSince(started)), lastReason: "interrupted") }
                Thread.sleep(forTimeInterval: 0.05)
            }
            delay = min(delay * 2, Double(options.reconnectMax))
        }
        try check(mosquitto_loop_start(handle), "loop start")
        loopRunning = true
    }

    /// Waits for the broker's answer to `connect`: returns once it accepted the session; throws
    /// `.connectionRefused` as soon as it refuses for good (a wrong password, not authorised), and
    /// `.gaveUp` after `timeout` or on a stop request.
    public func waitUntilConnected(timeout: Duration, shouldStop: () -> Bool = { false }) throws(BrokerError) {
        let deadline = ContinuousClock.now + timeout
        lock.lock()
        defer { lock.unlock() }
        while !isConnected {
            if let refusal { throw .connectionRefused(broker: broker.description, reason: refusal) }
            if shouldStop() || ContinuousClock.now >= deadline {
                throw .gaveUp(broker: broker.description, after: timeout, lastReason: shouldStop() ? "interrupted" : "no answer to the connection")
            }
            _ = lock.wait(until: Date(timeIntervalSinceNow: 0.1))
        }
    }

    /// Messages the broker acknowledged (QoS 1 and 2) or that were written to it (QoS 0) so far.
    public var acknowledged: Int {
        lock.lock()
        defer { lock.unlock() }
        return acknowledgedCount
    }

    /// Subscribes now and again after every reconnect.
    public func subscribe(_ filters: [String], qos: Int) throws(BrokerError) {
        lock.lock()
        subscriptions = filters.map { ($0, Int32(qos)) }
        let connectedNow = isConnected
        lock.unlock()
        // Not yet connected: the connect callback subscribes.
        guard connectedNow else { return }
        for f in filters { try check(mosquitto_subscribe_v5(handle, nil, f, Int32(qos), 0, nil), "subscribe \(f)") }
    }

    /// Publishes one message; with a `window`, first waits until fewer than that many are
    /// unacknowledged. The wait ends with `.interrupted` when `shouldStop`, and with `.stalled`
    /// when the broker acknowledged nothing for `stallLimit` seconds.
    public func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool, window: Int? = nil,
                        shouldStop: () -> Bool = { false }, stallLimit: Double = 30) throws(BrokerError) {
        try payload.withUnsafeBufferPointer { (bytes) throws(BrokerError) in
            try publish(topic: topic, payload: bytes, qos: qos, retain: retain, window: window, shouldStop: shouldStop, stallLimit: stallLimit)
        }
    }

    /// Publishes bytes where they lie (libmosquitto copies them before returning).
    public func publish(topic: String, payload: UnsafeBufferPointer<UInt8>, qos: Int, retain: Bool, window: Int? = nil,
                        shouldStop: () -> Bool = { false }, stallLimit: Double = 30) throws(BrokerError) {
        if let window {
            lock.lock()
            if inflight >= window {
                // Wait for half the window to drain: one wake-up per window/2 acknowledgements.
                waitingForRoom = max(0, window / 2)
                var seen = inflight, lastProgress = Date()
                while inflight > waitingForRoom {
                    _ = lock.wait(until: Date(timeIntervalSinceNow: 0.2))
                    if inflight != seen { seen = inflight; lastProgress = Date() }
                    let stalled = Date().timeIntervalSince(lastProgress) >= stallLimit
                    if shouldStop() || stalled {
                        waitingForRoom = -1
                        lock.unlock()
                        throw stalled ? .stalled(broker: broker.description, seconds: Int(stallLimit.rounded(.up)), unacknowledged: seen) : .interrupted
                    }
                }
                waitingForRoom = -1
            }
            inflight += 1
            lock.unlock()
        }
        let rc = mosquitto_publish_v5(handle, nil, topic, Int32(payload.count), payload.baseAddress, Int32(qos), retain, nil)
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            if window != nil { lock.lock(); inflight -= 1; lock.unlock() }
            throw .library(operation: "publish to \(topic)", reason: Self.describe(rc))
        }
    }

    /// Waits until no published message is unacknowledged (or `timeout` seconds passed).
    public func drain(timeout: Double) -> Bool {
        let until = Date(timeIntervalSinceNow: timeout)
        lock.lock()
        defer { lock.unlock() }
        while inflight > 0 { if !lock.wait(until: until) { return inflight == 0 } }
        return true
    }

    /// Events since the last call, waiting up to `timeout` seconds for the first.
    public func events(timeout: Double) -> [BrokerEvent] { queue.takeAll(timeout: timeout) }

    public var queuedBytes: Int { queue.queuedBytes }

    /// Disconnects cleanly and stops the network thread.
    public func disconnect() {
        mosquitto_disconnect_v5(handle, 0, nil)
        if loopRunning { mosquitto_loop_stop(handle, false); loopRunning = false }
    }

    // MARK: - Called on the library's thread

    fileprivate func connected(rc: Int32, flags: Int32) {
        guard rc == 0 else {
            // 4/5 (MQTT 3.1.1) and 0x86/0x87 (MQTT 5): bad user name or password, not authorized.
            let fatal = [4, 5, 0x86, 0x87].contains(rc)
            let reason = rc >= 0x80 ? String(cString: mosquitto_reason_string(rc)) : String(cString: mosquitto_connack_string(rc))
            queue.put(.connectFailed(reason: reason, fatal: fatal))
            if fatal { lock.lock(); refusal = reason; lock.broadcast(); lock.unlock() }
            return
        }
        lock.lock()
        isConnected = true
        lock.broadcast()
        let subs = subscriptions
        lock.unlock()
        queue.put(.connected(sessionPresent: flags & 1 != 0))
        for s in subs { mosquitto_subscribe_v5(handle, nil, s.filter, s.qos, 0, nil) }
    }

    fileprivate func disconnected(rc: Int32) {
        lock.lock()
        isConnected = false
        lock.unlock()
        // rc 0: we asked for it (disconnect()); the owner knows, nothing to report.
        // MQTT 5 brokers give a reason code (0x80 and up), such as "Session taken over".
        if rc != 0 { queue.put(.disconnected(reason: rc >= 0x80 ? String(cString: mosquitto_reason_string(rc)) : Self.describe(rc))) }
    }

    fileprivate func received(_ m: UnsafePointer<mosquitto_message>) {
        let time = now()
        let topic = String(cString: m.pointee.topic)
        let count = Int(m.pointee.payloadlen)
        let payload = count > 0 && m.pointee.payload != nil
            ? Array(UnsafeRawBufferPointer(start: m.pointee.payload, count: count)) : []
        var message = ReceivedMessage(time: time, topic: topic, payload: payload, qos: UInt8(m.pointee.qos), retain: m.pointee.retain)
        message.keptAs = keeper?(message)
        queue.put(.message(message))
    }

    fileprivate func subscribed(_ granted: [Int]) { queue.put(.subscribed(grantedQoS: granted)) }

    fileprivate func published() {
        lock.lock()
        acknowledgedCount += 1
        if inflight > 0 { inflight -= 1 }
        if inflight <= waitingForRoom || inflight == 0 { lock.broadcast() }
        lock.unlock()
    }
}

private func session(_ userdata: UnsafeMutableRawPointer?) -> MosquittoSession {
    Unmanaged<MosquittoSession>.fromOpaque(userdata!).takeUnretainedValue()
}

private let onConnect: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32, Int32, OpaquePointer?) -> Void = {
    _, userdata, rc, flags, _ in session(userdata).connected(rc: rc, flags: flags)
}
private let onDisconnect: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32, OpaquePointer?) -> Void = {
    _, userdata, rc, _ in session(userdata).disconnected(rc: rc)
}
private let onMessage: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafePointer<mosquitto_message>?, OpaquePointer?) -> Void = {
    _, userdata, message, _ in if let message { session(userdata).received(message) }
}
private let onSubscribe: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32, Int32, UnsafePointer<Int32>?, OpaquePointer?) -> Void = {
    _, userdata, _, count, granted, _ in
    session(userdata).subscribed((0..<Int(count)).map { Int(granted![$0]) })
}
private let onPublish: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32, Int32, OpaquePointer?) -> Void = {
    _, userdata, _, _, _ in session(userdata).published()
}
