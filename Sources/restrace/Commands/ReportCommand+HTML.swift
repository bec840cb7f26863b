import ArgumentParser
import Capture
import Foundation
import Projection

extension ReportCommand {
    struct HTML: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "html",
            abstract: "One self-contained HTML page to share: the summary and every report, with charts.",
            discussion: """
            The page needs nothing but a browser: its charts are SVG drawn by restrace, its style \
            and its few lines of script (sorting a table by a click on its header) are inline, and \
            it loads nothing from anywhere. It holds the summary; tasks started, done and failed \
            over time per kind; messages and bytes transferred over time; failure causes (a chart \
            and a table) and their course over time; stalled transfers; response-time and duration \
            distributions; and the anomalies. The recorder's blind windows are shaded on every time \
            chart. The filters are those of every report; a long capture is charted in wider \
            buckets than --bucket (at most 720 per chart).

            Examples:
              restrace report html capture/ -o incident.html
              restrace report html --db team.sqlite --product TESTPROD01 --since +1h -o rollout.html
            """)
        @OptionGroup var options: ReportOptions
        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the page to this file (default: standard output).", valueName: "file"))
        var output: String?

        func validate() throws {
            if options.format != .table { throw ValidationError("report html writes HTML; --format does not apply to it") }
        }

        func run() throws {
            let store = try options.store()
            let title = options.captures.isEmpty ? (options.db ?? "") : options.captures.joined(separator: ", ")
            let page = try Reports.html(store: store, filters: try options.filters(store), title: title)
            guard let output else {
                let out = StandardOutput()
                out.write(page)
                out.flush()
                return
            }
            // Written beside and renamed: a reader never sees half a page.
            let temporary = output + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
            do {
                try Data(page.utf8).write(to: URL(fileURLWithPath: temporary))
            } catch {
                throw ValidationError("cannot write \(output): \(ErrorText.reason(error))")
            }
            if rename(temporary, output) != 0 {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw ValidationError("cannot write \(output): \(reason)")
            }
            printError("restrace: wrote \(output) (\(page.utf8.count / 1024) KiB)")
        }
    }
}
