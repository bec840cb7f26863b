import Broker
import Capture
import Foundation
import ResourceProtocol

/// Plays one side of captured conversations against a live counterpart, paced by the
/// conversation: a device message that followed an answer waits for the live answer; a live
/// request gets the captured answer to the same request.
public final class ClosedLoopPlayer {
    public struct Options: Sendable {
        public var side = PlayedSide.device
        /// Captured gaps are divided by this.
        public var rate = 1.0
        /// How long a device waits for a live answer before going on without it.
        public var answerTimeout: Duration = .seconds(10)
        /// The run ends after this long without a live message.
        public var idleTimeout: Duration = .seconds(30)
        /// After the last played message, how long to wait for what the live side still sends.
        public var settle: Duration = .seconds(1)
        public var mapProduct: [String: String] = [:]
        public var mapDevice: [String: String] = [:]
        public var topicPrefix = ""
        /// Replaces the scheme, host and port of every captured URL (with `--play platform`).
        public var urlBase: URLComponents?

        public init() {}
    }

    public struct Summary: Sendable {
        public var sent = 0
        public var received = 0
        /// Device messages that waited for an answer that never came.
        public var noAnswer: [String] = []
        /// Live requests the capture had no answer for.
        public var unexpected: [String] = []
        public var interrupted = false
        public var idle = false
        public var seconds = 0.0
        /// From a live message's arrival to the played message it let go, when the captured gap
        /// between them was 0 (`--max-rate`), ms: restrace's own reaction time.
        public var reactionP50 = 0.0
        public var reactionP99 = 0.0
        public var reactions = 0
    }

    private let script: ConversationScript
    private let options: Options
    private let link: PlayerLink
    private let record: (CapturedMessage) throws -> Void
    private let clock: () -> UInt64
    private let wall: () -> UInt64
    /// Live `product/device` → captured `product/device`.
    private var byLive: [String: String] = [:]
    /// The played devices (captured `product/device`), in name order, and their conversations.
    private var keys: [String] = []
    private var index: [String: Int] = [:]
    private var devices: [any Playback] = []
    private var due = DueQueue()
    private var finished = 0
    private var summary = Summary()
    private var start: UInt64 = 0
    /// Playing the platform, the capture's timeline is laid over the live one at the first live
    /// message (pushes are due from then on): the devices may start well after the player.
    private var anchored = false
    private var lastActivity: UInt64 = 0
    private var reactions: [UInt64] = []

    /// - Parameters:
    ///   - record: called with every message sent and received (topics without the prefix).
    ///   - clock: monotonic ns, for the schedule; `wall`: ns since the epoch, for the record.
    public init(script: ConversationScript, options: Options, link: PlayerLink, record: @escaping (CapturedMessage) throws -> Void,
                clock: @escaping () -> UInt64 = WallClock.monotonic, wall: @escaping () -> UInt64 = WallClock.now) {
        self.script = script
        self.options = options
        self.link = link
        self.record = record
        self.clock = clock
        self.wall = wall
        for (key, messages) in script.devices.sorted(by: { $0.key < $1.key }) {
            byLive[liveKey(key)] = key
            index[key] = keys.count
            keys.append(key)
            devices.append(options.side == .device ? DevicePlayback(messages: messages, scriptStart: script.start)
                           : PlatformPlayback(messages: messages, scriptStart: script.start))
        }
    }

    /// The topic filters to subscribe to: the live side's messages of the played devices.
    public var subscriptions: [String] {
        let direction = options.side == .device ? "down" : "up"
        return byLive.keys.sorted().map { "\(options.topicPrefix)$resource/\(direction)/service/\($0)" }
    }

    /// The played devices, as they are named live.
    public var liveDevices: [String] { byLive.keys.sorted() }

