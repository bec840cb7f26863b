import ArgumentParser
import Broker
import Capture
import Foundation
import Recorder

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Capture $resource traffic from a broker into a capture directory until stopped.",
        discussion: """
        Examples:
          restrace record --broker mqtt://127.0.0.1:1883 --out capture/
          restrace record --broker mqtts://broker:8883 --cafile ca.pem --username rec --password-file pw --out capture/
          restrace record --broker mqtt://10.0.0.5 --out part-a/ --share-group rec --client-id rec-a
          restrace record --broker mqtt://127.0.0.1:1883 --out capture/ --duration 10m --redact-urls
          restrace record --broker mqtt://broker:1883 --out /var/lib/restrace/capture --metrics 127.0.0.1:9464 --retain-size 50GiB --compact-closed

        Stops on Ctrl-C/SIGTERM, --duration or --max-messages, writing everything received and closing \
        the file. The open chunk is written every --flush-interval; until then each message is also kept \
        in a journal mapped in memory (DIR/.restrace.journal), so even kill -9 loses none of what \
        arrived: the next record (or recover) writes it into the capture. On a full disk the recorder \
        keeps running, holds what arrives (the broker keeps the rest), says so, and goes on when there \
        is room; it never deletes anything. The session is persistent by default (--clean-session to \
        change), so the broker keeps QoS 1 messages while the recorder is away; reconnects retry with \
        backoff forever unless --give-up-after. The receive queue holds at most 256 MiB; beyond it the \
        recorder stops reading from the socket (back-pressure) rather than grow or drop.
        """)

    @Option(help: "The broker: mqtt://HOST:PORT or mqtts://HOST:PORT.") var broker: String
    @Option(help: "The capture directory (created if missing; an existing capture is continued with a new file).") var out: String
    @Option(help: ArgumentHelp("Topic filter (repeatable; default $resource/#).", valueName: "filter")) var topic: [String] = []
    @Option(help: "QoS of the subscription.") var qos = 1
    @OptionGroup var connection: BrokerOptions
    @Flag(help: "Start a clean session (the broker forgets messages queued while away).") var cleanSession = false
    @Option(help: ArgumentHelp("Write the open chunk at least this often (\(DurationArgument.forms)).", valueName: "duration"))
    var flushInterval = DurationArgument(nanoseconds: 1_000_000_000)
    @Option(help: ArgumentHelp("Start a new file at this size (e.g. 64MiB, 1GB).", valueName: "size")) var segmentSize = SizeArgument(bytes: 128 << 20)
    @Option(help: ArgumentHelp("Start a new file after this long.", valueName: "duration")) var segmentDuration: DurationArgument?
    @Flag(help: "Replace the query string (the signature) of every url with REDACTED.") var redactUrls = false
    @Option(help: ArgumentHelp("Size of the journal that keeps each message from its arrival until it is on disk, so that a kill -9 loses none (DIR/.restrace.journal, reserved on disk).", valueName: "size"))
    var journalSize = SizeArgument(bytes: UInt64(CaptureJournal.defaultCapacity))
    @Flag(help: "Record without a journal: a kill -9 then loses what arrived since the last flush.") var noJournal = false
    @OptionGroup var retention: RetentionOptions
    @Option(help: ArgumentHelp("Subscribe through the shared subscription $share/GROUP/…", valueName: "group")) var shareGroup: String?
    @Flag(help: "Rewrite each closed segment smaller for the archive, in the background (as `restrace compact` does).") var compactClosed = false
    @Option(help: ArgumentHelp("Serve Prometheus metrics at http://HOST:PORT/metrics, and /livez and /readyz (ready: connected and subscribed).", valueName: "host:port"))
    var metrics: String?
    @Option(help: ArgumentHelp("Stop after this long.", valueName: "duration")) var duration: DurationArgument?
    @Option(help: "Stop after this many messages.") var maxMessages: UInt64?
    @Option(help: ArgumentHelp("Exit 1 after this long without a connection (default: retry forever).", valueName: "duration"))
    var giveUpAfter: DurationArgument?

    func validate() throws {
        guard (0...2).contains(qos) else { throw ValidationError("--qos must be 0, 1 or 2") }
        _ = try brokerArgument(broker)
        if let g = shareGroup, g.isEmpty || g.contains("/") || hasWildcard(g) {
            throw ValidationError("--share-group must be a plain name (no /, + or #)")
        }
        guard segmentSize.bytes >= 64 << 10 else { throw ValidationError("--segment-size must be at least 64KiB") }
        guard journalSize.bytes >= 64 << 10, journalSize.bytes <= 1 << 40 else { throw ValidationError("--journal-size must be at least 64KiB") }
        guard flushInterval.nanoseconds >= 10_000_000 else { throw ValidationError("--flush-interval must be at least 10ms") }
        for (option, d) in [("--duration", duration), ("--segment-duration", segmentDuration)] {
            if let d, d.nanoseconds < 1_000_000 { throw ValidationError("\(option) must be at least 1ms") }
        }
        if let m = maxMessages, m == 0 { throw ValidationError("--max-messages must be at least 1") }
        for filter in topic {
            if let problem = Self.topicFilterProblem(filter) { throw ValidationError("--topic '\(filter.cutForMessage())': \(problem)") }
        }
    }

    /// Why `filter` is not an MQTT topic filter, or nil if it is one.
    static func topicFilterProblem(_ filter: String) -> String? {
        if filter.isEmpty { return "a topic filter cannot be empty" }
        if filter.contains("\0") { return "a topic filter cannot contain NUL" }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (i, level) in levels.enumerated() {
            if level.contains("#"), level != "#" || i != levels.count - 1 { return "# must be a whole level, and the last one" }
            if level.contains("+"), level != "+" { return "+ must be a whole level" }
        }
        return nil
    }

    func run() throws {
        var o = RecorderOptions(broker: try brokerArgument(broker))
        if !topic.isEmpty { o.filters = topic }
        o.qos = qos
        o.shareGroup = shareGroup
        o.session = try connection.session(defaultClientID: "restrace-\(ProcessInfo.processInfo.hostName)")
        o.session.cleanSession = cleanSession
        o.flushInterval = flushInterval.duration
        o.writer.segmentSize = segmentSize.bytes
        o.writer.segmentDuration = segmentDuration?.nanoseconds
        o.redactURLs = redactUrls
        o.journalBytes = noJournal ? 0 : Int(journalSize.bytes)
        o.retention = retention.limits
        o.duration = duration?.duration
        o.maxMessages = maxMessages
        o.giveUpAfter = giveUpAfter?.duration
        o.compactClosed = compactClosed
        Interrupts.install()
        // Before the recorder: its counters are made with the metrics system this bootstraps.
        let endpoint = try metrics.map { address in
            do { return try MetricsEndpoint(address: address, version: RecorderInfo.version) } catch { throw ValidationError("\(error)") }
        }
        let recorder = try Recorder(options: o, directory: out)
        if let endpoint {
            let health = recorder.metrics
            endpoint.readyWhen { health.isReady }
            printError("restrace: metrics at http://\(endpoint.address)/metrics (and /livez, /readyz)")
        }
        let live = stderrIsTerminal
        let final = try recorder.run(shouldStop: { Interrupts.requested }) { s in
            guard live else { return }
            printError(String(format: "\u{1B}[2K\r%@ %.0f msg/s, %llu messages, %d devices, %.1f MB written (ratio %.1f)",
                              s.connected ? "connected" : "DISCONNECTED", s.messagesPerSecond, s.messages, s.devices,
                              Double(s.bytesWritten) / 1e6, s.compressionRatio), newline: false)
        }
        if live { printError("") }
        printError(String(format: "recorded %llu messages from %d devices in %.1f s into %@ (%.1f MB, ratio %.1f, %d disconnects)",
                          final.messages, final.devices, final.seconds, out, Double(final.bytesWritten) / 1e6,
                          final.compressionRatio, final.disconnects))
    }
}

/// A size: `1048576`, `64KiB`, `64MiB`, `1GiB`, `500KB`, `1GB`.
struct SizeArgument: ExpressibleByArgument {
    var bytes: UInt64
    init(bytes: UInt64) { self.bytes = bytes }

    /// As a user writes it: `128MiB`, not the type's fields.
    var defaultValueDescription: String {
        for (unit, scale) in [("GiB", UInt64(1) << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= scale && bytes % scale == 0 {
            return "\(bytes / scale)\(unit)"
        }
        return "\(bytes)B"
    }

    init?(argument: String) {
        let units: [(String, Double)] = [("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("K", 1024), ("M", 1_048_576), ("G", 1_073_741_824), ("B", 1)]
        var text = Substring(argument)
        var scale = 1.0
        for (u, s) in units where text.hasSuffix(u) { text = text.dropLast(u.count); scale = s; break }
        guard let v = Double(text), v > 0, v * scale < 1e15 else { return nil }
        bytes = UInt64(v * scale)
    }
}
