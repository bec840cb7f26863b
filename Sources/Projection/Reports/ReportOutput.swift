import Foundation

/// A report: JSON for programs, and one or more tables for people (the first is the CSV one).
public struct Report: Sendable {
    public struct Table: Sendable {
        public var title: String
        public var columns: [String]
        public var rows: [[String]]
        /// Columns aligned right (numbers).
        public var numeric: Set<Int> = []
    }

    public var json: JSONValue
    public var tables: [Table]
    /// Lines printed under the tables (totals, hints).
    public var notes: [String] = []

    public enum Format: String, Sendable, CaseIterable { case table, json, csv, markdown }

    public func rendered(as format: Format) -> String {
        switch format {
        case .json: return json.rendered() + "\n"
        case .csv: return tables.first.map(Self.csv) ?? ""
        case .markdown: return tables.map(Self.markdown).joined(separator: "\n") + notes.map { "\n\($0)\n" }.joined()
        case .table: return tables.map(Self.aligned).joined(separator: "\n") + notes.map { "\($0)\n" }.joined()
        }
    }

    static func csv(_ t: Table) -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        return ([t.columns] + t.rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    static func markdown(_ t: Table) -> String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var s = t.title.isEmpty ? "" : "### \(t.title)\n\n"
        s += "| " + t.columns.map(cell).joined(separator: " | ") + " |\n"
        s += "|" + t.columns.indices.map { t.numeric.contains($0) ? " ---: |" : " --- |" }.joined() + "\n"
        for r in t.rows { s += "| " + r.map(cell).joined(separator: " | ") + " |\n" }
        return s
    }

    static func aligned(_ t: Table) -> String {
        var widths = t.columns.map(\.count)
        for r in t.rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ r: [String]) -> String {
            r.enumerated().map { i, c in
                let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
                return t.numeric.contains(i) ? pad + c : (i == r.count - 1 ? c : c + pad)
            }.joined(separator: "  ")
        }
        var s = t.title.isEmpty ? "" : t.title + "\n"
        if t.columns.contains(where: { !$0.isEmpty }) {
            s += line(t.columns) + "\n"
            s += line(widths.map { String(repeating: "-", count: $0) }) + "\n"
        }
        for r in t.rows { s += line(r) + "\n" }
        if t.rows.isEmpty { s += "(none)\n" }
        return s
    }
}