    /// Plays until every device's conversation is over, `idleTimeout` passes without a live
    /// message, or `shouldStop`.
    /// `progress` is called about twice a second with what was done so far (a status line).
    public func run(shouldStop: () -> Bool = { false }, progress: (Summary, _ finished: Int, _ devices: Int) -> Void = { _, _, _ in }) throws -> Summary {
        start = clock()
        anchored = options.side == .device
        lastActivity = start
        let began = Date()
        var finishedAt: UInt64?
        for i in devices.indices { due.schedule(i, at: 0) }
        finished = devices.filter(\.isFinished).count
        var shown: UInt64 = 0
        while true {
            if shouldStop() { summary.interrupted = true; break }
            let now = clock()
            if now &- shown >= 500_000_000 {
                shown = now
                progress(summary, finished, devices.count)
            }
            if anchored { try sendDue(now) }
            let next = anchored ? due.peek() : nil
            if finished == devices.count {
                finishedAt = finishedAt ?? now
                if elapsed(since: max(finishedAt!, lastActivity)) >= options.settle.seconds { break }
            }
            if elapsed(since: lastActivity) >= options.idleTimeout.seconds { summary.idle = true; break }
            let wait = next.map { $0 > now ? Double($0 - now) / 1e9 : 0 } ?? 0.1
            // What a live message lets go is sent before the next one is looked at.
            for m in link.receive(timeout: min(max(wait, 0.0005), 0.1)) {
                try receive(m)
                if anchored { try sendDue(clock()) }
            }
        }
        summary.seconds = Date().timeIntervalSince(began)
        reactions.sort()
        if !reactions.isEmpty {
            summary.reactions = reactions.count
            summary.reactionP50 = Double(reactions[reactions.count / 2]) / 1e6
            summary.reactionP99 = Double(reactions[min(reactions.count - 1, reactions.count * 99 / 100)]) / 1e6
        }
        return summary
    }

    /// Seconds from `t` to now on the monotonic clock (0 if `t` is later).
    private func elapsed(since t: UInt64) -> Double {
        let now = clock()
        return now > t ? Double(now - t) / 1e9 : 0
    }

    // MARK: - Sending

    private func sendDue(_ now: UInt64) throws {
        for i in due.takeDue(now) {
            let key = keys[i]
            let wasFinished = devices[i].isFinished
            while let (m, answeredAt) = devices[i].takeDue(now: now, start: start, rate: options.rate, answerTimeout: options.answerTimeout,
                                                           noAnswer: { summary.noAnswer.append("\(key): \($0)") }) {
                try send(m, device: key)
                if let answeredAt, options.rate.isInfinite { reactions.append(clock() &- answeredAt) }
            }
            if !wasFinished, devices[i].isFinished { finished += 1 }
            if let next = devices[i].nextDue { due.schedule(i, at: next) }
        }
    }

    private func send(_ m: ScriptMessage, device: String) throws {
        let direction = options.side == .device ? "up" : "down"
        let topic = "$resource/\(direction)/service/\(liveKey(device))"
        var payload = m.payload
        if let base = options.urlBase { payload = URLRewriting.rewrite(payload, base: base) }
        try link.send(topic: options.topicPrefix + topic, payload: payload, qos: m.qos, retain: m.retain)
        try record(CapturedMessage(time: wall(), topic: topic, qos: UInt8(m.qos), retain: m.retain, payload: payload))
        summary.sent += 1
        lastActivity = clock()
    }

    // MARK: - Receiving

    private func receive(_ m: ReceivedMessage) throws {
        guard m.topic.hasPrefix(options.topicPrefix) else { return }
        let topic = String(m.topic.dropFirst(options.topicPrefix.count))
        guard let parsed = try? ResourceTopic(parsing: topic), let key = byLive["\(parsed.product)/\(parsed.device)"] else { return }
        try record(CapturedMessage(time: m.time, topic: topic, qos: m.qos, retain: m.retain, payload: m.payload))
        summary.received += 1
        // When it arrived (libmosquitto's callback), on the monotonic clock: the time it waited in
        // the queue counts in the pacing and in the reaction time.
        let wallNow = wall(), monotonic = clock()
        let now = monotonic &- min(wallNow > m.time ? wallNow - m.time : 0, monotonic)
        lastActivity = monotonic
        if !anchored {
            let offset = scaled(script.firstDeviceMessage &- script.start, options.rate)
            start = now > offset ? now - offset : 0
            anchored = true
        }
        let (type, name) = ScriptMessage.describe(m.payload)
        let i = index[key]!
        let wasFinished = devices[i].isFinished
        if !devices[i].receive(type: type, name: name, now: now, rate: options.rate) {
            summary.unexpected.append("\(key): \(type ?? "?")\(name.map { " \($0)" } ?? "")")
        }
        if wasFinished != devices[i].isFinished { finished += wasFinished ? -1 : 1 }
        due.schedule(i, at: devices[i].nextDue ?? now)
    }

    private func liveKey(_ captured: String) -> String {
        let parts = captured.split(separator: "/", maxSplits: 1).map(String.init)
        return "\(options.mapProduct[parts[0]] ?? parts[0])/\(options.mapDevice[parts[1]] ?? parts[1])"
    }
}
