import Foundation
import Capture

/// The sections of `report html`, added in order, and the page around them.
struct HTMLReportPage {
    let title: String
    let c: ReportContext
    let blind: [(from: UInt64, to: UInt64)]
    private var body = ""
    private var contents: [(id: String, title: String)] = []

    static let colours = (upload: "#1f77b4", download: "#ff7f0e", done: "#2ca02c", failed: "#d62728", started: "#7f7f7f")
    static let palette = ["#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#7f7f7f"]

    init(title: String, context: ReportContext) throws {
        self.title = title
        c = context
        blind = try context.blindWindows().map { ($0.from, $0.to) }
    }

    /// The bucket width of the time charts: the report's, widened to a round width when the span
    /// would need more than 720 buckets (a week in 1-minute buckets is 10 080 bars).
    static func bucket(for c: ReportContext) -> UInt64 {
        guard let first = c.filters.since ?? c.firstTime, let last = c.filters.until ?? c.lastTime, last > first else { return c.filters.bucket.nanoseconds }
        let span = last - first
        var b = c.filters.bucket.nanoseconds
        for width: UInt64 in [60, 300, 900, 3600, 6 * 3600, 86_400, 7 * 86_400] where span / b > 720 { b = max(b, width * 1_000_000_000) }
        return b
    }

    private var from: UInt64 { c.filters.since ?? c.firstTime ?? 0 }
    private var to: UInt64 { c.filters.until ?? c.lastTime ?? from }

    private mutating func section(_ id: String, _ heading: String, _ html: String) {
        contents.append((id, heading))
        body += "<section id=\"\(id)\"><h2>\(heading.htmlEscaped)</h2>\n\(html)</section>\n"
    }

    // MARK: - Sections

    mutating func addSummary(_ r: Report) {
        let j = r.json
        func cell(_ key: String, _ text: String? = nil) -> String {
            let v = j.at(key) ?? .null
            // data-value: the number as `report summary --format json` writes it, for programs.
            let value = v.number == nil ? v.cell : v.rendered()
            return "<td data-key=\"\(key)\" data-value=\"\(value.htmlEscaped)\">\((text ?? v.cell).htmlEscaped)</td>"
        }
        var s = "<table class=\"figures\"><tbody>"
        s += "<tr><th>capture</th><td colspan=\"7\">\(j.at("capture.first_at")?.cell.htmlEscaped ?? "-") … \(j.at("capture.last_at")?.cell.htmlEscaped ?? "-")</td></tr>"
        s += "<tr><th>messages</th>\(cell("capture.messages"))<th>up</th>\(cell("capture.messages_up"))<th>down</th>\(cell("capture.messages_down"))<th></th><td></td></tr>"
        s += "<tr><th>devices</th>\(cell("capture.devices"))<th>products</th>\(cell("capture.products"))<th>stalled</th>\(cell("stalled"))<th>anomalies</th>\(cell("anomalies"))</tr>"
        let rate = j.at("success_rate")?.number.map { String(format: "%.1f %%", $0 * 100) } ?? "-"
        s += "<tr><th>success rate</th>\(cell("success_rate", rate))<th>duration p50</th>\(cell("duration_s.p50"))<th>p95</th>\(cell("duration_s.p95"))<th></th><td></td></tr>"
        s += "</tbody></table>\n<table class=\"figures\"><thead><tr><th></th>"
        s += TaskState.allCases.map { "<th>\($0.rawValue)</th>" }.joined() + "</tr></thead><tbody>"
        for k in TaskKind.allCases {
            s += "<tr><th>\(k.rawValue)s</th>" + TaskState.allCases.map { cell("tasks.\(k.rawValue).\($0.rawValue)") }.joined() + "</tr>"
        }
        s += "</tbody></table>\n"
        if blind.isEmpty {
            s += "<p>The recorder was connected throughout.</p>"
        } else {
            s += "<p class=\"warning\">The recorder was blind \(blind.count) time(s) (shaded on every chart): "
            s += blind.map { "\(ReportTime.format($0.from)) for \(String(format: "%.0f", Double($0.to - $0.from) / 1e9)) s" }.joined(separator: "; ").htmlEscaped
            s += ". Transfers may have gone on unseen.</p>"
        }
        if c.clockStepsBack > 0 { s += "<p class=\"warning\">The recorder's clock went back \(c.clockStepsBack) time(s).</p>" }
        section("summary", "Summary", s)
    }

