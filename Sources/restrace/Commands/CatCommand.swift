import ArgumentParser
import Capture
import ResourceProtocol
import Selection

struct CatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Print a capture's messages as JSON Lines or text.",
        discussion: """
        Examples:
          restrace cat capture/ | head
          restrace cat capture/ --device cam-042 --type report_upload_progress --format text
          restrace cat capture/ --since +90s --until +5m > window.jsonl

        `cat` then `import --format jsonl` gives back the same messages byte for byte. Damage in the \
        capture is reported on stderr (exit 3) after every intact message was printed.
        """)

    @Argument(help: "Capture directories or .mcap files (several are merged in time order).") var captures: [String]
    @OptionGroup var filters: CaptureFilterOptions
    @Option(help: "jsonl (one JSON object a line), text, or mosquitto-sub (`SECONDS.NANOS TOPIC PAYLOAD`).") var format: CatFormat = .jsonl
    @Flag(help: "Leave out the recorder's own events (restrace/recorder).") var noRecorderEvents = false

    enum CatFormat: String, ExpressibleByArgument, CaseIterable { case jsonl, text, mosquittoSub = "mosquitto-sub" }

    func run() throws {
        var filter = try filters.filter(paths: captures)
        filter.includeRecorderEvents = !noRecorderEvents
        let reader = try CaptureReader(paths: captures, since: filter.since)
        let out = StandardOutput()
        while let e = reader.next() {
            if let until = filter.until, e.message.time > until, captures.count == 1 { break }
            guard filter.matches(e.message) else { continue }
            switch format {
            case .jsonl: out.line(bytes: JSONLines.line(for: e.message))
            case .text: out.line(text(e.message))
            case .mosquittoSub: out.line(bytes: MosquittoSubLines.line(for: e.message))
            }
        }
        out.flush()
        if let failure = reader.failure { throw failure }
        let problems = reader.problems
        for p in problems { printError("restrace: \(p)") }
        if !problems.isEmpty { throw ExitCode(3) }
    }

    private func text(_ m: CapturedMessage) -> String {
        let payload = String(validating: m.payload, as: UTF8.self)?.terminalSafe ?? "<\(m.payload.count) bytes, not UTF-8>"
        return "\(Timestamp.format(m.time, fractionDigits: 3)) q\(m.qos)\(m.retain ? "r" : " ") \(m.topic.terminalSafe) \(payload)"
    }
}
