import ArgumentParser
import Capture
import Foundation
import Projection
import Selection

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a capture's files, messages, time span, devices, message types, sizes and completeness.",
        discussion: """
        Examples:
          restrace info capture/
          restrace info capture/000003.mcap
          restrace info --format json site-a/ site-b/

        Exits 3 when a file is torn or corrupt (run `restrace verify` for details).
        """)

    @Argument(help: "Capture directories or .mcap files.") var captures: [String]
    @Option(help: "table or json.") var format: InfoFormat = .table

    enum InfoFormat: String, ExpressibleByArgument, CaseIterable { case table, json }

    func run() throws {
        let inv = try CaptureInventory.take(paths: captures)
        let out = StandardOutput()
        switch format {
        case .table: render(inv, to: out)
        case .json: out.line(json(inv))
        }
        out.flush()
        if inv.files.contains(where: { !$0.problems.isEmpty }) { throw ExitCode(3) }
    }

    private func render(_ inv: CaptureInventory, to out: StandardOutput) {
        let span = inv.firstTime.map { f in "\(Timestamp.format(f, fractionDigits: 3)) … \(Timestamp.format(inv.lastTime!, fractionDigits: 3)) (\(String(format: "%.1f", Double(inv.lastTime! - f) / 1e9)) s)" } ?? "empty"
        out.line("messages     \(inv.messages) ($resource) + \(inv.recorderEvents) recorder events")
        out.line("time span    \(span)")
        if inv.clockStepsBack > 0 {
            out.line("clock        went back \(inv.clockStepsBack) times, by up to \(String(format: "%.3f", Double(inv.largestStepBack) / 1e9)) s: the span is from the earliest to the latest time")
        }
        out.line("devices      \(inv.devices.count) in \(inv.products.count) products")
        let ratio = inv.bytesOnDisk > 0 ? Double(inv.rawBytes) / Double(inv.bytesOnDisk) : 0
        out.line("size         \(inv.bytesOnDisk) bytes on disk, \(inv.rawBytes) raw (compression ratio \(String(format: "%.1f", ratio)))")
        if let b = inv.metadata["broker"] {
            out.line("recorded     from \(b) on \(inv.metadata["host"] ?? "?") by restrace \(inv.metadata["version"] ?? "?")".terminalSafe)
        }
        out.line("")
        out.line("type                                 messages")
        for (type, n) in inv.messagesPerType.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
            // Types come from payloads: escaped, and a hostile giant one is shortened like a table
            // column (JSON has it whole).
            let safe = type.terminalSafe
            let t = safe.count > Report.maximumColumnWidth ? safe.prefix(Report.maximumColumnWidth - 1) + "…" : safe
            out.line(t.padding(toLength: max(36, t.count), withPad: " ", startingAt: 0) + " " + String(n))
        }
        out.line("")
        out.line("file                 messages  chunks       bytes  state")
        for f in inv.files {
            let name = (f.name as NSString).lastPathComponent
            let state = f.problems.isEmpty ? (f.closedCleanly ? "closed" : "open") : "DAMAGED"
            out.line("\(name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(pad(f.messages, 10)) \(pad(UInt64(f.chunks), 7)) \(pad(f.bytesOnDisk, 11))  \(state)")
            for p in f.problems { out.line("  ! \(p)") }
        }
    }

    private func pad(_ v: UInt64, _ w: Int) -> String {
        let s = String(v)
        return String(repeating: " ", count: max(0, w - s.count)) + s
    }

    private func json(_ inv: CaptureInventory) -> String {
        var o: [String: Any] = [
            "messages": inv.messages, "recorder_events": inv.recorderEvents,
            "devices": inv.devices.count, "products": inv.products.count,
            "bytes_on_disk": inv.bytesOnDisk, "bytes_raw": inv.rawBytes,
            "messages_per_type": inv.messagesPerType, "clock_steps_back": inv.clockStepsBack,
            "first_at": inv.firstTime.map { Timestamp.format($0, fractionDigits: 3) } ?? NSNull(),
            "last_at": inv.lastTime.map { Timestamp.format($0, fractionDigits: 3) } ?? NSNull(),
        ]
        o["files"] = inv.files.map { f -> [String: Any] in
            ["file": f.name, "messages": f.messages, "chunks": f.chunks, "bytes": f.bytesOnDisk,
             "closed": f.closedCleanly, "problems": f.problems]
        }
        let data = try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
