import Foundation
import Projection

/// `diff`'s output: a table or markdown for people, JSON for programs, JUnit XML for CI.
extension CaptureComparison {
    public enum Format: String, Sendable, CaseIterable { case table, json, markdown, junit }

    public func rendered(as format: Format) -> String {
        switch format {
        case .json: json.rendered() + "\n"
        case .table: text(markdown: false)
        case .markdown: text(markdown: true)
        case .junit: junit()
        }
    }

    var json: JSONValue {
        func text(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        return .object([
            ("summary", .object([("same", .int(Int64(same))), ("different", .int(Int64(different))),
                                 ("missing", .int(Int64(missing))), ("extra", .int(Int64(extra)))])),
            ("differences", .array(differences.map { d in
                .object([("kind", text(d.key?.kind)), ("product", text(d.key?.product)), ("device", text(d.key?.device)),
                         ("name", text(d.key?.name)), ("attempt", d.key.map { .int(Int64($0.attempt)) } ?? .null),
                         ("field", .string(d.field)), ("baseline", text(d.baseline)), ("candidate", text(d.candidate)),
                         ("baseline_position", text(d.baselinePosition)), ("candidate_position", text(d.candidatePosition))])
            })),
        ])
    }

    /// One line per differing task with its first difference (and how many more), then the
    /// anomalies' counts and a summary.
    func text(markdown: Bool) -> String {
        var rows: [[String]] = []
        for t in tasks where !t.differences.isEmpty {
            let d = t.differences[0]
            let more = t.differences.count > 1 ? " (+\(t.differences.count - 1) more)" : ""
            rows.append([t.key.description, d.field + more, d.baseline ?? "-", d.candidate ?? "-"])
        }
        for d in differences where d.key == nil { rows.append(["anomalies", d.field, d.baseline ?? "-", d.candidate ?? "-"]) }
        let summary = "\(same) same, \(different) different, \(missing) missing, \(extra) extra"
        guard !rows.isEmpty else { return "no differences: \(summary)\n" }
        let table = Report.Table(title: "", columns: ["task", "first difference", "baseline", "candidate"], rows: rows)
        let body = Report(json: .null, tables: [table]).rendered(as: markdown ? .markdown : .table)
        return body + (body.hasSuffix("\n") ? "" : "\n") + summary + "\n"
    }

    /// One `<testsuite>`, a `<testcase>` per task, a `<failure>` per differing, missing or extra
    /// task listing every difference; differences in the anomalies' counts are one more case.
    func junit() -> String {
        let anomalies = differences.filter { $0.key == nil }
        let failures = tasks.filter { !$0.differences.isEmpty }.count + (anomalies.isEmpty ? 0 : 1)
        var x = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        x += #"<testsuite name="restrace diff" tests="\#(tasks.count + (anomalies.isEmpty ? 0 : 1))" failures="\#(failures)" errors="0">"# + "\n"
        func testcase(_ name: String, _ found: [Difference]) {
            x += #"  <testcase classname="restrace.diff" name="\#(Self.xml(name))""#
            guard !found.isEmpty else { x += "/>\n"; return }
            let lines = found.map { d in
                "\(d.field): baseline \(d.baseline ?? "-") (\(d.baselinePosition ?? "-")), candidate \(d.candidate ?? "-") (\(d.candidatePosition ?? "-"))"
            }
            x += ">\n" + #"    <failure message="\#(Self.xml(lines[0]))">"# + Self.xml(lines.joined(separator: "\n")) + "</failure>\n  </testcase>\n"
        }
        for t in tasks { testcase(t.key.description, t.differences) }
        if !anomalies.isEmpty { testcase("anomalies", anomalies) }
        return x + "</testsuite>\n"
    }

    /// Text escaped for XML, control characters (which XML 1.0 cannot hold) written as `\u{…}`.
    static func xml(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n", "\t": out.unicodeScalars.append(c)
            default:
                if c.value < 0x20 || (0xFFFE...0xFFFF).contains(c.value) { out += "\\u{\(String(c.value, radix: 16))}" } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }
}