    mutating func addOverTime(_ r: Report) {
        let bucket = UInt64(r.json["bucket_s"]?.number ?? 60) * 1_000_000_000
        var series: [String: [UInt64: Double]] = [:]
        for b in r.json["buckets"]?.elements ?? [] {
            guard let start = b["bucket_start"].flatMap(Self.time) else { continue }
            for (key, path) in [("up", "messages_up"), ("down", "messages_down")] + TaskKind.allCases.flatMap({ k in
                ["started", "done", "failed", "bytes_transferred"].map { ("\(k.rawValue).\($0)", "\(k.rawValue)s.\($0)") }
            }) {
                series[key, default: [:]][start] = b.at(path)?.number ?? 0
            }
        }
        let width = "\(bucket / 1_000_000_000) s"
        var s = "<p>Per bucket of \(width.htmlEscaped).</p>"
        if series.isEmpty {
            section("over-time", "Tasks and traffic over time", "<p>No messages.</p>")
            return
        }
        for k in TaskKind.allCases {
            s += "<h3>\(k.rawValue.capitalized)s started, done and failed</h3>"
            s += SVGChart.time(title: "\(k.rawValue)s per \(width)", unit: "tasks", series: [
                .init(name: "started", colour: Self.colours.started, values: series["\(k.rawValue).started"] ?? [:]),
                .init(name: "done", colour: Self.colours.done, values: series["\(k.rawValue).done"] ?? [:]),
                .init(name: "failed", colour: Self.colours.failed, values: series["\(k.rawValue).failed"] ?? [:]),
            ], from: from, to: to, bucket: bucket, shaded: blind)
        }
        s += "<h3>Messages</h3>"
        s += SVGChart.time(title: "messages per \(width)", unit: "messages", series: [
            .init(name: "up (devices)", colour: Self.colours.upload, values: series["up"] ?? [:]),
            .init(name: "down (platform)", colour: Self.colours.download, values: series["down"] ?? [:]),
        ], from: from, to: to, bucket: bucket, shaded: blind)
        s += "<h3>Throughput</h3>"
        let megabytes = { (d: [UInt64: Double]?) in (d ?? [:]).mapValues { $0 / 1e6 } }
        s += SVGChart.time(title: "MB transferred per \(width)", unit: "MB", series: [
            .init(name: "uploaded", colour: Self.colours.upload, values: megabytes(series["upload.bytes_transferred"])),
            .init(name: "downloaded", colour: Self.colours.download, values: megabytes(series["download.bytes_transferred"])),
        ], from: from, to: to, bucket: bucket, shaded: blind)
        section("over-time", "Tasks and traffic over time", s)
    }

    mutating func addFailures(_ r: Report, course: [(bucket: UInt64, cause: String, tasks: Double)]) {
        let causes = r.json.elements
        guard !causes.isEmpty else {
            section("failures", "Failure causes", "<p>No failed tasks.</p>")
            return
        }
        let label = { (f: JSONValue) in
            [f["kind"], f["failed_by"], f["result_code"], f["result_msg"]].compactMap { v -> String? in
                guard let v, v != .null else { return nil }
                return v.cell
            }.joined(separator: " ")
        }
        let top = causes.prefix(Self.palette.count - 1).map(label)
        var s = SVGChart.bars(title: "failed tasks by cause", causes.prefix(12).enumerated().map { i, f in
            (label(f), f["tasks"]?.number ?? 0, i < top.count ? Self.palette[i] : Self.palette.last!)
        })
        s += Self.table(r.tables[0])
        var byCause: [String: [UInt64: Double]] = [:]
        for p in course { byCause[top.contains(p.cause) ? p.cause : "other causes", default: [:]][p.bucket, default: 0] += p.tasks }
        let names = top + (byCause["other causes"] == nil ? [] : ["other causes"])
        s += "<h3>Failures over time by cause</h3>"
        s += SVGChart.time(title: "failed tasks per bucket by cause", unit: "tasks", series: names.enumerated().map { i, name in
            .init(name: name, colour: i < top.count ? Self.palette[i] : Self.palette.last!, values: byCause[name] ?? [:])
        }, from: from, to: to, bucket: c.filters.bucket.nanoseconds, shaded: blind, style: .stackedBars)
        section("failures", "Failure causes", s)
    }

    mutating func addStalled(_ r: Report) {
        let s = r.tables[0].rows.isEmpty ? "<p>No stalled transfers.</p>" : Self.table(r.tables[0])
        section("stalled", "Stalled transfers", s + r.notes.map { "<p>\($0.htmlEscaped)</p>" }.joined())
    }

    mutating func addLatency(_ r: Report, response: [TaskKind: [Double]], duration: [TaskKind: [Double]]) {
        var s = Self.table(r.tables[0])
        for (name, values) in [("Platform response time (request to offer)", response), ("Transfer duration (done tasks)", duration)] {
            let chart = SVGChart.histogram(title: name, unit: "s", series: TaskKind.allCases.compactMap { k in
                values[k].map { (k.rawValue + "s", k == .upload ? Self.colours.upload : Self.colours.download, $0) }
            })
            if !chart.isEmpty { s += "<h3>\(name.htmlEscaped)</h3>" + chart }
        }
        section("latency", "Response times and durations", s)
    }

