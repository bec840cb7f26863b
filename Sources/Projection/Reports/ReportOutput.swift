import Foundation

/// A report: JSON for programs, and one or more tables for people (the first is the CSV one).
public struct Report: Sendable {
    public struct Table: Sendable {
        public var title: String
        public var columns: [String]
        public var rows: [[String]]
        /// Columns aligned right (numbers).
        public var numeric: Set<Int> = []
        /// Widths the columns have at least (a streamed table fixes them before its rows).
        public var minimumWidths: [Int]?

        public init(title: String, columns: [String], rows: [[String]], numeric: Set<Int> = [], minimumWidths: [Int]? = nil) {
            self.title = title
            self.columns = columns
            self.rows = rows
            self.numeric = numeric
            self.minimumWidths = minimumWidths
        }
    }

    public var json: JSONValue
    public var tables: [Table]
    /// Lines printed under the tables (totals, hints).
    public var notes: [String] = []

    public init(json: JSONValue, tables: [Table], notes: [String] = []) {
        self.json = json
        self.tables = tables
        self.notes = notes
    }

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
        ([t.columns] + t.rows).map(csvLine).joined()
    }

    /// One CSV record, with its line end.
    static func csvLine(_ r: [String]) -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        return r.map(field).joined(separator: ",") + "\n"
    }

    static func markdown(_ t: Table) -> String {
        markdownHeader(t) + t.rows.map(markdownLine).joined()
    }

    static func markdownHeader(_ t: Table) -> String {
        var s = t.title.isEmpty ? "" : "### \(t.title)\n\n"
        s += markdownLine(t.columns)
        s += "|" + t.columns.indices.map { t.numeric.contains($0) ? " ---: |" : " --- |" }.joined() + "\n"
        return s
    }

    static func markdownLine(_ r: [String]) -> String {
        func cell(_ raw: String) -> String {
            let s = raw.terminalSafe  // also turns line breaks into \n
            return s.contains("|") ? s.replacingOccurrences(of: "|", with: "\\|") : s
        }
        return "| " + r.map(cell).joined(separator: " | ") + " |\n"
    }

    static func aligned(_ t: Table) -> String {
        var widths = t.minimumWidths ?? t.columns.map(\.count)
        for r in t.rows { widen(&widths, r) }
        return alignedHeader(t, widths: widths) + t.rows.map { alignedLine($0, widths: widths, numeric: t.numeric) }.joined()
            + (t.rows.isEmpty ? "(none)\n" : "")
    }

    /// A column grows at most this wide: a longer value (a 50 MB file name in a hostile capture)
    /// runs past its column on its own line instead of padding every other line to its length.
    public static let maximumColumnWidth = 60

    /// Grows `widths` to fit row `r`, up to `maximumColumnWidth`.
    static func widen(_ widths: inout [Int], _ r: [String]) {
        for (i, c) in r.enumerated() where i < widths.count && widths[i] < maximumColumnWidth {
            widths[i] = max(widths[i], c.terminalSafe.prefix(maximumColumnWidth).count)
        }
    }

    static func alignedHeader(_ t: Table, widths: [Int]) -> String {
        var s = t.title.isEmpty ? "" : t.title + "\n"
        if t.columns.contains(where: { !$0.isEmpty }) {
            s += alignedLine(t.columns, widths: widths, numeric: t.numeric)
            s += alignedLine(widths.map { String(repeating: "-", count: $0) }, widths: widths, numeric: t.numeric)
        }
        return s
    }

    /// One row padded to `widths`, numbers right-aligned, with its line end.
    static func alignedLine(_ r: [String], widths: [Int], numeric: Set<Int>) -> String {
        r.enumerated().map { i, raw in
            let c = raw.terminalSafe
            let pad = String(repeating: " ", count: max(0, widths[i] - c.prefix(widths[i]).count))
            return numeric.contains(i) ? pad + c : (i == r.count - 1 ? c : c + pad)
        }.joined(separator: "  ") + "\n"
    }
}
