import Capture
import Foundation

/// What `restrace top` shows, kept up to date message by message with the reducer that projects
/// captures (no store): every task's latest state, the anomalies, the traffic of the last hour and
/// the recorder's connection. `frame` computes the figures at a moment.
public struct LiveTally {
    var reducer = TaskReducer()
    /// Every attempt as the reducer last left it.
    var tasks: [Int64: TransferTask] = [:]
    /// Anomalies: all of them per kind, and the last hour's with their time.
    var anomalies: [String: Int64] = [:]
    var recentAnomalies: [(time: UInt64, kind: String, product: String?, device: String?)] = []
    /// Messages per second (since the epoch) and product, up and down, for the last hour.
    var traffic: [Int64: [String: (up: Int64, down: Int64)]] = [:]
    var recorder = RecorderState()
    /// The latest message time seen (the recorder's events included): "now" in a capture.
    public private(set) var clock: UInt64?
    /// Messages applied (ids), and those of them that were devices' or the platform's.
    var applied: Int64 = 0
    public private(set) var messages: Int64 = 0
    var topics = TopicCache()
    static let kept: UInt64 = 3_600_000_000_000

    public init() {}

    /// The recorder's connection as its events in the capture (or the live session) tell it.
    struct RecorderState: Sendable {
        /// nil: nothing said either way (a capture made by `import` or `simulate`).
        var connected: Bool?
        var blindWindows = 0
        var blindSince: UInt64?
        var blindNanoseconds: UInt64 = 0
        var lastMessage: UInt64?
    }

    // MARK: - Input

    /// Applies a message lent by a capture reader.
    public mutating func apply(_ m: MessageView) {
        applied += 1
        let incoming = IncomingMessage(id: applied, m, topics: &topics)
        apply(incoming)
    }

    /// Applies a message received from a broker just now.
    public mutating func apply(topic: String, payload: [UInt8], time: UInt64) {
        applied += 1
        apply(IncomingMessage(id: applied, time: time, topic: topic, payload: payload,
                              position: CapturePosition(file: "live", chunkOffset: 0, index: Int(applied))))
    }

    mutating func apply(_ m: IncomingMessage) {
        clock = max(clock ?? 0, m.time)
        if !m.isRecorderEvent {
            messages += 1
            recorder.lastMessage = max(recorder.lastMessage ?? 0, m.time)
            if case .success(let topic) = m.parsedTopic {
                let second = Int64(m.time / 1_000_000_000)
                var t = traffic[second, default: [:]][topic.product] ?? (0, 0)
                if topic.direction == .up { t.up += 1 } else { t.down += 1 }
                traffic[second, default: [:]][topic.product] = t
            }
        }
        reducer.apply(m)
    }

    /// The live session's connection changed (for `top --broker`).
    public mutating func connection(_ connected: Bool, at time: UInt64) {
        clock = max(clock ?? 0, time)
        noteRecorder(connected ? "connected" : "disconnected", at: time)
    }

    /// Takes in what the reducer changed since the last call: call it before `frame`.
    public mutating func settle() {
        let out = reducer.drain()
        for t in out.tasks { tasks[t.id] = t }
        for a in out.anomalies {
            anomalies[a.kind.rawValue, default: 0] += 1
            recentAnomalies.append((a.time, a.kind.rawValue, a.product, a.device))
        }
        for e in out.recorderEvents { noteRecorder(e.event, at: e.time) }
        // Only the last hour of traffic and anomalies is kept (the longest window).
        if let clock, clock > Self.kept {
            let oldest = clock - Self.kept
            if let first = recentAnomalies.first, first.time < oldest { recentAnomalies.removeAll { $0.time < oldest } }
            let oldestSecond = Int64(oldest / 1_000_000_000)
            if traffic.count > 3700 { traffic = traffic.filter { $0.key >= oldestSecond } }
        }
    }

    private mutating func noteRecorder(_ event: String, at time: UInt64) {
        switch event {
        case "disconnected", "connect_failed":
            if recorder.connected != false {
                recorder.blindWindows += 1
                recorder.blindSince = time
            }
            recorder.connected = false
        case "connected":
            if let since = recorder.blindSince { recorder.blindNanoseconds += time &- since }
            recorder.blindSince = nil
            recorder.connected = true
        case "stopped":
            if let since = recorder.blindSince { recorder.blindNanoseconds += time &- since }
            recorder.blindSince = nil
            recorder.connected = nil
        default: break
        }
    }
}

extension LiveTally {
    /// Applies a message read from a capture as a copy (when it is held back to be played later).
    public mutating func apply(_ entry: CaptureEntry) {
        applied += 1
        apply(IncomingMessage(id: applied, time: entry.message.time, topic: entry.message.topic, payload: entry.message.payload,
                              position: entry.position))
    }
}
