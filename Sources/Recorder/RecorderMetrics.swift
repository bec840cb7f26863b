import CoreMetrics
import Foundation
import Synchronization

/// What the recorder tells the outside while it runs: counters and gauges through the
/// swift-metrics facade (Prometheus when `record --metrics` bootstraps it; nothing otherwise), and
/// its health for `/livez` and `/readyz`. Named by Prometheus conventions; no device or topic is
/// ever a label (a fleet has millions).
public final class RecorderMetrics: Sendable {
    let messagesReceived = Counter(label: "restrace_recorder_messages_received_total")
    let bytesWritten = Counter(label: "restrace_recorder_bytes_written_total")
    let segmentsClosed = Counter(label: "restrace_recorder_segments_closed_total")
    let disconnects = Counter(label: "restrace_recorder_disconnects_total")
    let blindSeconds = FloatingPointCounter(label: "restrace_recorder_blind_seconds_total")
    let queueBytes = Gauge(label: "restrace_recorder_queue_bytes")
    let lastMessage = Gauge(label: "restrace_recorder_last_message_timestamp_seconds")
    let connectedGauge = Gauge(label: "restrace_recorder_connected")

    private let state = Mutex(State())
    private struct State {
        var connected = false
        var subscribed = false
        var messages: UInt64 = 0
        var bytes: UInt64 = 0
        var segments = 0
        var blindSince: Date?
        var everConnected = false
    }

    public init() {}

    /// Connected to the broker and subscribed: what `/readyz` answers.
    public var isReady: Bool { state.withLock { $0.connected && $0.subscribed } }

    func connected() {
        state.withLock { s in
            if let since = s.blindSince { blindSeconds.increment(by: Date().timeIntervalSince(since)) }
            s.blindSince = nil
            s.connected = true
            s.everConnected = true
        }
        connectedGauge.record(1)
    }

    func disconnected() {
        state.withLock { s in
            if s.connected { disconnects.increment() }
            if s.blindSince == nil, s.everConnected { s.blindSince = Date() }
            s.connected = false
            s.subscribed = false
        }
        connectedGauge.record(0)
    }

    func subscribed() { state.withLock { $0.subscribed = true } }

    /// The counters as they stand: each counter is advanced by what it has not counted yet.
    func update(messages: UInt64, bytesWritten bytes: UInt64, segmentsClosed segments: Int, queueBytes queued: Int, lastMessage last: UInt64?) {
        state.withLock { s in
            if messages > s.messages { messagesReceived.increment(by: Int64(messages - s.messages)); s.messages = messages }
            if bytes > s.bytes { bytesWritten.increment(by: Int64(bytes - s.bytes)); s.bytes = bytes }
            if segments > s.segments { segmentsClosed.increment(by: Int64(segments - s.segments)); s.segments = segments }
            // Blind time is counted as it passes, not only when the connection comes back.
            if let since = s.blindSince {
                let now = Date()
                blindSeconds.increment(by: now.timeIntervalSince(since))
                s.blindSince = now
            }
        }
        queueBytes.record(queued)
        if let last { lastMessage.record(Double(last) / 1e9) }
    }
}
