import ArgumentParser
import Broker
import Capture
import Foundation
import Projection
import Replayer
import ResourceProtocol

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Publish a capture's messages onto a broker with their original timing (or faster), filtered and re-addressed.",
        discussion: """
        Examples:
          restrace replay capture/ --broker mqtt://staging:1883 --topic-prefix replay/ --dry-run | head
          restrace replay capture/ --broker mqtt://127.0.0.1:1883 --direction up --rate 4
          restrace replay capture/ --broker mqtt://127.0.0.1:1883 --device cam-042 --since +90s --until +5m
          restrace replay capture/ --broker mqtt://127.0.0.1:1883 --map-product TESTPROD01=STAGING01 --max-rate --qos 1

        --broker has no default, on purpose. Recorder events are never published. Ctrl-C stops after the \
        current message. At the end: published, skipped, failed, and lateness against the schedule \
        (p50/p99/max). Exit 1 if a publish failed, 3 if damaged data was skipped (every intact message \
        is still published).
        """)

    @Argument(help: "Capture directories or .mcap files.") var captures: [String]
    @Option(help: "The broker to publish to: mqtt://HOST:PORT (required unless --dry-run).") var broker: String?
    @OptionGroup var filters: CaptureFilterOptions
    @Option(help: "up (device messages), down (platform messages) or both.") var direction: DirectionArgument = .both
    @Option(help: "Speed factor: 2 plays twice as fast as recorded.") var rate = 1.0
    @Flag(help: "As fast as the broker accepts (a bounded in-flight window for QoS > 0).") var maxRate = false
    @OptionGroup var mapping: MappingOptions
    @Option(help: "Prepend this to every topic, e.g. replay/.") var topicPrefix = ""
    @Option(help: "Publish with this QoS instead of the recorded one.") var qos: Int?
    @Option(help: "Play the capture N times.") var loop = 1
    @Option(help: "QoS 1/2 messages left unacknowledged at most (100 measured fastest on loopback).") var inflight = 100
    /// With `--max-rate`, QoS 0 messages handed to libmosquitto but not yet written, at most: a
    /// window of 100 made the publisher and the network thread wake each other for every 50
    /// messages (1.2 s per 200 k on loopback); from 1 000 on it took 0.83–1.0 s, `mosquitto_pub -l`
    /// 0.81–0.84 s. 10 000 bounds the memory queued to a few MB.
    static let queuedAtQoS0 = 10_000
    @Flag(help: "Print what would be published, when and where; connect to no broker.") var dryRun = false
    @OptionGroup var connection: BrokerOptions
    @OptionGroup var closedLoop: ClosedLoopOptions

    enum DirectionArgument: String, ExpressibleByArgument, CaseIterable { case up, down, both }

    func validate() throws {
        if broker == nil, !dryRun { throw ValidationError("--broker is required (there is no default), or use --dry-run") }
        if let broker { _ = try brokerArgument(broker) }
        guard rate > 0 else { throw ValidationError("--rate must be positive") }
        guard loop >= 1 else { throw ValidationError("--loop must be at least 1") }
        guard inflight >= 1 else { throw ValidationError("--inflight must be at least 1") }
        if let qos, !(0...2).contains(qos) { throw ValidationError("--qos must be 0, 1 or 2") }
        if closedLoop.play != nil, dryRun || loop != 1 || qos != nil || direction != .both {
            throw ValidationError("--play plays one side, paced by the live answers: without --dry-run, --loop, --qos or --direction")
        }
        if hasWildcard(topicPrefix) {
            throw ValidationError("--topic-prefix cannot contain + or # (wildcards are not allowed in published topics)")
        }
    }

    /// A session with the broker, once it accepted it (a refused login fails at once).
    func connect() throws -> MosquittoSession {
        var session = try connection.session(defaultClientID: "restrace-replay-\(ProcessInfo.processInfo.processIdentifier)")
        session.maxInflight = UInt32(max(1, inflight))
        let client = try MosquittoSession(broker: try brokerArgument(broker!), options: session)
        try client.open()
        return client
    }

    func run() throws {
        // A missing or unreadable capture fails before any broker is contacted.
        for capture in captures { _ = try CaptureSource.files(of: capture) }
        if let side = closedLoop.play { return try playClosedLoop(side) }
        var o = ReplayOptions()
        o.filter = try filters.filter(paths: captures)
        o.filter.includeRecorderEvents = false
        o.filter.direction = direction == .both ? nil : Direction(rawValue: direction.rawValue)
        o.rate = rate
        o.maxRate = maxRate
        o.mapProduct = try mapping.products()
        o.mapDevice = try mapping.devices()
        o.topicPrefix = topicPrefix
        o.qos = qos
        o.loops = loop
        Interrupts.install()
        let replayer = Replayer(paths: captures, options: o)
        var summary: ReplaySummary
        if dryRun {
            let out = StandardOutput()
            summary = try replayer.run(paced: false, publish: { m in
                out.line(String(format: "+%.3fs q%d%@ %@ %@", Double(m.due) / 1e9, m.qos, m.retain ? "r" : "", m.topic.terminalSafe,
                                String(decoding: m.payload, as: UTF8.self).terminalSafe))
            }, shouldStop: { Interrupts.requested })
            out.flush()
        } else {
            let client = try connect()
            let live = stderrIsTerminal
            var last = Date()
            summary = try replayer.run(publish: { m in
                try client.publish(topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain,
                                   window: m.qos > 0 ? max(1, inflight) : (maxRate ? Self.queuedAtQoS0 : nil),
                                   shouldStop: { Interrupts.requested })
            }, shouldStop: { Interrupts.requested }, progress: { n, m in
                guard live, Date().timeIntervalSince(last) > 0.2 else { return }
                last = Date()
                printError("\u{1B}[2K\rreplay: \(n) published, at \(Timestamp.format(m.originalTime, fractionDigits: 0)) of the capture", newline: false)
            })
            if live { printError("") }
            // What is still unacknowledged gets a moment; less after Ctrl-C, none from a stalled broker.
            if summary.abortedBecause == nil { _ = client.drain(timeout: summary.interrupted ? 2 : 10) }
            client.disconnect()
            // Published means acknowledged (QoS 1, 2) or written to the broker (QoS 0), not handed
            // to libmosquitto: after a broker crash it may still deliver what it had queued.
            let handed = summary.published
            summary.published = client.acknowledged
            if handed > summary.published {
                summary.failed += handed - summary.published
                summary.firstFailure = summary.firstFailure ?? "\(handed - summary.published) messages were never acknowledged by the broker"
            }
        }
        for p in summary.captureProblems { printError("restrace: skipped damaged data: \(p)") }
        if let reason = summary.abortedBecause { printError("restrace: replay stopped: \(reason)") }
        else if let reason = summary.firstFailure { printError("restrace: \(summary.failed) messages failed, the first because: \(reason)") }
        printError(String(format: "%@%d published, %d skipped, %d failed in %.2f s; lateness p50 %.3f ms, p99 %.3f ms, max %.3f ms",
                          summary.interrupted ? "interrupted: " : "", summary.published, summary.skipped, summary.failed,
                          summary.seconds, summary.latenessP50, summary.latenessP99, summary.latenessMax))
        if summary.failed > 0 { throw ExitCode(1) }
        if !summary.captureProblems.isEmpty { throw ExitCode(3) }
    }
}
