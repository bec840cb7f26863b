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
    /// Counters and health for `record --metrics`.
    public let metrics = RecorderMetrics()
    /// The receive time of the latest message from the broker.
    private var lastMessageTime: UInt64?
    /// `--compact-closed`, and how many closed segments it was given.
    private lazy var compaction = options.compactClosed ? BackgroundCompaction() : nil
    private var segmentsGivenToCompact = 0
    private let options: RecorderOptions
    private let writer: CaptureWriter
    private let logger: Logger
    private let clock: @Sendable () -> UInt64
    private var devices = Set<Substring>()
    private var topics = Set<String>()
    private var takeover = TakeoverDetector()
    private let began = Date()
    /// Every message as it arrives, until it is on disk (nil: none could be made).
    private var journal: CaptureJournal?
    /// What the journal held from a recorder that was killed, to be written first.
    private var held: [CaptureJournal.Entry] = []
    /// The journal number of the last message given to the writer, and after each batch the
    /// writer's message count with that number: once the writer has that many on disk, the
    /// journal frees them.
    private var lastKept: UInt64 = 0
    private var toCommit: [(written: UInt64, kept: UInt64)] = []
    private var toCommitStart = 0
    private var diskFull = DiskFullState()
    /// Makes the session to record from (tests give a `ScriptedSession`); nil: libmosquitto's.
    public var makeSession: (() throws -> BrokerSession)?
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
        if options.journalBytes > 0 {
            do {
                (journal, held) = try CaptureJournal.open(directory: directory, capacity: options.journalBytes)
            } catch {
                logger.warning("recording without a journal (\(error)): a kill -9 would lose what arrived since the last flush")
            }
        }
    }

    /// Records until `shouldStop()`, `duration` or `maxMessages`; closes the capture in every case.
    public func run(shouldStop: @escaping () -> Bool, onStatus: (RecorderStatus) -> Void = { _ in }) throws -> RecorderStatus {
        let started = Date()
        try event("started", ["broker": options.broker.description, "filters": options.subscriptions.joined(separator: " ")])
        if let journal, !held.isEmpty {
            let written = try journal.fold(held, into: writer)
            try event("journal_recovered", ["messages": String(written), "held": String(held.count)])
            logger.notice("wrote \(written) messages that a recorder received before it was killed (kept in \(journal.path))")
            held = []
        }
        var failure: Error?
        do {
            try record(started: started, shouldStop: shouldStop, onStatus: onStatus)
        } catch {
            failure = error
        }
        do {
            try compactClosedSegments(finishing: true)
            try event("stopped", failure.map { ["reason": "\($0)"] } ?? [:])
            try writer.close()
            commitJournal()
        } catch CaptureError.diskFull(let path, let reason) {
            if failure == nil {
                failure = RecorderError.stoppedOnFullDisk(path: path, reason: reason, held: writer.heldBack, journal: journal?.path)
            }
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
        let session: BrokerSession = try makeSession?()
            ?? MosquittoSession(broker: options.broker, options: options.session, logger: logger, now: clock)
        let deadline = options.duration.map { started.addingTimeInterval($0.seconds) }
        let stop = { shouldStop() || (deadline.map { Date() >= $0 } ?? false) }
        do {
            try session.connect(giveUpAfter: options.giveUpAfter, shouldStop: stop)
        } catch {
            for e in session.events(timeout: 0) { try handle(e) }
            if case .gaveUp(_, _, "interrupted") = error { return }
            throw error
        }
        if let journal {
            session.keeper = { m in journal.append(CapturedMessage(time: m.time, topic: m.topic, qos: m.qos, retain: m.retain, payload: m.payload)) }
        }
        try session.subscribe(options.subscriptions, qos: options.qos)
        var lastFlush = Date()
        var lastStatus = Date()
        var lastPruned = Date.distantPast
        var lastMetrics = Date.distantPast
        var countAtStatus: UInt64 = 0
        var disconnectedSince: Date?
        defer { session.disconnect() }
        while !stop() {
            if let max = options.maxMessages, status.messages >= max { break }
            if diskFull.since != nil {
                // Nothing more is taken from the session: its queue fills, and then TCP holds the
                // broker back (which keeps QoS 1 messages for this persistent session).
                try retryWrites()
                continue
            }
            let batch = session.events(timeout: 0.05)
            for e in batch {
                try handle(e)
                if case .disconnected = e { disconnectedSince = disconnectedSince ?? Date() }
                if case .connected = e { disconnectedSince = nil }
                if let max = options.maxMessages, status.messages >= max { break }
            }
            commitJournal()
            // Under load, let messages gather for a moment: fewer wake-ups, bigger batches.
            if batch.count > 0, batch.count < 256 { Thread.sleep(forTimeInterval: 0.002) }
            if let since = disconnectedSince, let limit = options.giveUpAfter, Date().timeIntervalSince(since) > limit.seconds {
                throw BrokerError.gaveUp(broker: options.broker.description, after: limit, lastReason: "connection lost")
            }
            if Date().timeIntervalSince(lastFlush) >= options.flushInterval.seconds {
                try write { try writer.flush() }
                lastFlush = Date()
            }
            commitJournal()
            if !options.retention.isEmpty, Date().timeIntervalSince(lastPruned) >= 60 {
                lastPruned = Date()
                try prune()
            }
            if Date().timeIntervalSince(lastMetrics) >= 0.25 {
                lastMetrics = Date()
                updateMetrics(session)
                try compactClosedSegments()
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
        updateMetrics(session)
    }

    /// Hands segments closed since the last call to the background compaction, and writes an
    /// event for each one it finished.
    private func compactClosedSegments(finishing: Bool = false) throws {
        guard let compaction else { return }
        // The segment closed by the stop itself is left for `restrace compact`: a stop is quick.
        while !finishing, segmentsGivenToCompact < writer.segmentsClosed {
            compaction.compact(writer.filesWritten[segmentsGivenToCompact])
            segmentsGivenToCompact += 1
        }
        if finishing { compaction.wait() }
        for result in compaction.takeFinished() {
            switch result {
            case .success(let r):
                let name = (r.path as NSString).lastPathComponent
                if let skipped = r.skipped {
                    logger.warning("\(name) not compacted: \(skipped)")
                    continue
                }
                try event("compacted", ["file": name, "bytes_before": String(r.bytesBefore), "bytes_after": String(r.bytesAfter)])
                logger.info("compacted \(name): \(r.bytesBefore) → \(r.bytesAfter) bytes")
            case .failure(let error):
                logger.error("compacting a closed segment failed (it is kept as it was): \(error)")
            }
        }
    }

    private func updateMetrics(_ session: BrokerSession) {
        metrics.update(messages: status.messages, bytesWritten: writer.bytesWritten, segmentsClosed: writer.segmentsClosed,
                       queueBytes: session.queuedBytes, lastMessage: lastMessageTime)
    }

    private func handle(_ e: BrokerEvent) throws {
        switch e {
        case .message(let m):
            let payload = options.redactURLs ? URLRedaction.redact(m.payload) : m.payload
            try write { try writer.write(CapturedMessage(time: m.time, topic: m.topic, qos: m.qos, retain: m.retain, payload: payload)) }
            if let kept = m.keptAs { lastKept = kept }
            status.messages += 1
            lastMessageTime = m.time
            // Devices are counted from topics seen for the first time (a set lookup per message).
            if topics.insert(m.topic).inserted {
                let parts = m.topic.split(separator: "/", maxSplits: 3)
                if parts.count == 4 { devices.insert(parts[3]) }
                status.devices = devices.count
            }
        case .connected(let present):
            status.connected = true
            metrics.connected()
            takeover.connected(at: Date().timeIntervalSince(began))
            try event("connected", ["broker": options.broker.description, "session_present": String(present)])
            logger.info("connected to \(options.broker)")
        case .connectFailed(let reason, let fatal):
            try event("connect_failed", ["reason": reason])
            if fatal { throw BrokerError.connectionRefused(broker: options.broker.description, reason: reason) }
        case .disconnected(let reason):
            if status.connected { status.disconnects += 1 }
            status.connected = false
            metrics.disconnected()
            try event("disconnected", ["reason": reason])
            logger.warning("disconnected from \(options.broker): \(reason)")
            if takeover.disconnected(at: Date().timeIntervalSince(began), reason: reason) {
                let id = options.session.clientID ?? ""
                try event("client_id_conflict", ["client_id": id, "reason": reason])
                throw RecorderError.clientIDConflict(clientID: id, broker: options.broker.description)
            }
        case .subscribed(let granted):
            metrics.subscribed()
            try event("subscribed", ["filters": options.subscriptions.joined(separator: " "),
                                     "granted_qos": granted.map(String.init).joined(separator: " ")])
        }
    }

    private func event(_ name: String, _ fields: [String: String]) throws {
        var object = fields
        object["event"] = name
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try write { try writer.write(CapturedMessage(time: clock(), topic: CapturedMessage.recorderTopic, qos: 0, payload: Array(data))) }
    }

    /// Runs a write of the capture; a full disk does not fail it (the writer keeps what it was
    /// given) but stops the recorder taking more until `retryWrites` gets through.
    private func write(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch CaptureError.diskFull(let path, let reason) {
            if diskFull.begin(path: path, reason: reason) {
                logger.critical("\(path): disk full (\(reason)): holding what arrives and retrying every second; nothing is deleted")
            }
        }
    }

    /// Tries the held writes again after a pause; once they get through, says how long the disk
    /// was full, in the capture too.
    private func retryWrites() throws {
        Thread.sleep(forTimeInterval: DiskFullState.retryInterval)
        do {
            try writer.retry()
        } catch {
            guard case .diskFull = error else { throw error }
            if diskFull.shouldRemind() {
                logger.critical("\(diskFull.path): still full after \(Int(diskFull.seconds)) s; \(writer.heldBack) messages held")
            }
            return
        }
        let (since, seconds, reason) = (diskFull.since!, diskFull.seconds, diskFull.reason)
        diskFull = DiskFullState()
        logger.notice("the disk has room again after \(Int(seconds)) s; recording goes on")
        try event("disk_full", ["since": Timestamp.format(UInt64(since.timeIntervalSince1970 * 1e9), fractionDigits: 3),
                                "seconds": String(format: "%.1f", seconds), "reason": reason])
    }

    /// Deletes the oldest closed segments over `--retain-size`/`--retain-age`, each said in the
    /// capture and the log.
    private func prune() throws {
        for d in try CaptureRetention.prune(directory: writer.directory, limits: options.retention, now: clock()) {
            let name = (d.path as NSString).lastPathComponent
            try event("pruned", ["file": name, "bytes": String(d.bytes), "reason": d.reason])
            logger.notice("deleted \(name) (\(d.bytes) bytes): \(d.reason)")
        }
    }

    /// Frees the journal's messages that are on disk: the chunk that holds them was written.
    private func commitJournal() {
        guard let journal else { return }
        if lastKept > (toCommit.last?.kept ?? 0) { toCommit.append((writer.messagesWritten, lastKept)) }
        var through: UInt64?
        while toCommitStart < toCommit.count, toCommit[toCommitStart].written <= writer.messagesOnDisk {
            through = toCommit[toCommitStart].kept
            toCommitStart += 1
        }
        if toCommitStart > 1024 { toCommit.removeFirst(toCommitStart); toCommitStart = 0 }
        if let through { journal.commit(through: through) }
    }
}

/// The version written into captures.
public enum RecorderInfo {
    public static let version = "0.9.0"
}
