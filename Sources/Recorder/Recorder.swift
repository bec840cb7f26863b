import Broker
import Capture
import Foundation
import Logging

/// Captures live traffic from a broker into a capture directory until told to stop.
///
/// Messages arrive through the session's queue; the recorder writes them, flushes the open chunk
/// every `flushInterval`, and writes its own events (started, connected, subscribed,
/// disconnected with reason, stopped) on `restrace/recorder`.
public final class Recorder {
    private let options: RecorderOptions
    private let writer: CaptureWriter
    private let logger: Logger
    private let clock: @Sendable () -> UInt64
    private var devices = Set<Substring>()
    private var topics = Set<String>()
    private var takeover = TakeoverDetector()
    private let began = Date()
    public private(set) var status = RecorderStatus()

    public init(options: RecorderOptions, directory: String, logger: Logger = Logger(label: "restrace.record"),
                clock: @escaping @Sendable () -> UInt64 = WallClock.now, hostName: String = ProcessInfo.processInfo.hostName) throws {
        self.options = options
        self.logger = logger
        self.clock = clock
        var w = options.writer
        w.metadata.merge([
            "version": RecorderInfo.version, "broker": options.broker.description,
            "topic_filters": options.subscriptions.joined(separator: " "), "host": hostName,
            "client_id": options.session.clientID ?? "", "redacted_urls": String(options.redactURLs),
        ]) { a, _ in a }
        writer = try CaptureWriter(directory: directory, options: w)
    }

    /// Records until `shouldStop()`, `duration` or `maxMessages`; closes the capture in every case.
    public func run(shouldStop: @escaping () -> Bool, onStatus: (RecorderStatus) -> Void = { _ in }) throws -> RecorderStatus {
        let started = Date()
        try event("started", ["broker": options.broker.description, "filters": options.subscriptions.joined(separator: " ")])
        var failure: Error?
        do {
            try record(started: started, shouldStop: shouldStop, onStatus: onStatus)
        } catch {
            failure = error
        }
        do {
            try event("stopped", failure.map { ["reason": "\($0)"] } ?? [:])
            try writer.close()
        } catch {
            if failure == nil { failure = error }
        }
        status.seconds = Date().timeIntervalSince(started)
        status.bytesWritten = writer.bytesWritten
        status.rawBytes = writer.rawBytesWritten
        if let failure { throw failure }
        return status
    }

    private func record(started: Date, shouldStop: @escaping () -> Bool, onStatus: (RecorderStatus) -> Void) throws {
        let session = try MosquittoSession(broker: options.broker, options: options.session, logger: logger, now: clock)
        let deadline = options.duration.map { started.addingTimeInterval(Double($0) / 1e9) }
        let stop = { shouldStop() || (deadline.map { Date() >= $0 } ?? false) }
        do {
            try session.connect(giveUpAfter: options.giveUpAfter, shouldStop: stop)
        } catch {
            for e in session.events(timeout: 0) { try handle(e) }
            if case .gaveUp(_, _, "interrupted") = error { return }
            throw error
        }
        try session.subscribe(options.subscriptions, qos: options.qos)
        var lastFlush = Date()
        var lastStatus = Date()
        var countAtStatus: UInt64 = 0
        var disconnectedSince: Date?
        defer { session.disconnect() }
        while !stop() {
            if let max = options.maxMessages, status.messages >= max { break }
            let batch = session.events(timeout: 0.05)
            for e in batch {
                try handle(e)
                if case .disconnected = e { disconnectedSince = disconnectedSince ?? Date() }
                if case .connected = e { disconnectedSince = nil }
                if let max = options.maxMessages, status.messages >= max { break }
            }
            // Under load, let messages gather for a moment: fewer wake-ups, bigger batches.
            if batch.count > 0, batch.count < 256 { Thread.sleep(forTimeInterval: 0.002) }
            if let since = disconnectedSince, let limit = options.giveUpAfter, Date().timeIntervalSince(since) > limit {
                throw BrokerError.gaveUp(broker: options.broker.description, after: limit, lastReason: "connection lost")
            }
            if Date().timeIntervalSince(lastFlush) * 1e9 >= Double(options.flushInterval) {
                try writer.flush()
                lastFlush = Date()
            }
            if Date().timeIntervalSince(lastStatus) >= 1 {
                status.messagesPerSecond = Double(status.messages - countAtStatus) / Date().timeIntervalSince(lastStatus)
                countAtStatus = status.messages
                lastStatus = Date()
                status.bytesWritten = writer.bytesWritten
                status.rawBytes = writer.rawBytesWritten
                onStatus(status)
            }
        }
        // Stop receiving, then write whatever was already received.
        session.disconnect()
        for e in session.events(timeout: 0) {
            if case .message = e, let max = options.maxMessages, status.messages >= max { continue }
            try handle(e)
        }
    }

    private func handle(_ e: BrokerEvent) throws {
        switch e {
        case .message(let m):
            let payload = options.redactURLs ? URLRedaction.redact(m.payload) : m.payload
            try writer.write(CapturedMessage(time: m.time, topic: m.topic, qos: m.qos, retain: m.retain, payload: payload))
            status.messages += 1
            // Devices are counted from topics seen for the first time (a set lookup per message).
            if topics.insert(m.topic).inserted {
                let parts = m.topic.split(separator: "/", maxSplits: 3)
                if parts.count == 4 { devices.insert(parts[3]) }
                status.devices = devices.count
            }
        case .connected(let present):
            status.connected = true
            takeover.connected(at: Date().timeIntervalSince(began))
            try event("connected", ["broker": options.broker.description, "session_present": String(present)])
            logger.info("connected to \(options.broker)")
        case .connectFailed(let reason, let fatal):
            try event("connect_failed", ["reason": reason])
            if fatal { throw BrokerError.connectionRefused(broker: options.broker.description, reason: reason) }
        case .disconnected(let reason):
            if status.connected { status.disconnects += 1 }
            status.connected = false
            try event("disconnected", ["reason": reason])
            logger.warning("disconnected from \(options.broker): \(reason)")
            if takeover.disconnected(at: Date().timeIntervalSince(began), reason: reason) {
                let id = options.session.clientID ?? ""
                try event("client_id_conflict", ["client_id": id, "reason": reason])
                throw RecorderError.clientIDConflict(clientID: id, broker: options.broker.description)
            }
        case .subscribed(let granted):
            try event("subscribed", ["filters": options.subscriptions.joined(separator: " "),
                                     "granted_qos": granted.map(String.init).joined(separator: " ")])
        }
    }

    private func event(_ name: String, _ fields: [String: String]) throws {
        var object = fields
        object["event"] = name
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try writer.write(CapturedMessage(time: clock(), topic: CapturedMessage.recorderTopic, qos: 0, payload: Array(data)))
    }
}

/// The version written into captures.
public enum RecorderInfo {
    public static let version = "0.2.5"
}