    mutating func addAnomalies(_ r: Report) {
        guard !r.tables[0].rows.isEmpty else {
            section("anomalies", "Protocol anomalies", "<p>None: every message followed the protocol.</p>")
            return
        }
        let counts = r.tables[0].rows.enumerated().map { i, row in
            (row[0], Double(row[1]) ?? 0, Self.palette[i % Self.palette.count])
        }
        let s = SVGChart.bars(title: "anomalies by kind", counts) + Self.table(r.tables[0]) + "<h3>Most recent</h3>" + Self.table(r.tables[1])
        section("anomalies", "Protocol anomalies", s)
    }

    // MARK: - The page

    /// A report table as a sortable HTML table (sorted by its header's script; in order without it).
    static func table(_ t: Report.Table) -> String {
        var s = "<div class=\"scroll\"><table class=\"sortable\"><thead><tr>"
        for (i, c) in t.columns.enumerated() { s += "<th\(t.numeric.contains(i) ? " class=\"n\"" : "")>\(c.htmlEscaped)</th>" }
        s += "</tr></thead><tbody>"
        for row in t.rows {
            s += "<tr>" + row.enumerated().map { i, v in "<td\(t.numeric.contains(i) ? " class=\"n\"" : "")>\(v.cutForMessage(Self.longestCell).htmlEscaped)</td>" }.joined() + "</tr>"
        }
        return s + "</tbody></table></div>\n"
    }

    /// Longer values (a hostile 1 MiB file name) are cut in the middle, saying how much was left
    /// out: the JSON reports have them whole.
    static let longestCell = 200

    static func time(_ v: JSONValue) -> UInt64? {
        if case .string(let s) = v { return Timestamp.parse(s) }
        return nil
    }

    func finished() -> String {
        let filters = [c.filters.since.map { "since \(ReportTime.format($0))" }, c.filters.until.map { "until \(ReportTime.format($0))" },
                       c.filters.products.isEmpty ? nil : "products \(c.filters.products.joined(separator: ", "))",
                       c.filters.devices.isEmpty ? nil : "devices \(c.filters.devices.joined(separator: ", "))"].compactMap { $0 }
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="restrace">
            <title>restrace report: \(title.htmlEscaped)</title>
            <style>\(Self.style)</style></head>
            <body><header><h1>Transfer report: \(title.htmlEscaped)</h1>
            <p>As of \(ReportTime.format(c.asOf)); stalled means idle over \(c.filters.stallAfter.nanoseconds / 1_000_000_000) s\(filters.isEmpty ? "" : "; " + filters.joined(separator: "; ").htmlEscaped). Made by restrace.</p>
            <nav>\(contents.map { "<a href=\"#\($0.id)\">\($0.title.htmlEscaped)</a>" }.joined(separator: " · "))</nav></header>
            <main>
            """
        page += body
        page += "</main>\n<script>\(Self.script)</script>\n</body></html>\n"
        return page
    }

    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:960px;padding:0 16px;color:#222}\
        h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;margin-top:32px}h3{font-size:15px}\
        table{border-collapse:collapse;margin:8px 0}th,td{padding:2px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}\
        td.n,th.n{text-align:right}table.figures td{font-weight:600;text-align:right}\
        table.sortable th{cursor:pointer;background:#f4f4f4}table.sortable td{white-space:nowrap}div.scroll{overflow-x:auto}\
        th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}\
        svg.chart{display:block;max-width:100%;height:auto;font-size:11px}svg.chart text{fill:#444}\
        line.grid{stroke:#ddd}rect.blind{fill:#999;opacity:.25}\
        .legend span{margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}\
        .legend i.blind{background:#999;opacity:.4}.warning{color:#a33}
        """

    /// Sorts a table by the clicked column: numbers as numbers, the rest as text; a second click
    /// reverses. Without script the table stays in the report's order.
    static let script = """
        document.querySelectorAll('table.sortable th').forEach(function (th) {
          th.addEventListener('click', function () {
            var body = th.closest('table').tBodies[0], i = th.cellIndex, up = th.getAttribute('aria-sort') !== 'ascending';
            var rows = Array.prototype.slice.call(body.rows);
            rows.sort(function (a, b) {
              var x = a.cells[i].textContent, y = b.cells[i].textContent, nx = parseFloat(x), ny = parseFloat(y);
              var r = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
              return up ? r : -r;
            });
            rows.forEach(function (r) { body.appendChild(r); });
            th.parentNode.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
            th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
          });
        });
        """
}
