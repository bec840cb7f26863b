import GRDB

extension Reports {
    /// `report latency`: per kind, p50/p95/p99/max of the platform's response time (request →
    /// offer), time to first progress (offer → first progress), transfer duration, and bytes/s.
    static func latency(_ c: ReportContext) throws -> Report {
        let w = c.taskConditions()
        var json: [(String, JSONValue)] = []
        var rows: [[String]] = []
        // Each measure's expression as its index in ProjectionSchema has it, and the scale it is printed in.
        let measures: [(name: String, order: String, scale: Double, condition: String)] = [
            ("response_s", "t.offered_at - t.requested_at", 1e9, "t.requested_at IS NOT NULL AND t.offered_at IS NOT NULL"),
            ("first_progress_s", "t.first_progress_at - t.offered_at", 1e9, "t.first_progress_at IS NOT NULL AND t.offered_at IS NOT NULL"),
            ("duration_s", "t.duration_s", 1, "t.state = 'done' AND t.duration_s IS NOT NULL"),
            ("bytes_per_s", "t.bytes_per_s", 1, "t.bytes_per_s IS NOT NULL"),
        ]
        for kind in TaskKind.allCases {
            var fields: [(String, JSONValue)] = []
            for m in measures {
                let d = try Distribution(c.db, order: m.order, scale: m.scale, condition: "\(w.sql) AND t.kind = ? AND \(m.condition)",
                                         arguments: w.arguments + [kind.rawValue], percentiles: [50, 95, 99])
                let digits = m.name == "bytes_per_s" ? 0 : 3
                let values = (d.percentiles + [d.max]).map { JSONValue.of($0, digits: digits) }
                fields.append((m.name, .object([("count", .int(Int64(d.count))), ("p50", values[0]), ("p95", values[1]),
                                                ("p99", values[2]), ("max", values[3])])))
                rows.append([kind.rawValue, m.name, String(d.count)] + values.map(\.cell))
            }
            json.append((kind.rawValue, .object(fields)))
        }
        return Report(json: .object(json), tables: [Report.Table(title: "", columns: ["kind", "measure", "count", "p50", "p95", "p99", "max"],
                                                                 rows: rows, numeric: [2, 3, 4, 5, 6])])
    }
}
