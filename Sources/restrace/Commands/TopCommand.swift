import ArgumentParser
import Broker
import Capture
import Dashboard
import Foundation
import Projection
import Recorder

struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "A live view of transfers: failing, why, stalled, and whether the recorder is blind.",
        discussion: """
        Follows a capture as it is recorded (or plays a closed one at --speed), or subscribes to \
        a broker itself (--broker; nothing is recorded unless --out), and refreshes one screen \
        every --interval: per kind, tasks started, done and failed in the window and in total, \
        success and failure rates (in red once the failure rate of the window is over \
        --abort-failure-rate with at least --abort-min-tasks ended in it), stalled tasks, the \
        platform's response time; the failure causes of the window; the oldest stalled \
        transfers; messages per second; anomalies; the recorder's connection and blind windows. \
        The figures come from the same rules as the projection, computed in memory (no \
        database), and equal `report summary` of the same capture at the same moment.

        Keys: q quits, p pauses the display, f filters by PRODUCT or PRODUCT/DEVICE (Enter applies, \
        empty clears, Esc cancels), 1 2 3 4 set the window to 1m, 5m, 15m, 1h.

        When standard output is not a terminal, a plain text block is printed every --interval. \
        --once prints one frame of what is there now (from a broker: of one --interval), and \
        --once --format json its figures.

        Examples:
          restrace top capture/
          restrace top --broker mqtt://127.0.0.1:1883
          restrace top --broker mqtt://broker:1883 --out capture/ --abort-failure-rate 2% --abort-min-tasks 100
          restrace top old-incident/ --speed 10
          restrace top capture/ --once --format json | jq .upload.window
        """)

    @Argument(help: "A capture directory (or .mcap files), followed as it grows.") var captures: [String] = []
    @Option(help: "Subscribe to this broker instead (mqtt://HOST:PORT).") var broker: String?
    @Option(help: ArgumentHelp("With --broker: also record into this capture directory.", valueName: "dir")) var out: String?
    @Option(help: ArgumentHelp("With --broker: topic filter (repeatable; default $resource/#).", valueName: "filter")) var topic: [String] = []
    @OptionGroup var connection: BrokerOptions
    @Option(help: ArgumentHelp("Play a closed capture this many times faster than it was recorded (default: read it at once).", valueName: "factor"))
    var speed: Double?
    @Option(help: ArgumentHelp("Refresh this often (\(DurationArgument.forms)).", valueName: "duration"))
    var interval = DurationArgument(nanoseconds: 1_000_000_000)
    @Option(help: ArgumentHelp("The window of the figures at start: 1m, 5m, 15m or 1h.", valueName: "window")) var window = "1m"
    @Option(help: ArgumentHelp("Open tasks idle longer than this are stalled.", valueName: "duration"))
    var stallAfter = DurationArgument(nanoseconds: 120_000_000_000)
    @Option(help: ArgumentHelp("Show a kind in red when its failure rate in the window is over this (5% or 0.05).", valueName: "rate"))
    var abortFailureRate = RateArgument(value: 0.05)
    @Option(help: ArgumentHelp("… once at least this many of its tasks ended in the window.", valueName: "count")) var abortMinTasks = 50
    @Option(help: ArgumentHelp("Only this product, or PRODUCT/DEVICE.", valueName: "filter")) var filter: String?
    @Flag(help: "Print one frame and exit.") var once = false
    @Option(help: "With --once: text or json.") var format: Format = .text

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    func validate() throws {
        if captures.isEmpty == (broker == nil) { throw ValidationError("give a capture, or --broker URL (not both)") }
        if out != nil, broker == nil { throw ValidationError("--out records from --broker; give --broker") }
        if let speed, !(speed > 0 && speed.isFinite) { throw ValidationError("--speed must be a positive number") }
        if speed != nil, broker != nil { throw ValidationError("--speed plays a capture; it does not apply to --broker") }
        if TopSession.windows.first(where: { $0.name == window }) == nil { throw ValidationError("--window must be 1m, 5m, 15m or 1h") }
        if interval.nanoseconds < 100_000_000 { throw ValidationError("--interval must be at least 100ms") }
        if format == .json, !once { throw ValidationError("--format json needs --once (the live view is for people)") }
        if abortMinTasks < 1 { throw ValidationError("--abort-min-tasks must be at least 1") }
        for filter in topic {
            if let problem = RecordCommand.topicFilterProblem(filter) { throw ValidationError("--topic '\(filter.cutForMessage())': \(problem)") }
        }
    }

    func run() throws {
        Interrupts.install()
        var options = LiveOptions()
        options.window = TopSession.windows.first { $0.name == window }!.ns
        options.stallAfter = stallAfter.duration
        options.abortFailureRate = abortFailureRate.value
        options.abortMinTasks = abortMinTasks
        let (source, name, recording) = try makeSource()
        defer { recording?.stop() }
        let status = TopView.Status(source: name, windowName: window, stallAfter: stallAfter.duration,
                                    abortFailureRate: abortFailureRate.value, abortMinTasks: abortMinTasks)
        let session = TopSession(source: source, options: options, status: status, interval: Double(interval.nanoseconds) / 1e9)
        if let filter { session.applyFilter(filter) }
        let out = StandardOutput()
        if once {
            let frame = session.once()
            // As every command that reads a capture: an unreadable file is exit 1, damage exit 3,
            // after what could be read.
            if let failure = source.failure { throw failure }
            if source.damage.isEmpty, let problem = source.problem { printError("restrace: \(problem)") }
            switch format {
            case .json: out.write(TopJSON.render(frame, session.options))
            case .text: out.write(TopView.lines(frame, session.status, width: 200).map(\.0).joined(separator: "\n") + "\n")
            }
            out.flush()
            if !source.damage.isEmpty {
                for p in source.damage { printError("restrace: \(p)") }
                throw ExitCode(3)
            }
        } else if Terminal.isInteractive {
            session.runInteractive(shouldStop: { Interrupts.requested || recording?.failed == true })
        } else {
            session.runPlain(shouldStop: { Interrupts.requested || recording?.failed == true }) { out.write($0); out.flush() }
        }
        recording?.stop()
        if let error = recording?.error { throw error }
    }

    private func makeSource() throws -> (LiveSource, String, BackgroundRecording?) {
        guard let broker else {
            return (try CaptureLiveSource(paths: captures, follow: !once, speed: once ? nil : speed), captures.joined(separator: ", "), nil)
        }
        let url = try brokerArgument(broker)
        var session = try connection.session(defaultClientID: "restrace-top-\(ProcessInfo.processInfo.processIdentifier)")
        session.cleanSession = true
        let filters = topic.isEmpty ? ["$resource/#"] : topic
        guard let out else {
            return (try BrokerLiveSource(broker: url, options: session, filters: filters), url.description, nil)
        }
        var o = RecorderOptions(broker: url)
        o.filters = filters
        o.session = session
        o.flushInterval = .milliseconds(250)  // the view follows the file: keep it close behind
        let recording = try BackgroundRecording(options: o, directory: out)
        return (try CaptureLiveSource(paths: [out], follow: true, speed: nil), "\(url) → \(out)", recording)
    }
}
