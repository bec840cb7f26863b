import GRDB

extension Reports {
    /// `report latency`: per kind, p50/p95/p99/max of the platform's response time (request →
    /// offer), time to first progress (offer → first progress), transfer duration, and bytes/s.
    static func latency(_ c: ReportContext) throws -> Report {
        let w = c.taskConditions()
        var json: [(String, JSONValue)] = []
        var rows: [[String]] = []
        let measures: [(String, String, String)] = [
            ("response_s", "(t.offered_at - t.requested_at) / 1e9", "t.requested_at IS NOT NULL AND t.offered_at IS NOT NULL"),
            ("first_progress_s", "(t.first_progress_at - t.offered_at) / 1e9", "t.first_progress_at IS NOT NULL AND t.offered_at IS NOT NULL"),
            ("duration_s", "t.duration_s", "t.state = 'done' AND t.duration_s IS NOT NULL"),
            ("bytes_per_s", "t.bytes_per_s", "t.bytes_per_s IS NOT NULL"),
        ]
        for kind in TaskKind.allCases {
            var fields: [(String, JSONValue)] = []
            for (name, expr, cond) in measures {
                let values = try Double.fetchAll(c.db, sql: "SELECT \(expr) FROM tasks t WHERE \(w.sql) AND t.kind = ? AND \(cond)",
                                                 arguments: w.arguments + [kind.rawValue]).sorted()
                let digits = name == "bytes_per_s" ? 0 : 3
                fields.append((name, .object([("count", .int(Int64(values.count))), ("p50", .of(percentile(values, 50), digits: digits)),
                                              ("p95", .of(percentile(values, 95), digits: digits)), ("p99", .of(percentile(values, 99), digits: digits)),
                                              ("max", .of(values.last, digits: digits))])))
                rows.append([kind.rawValue, name, String(values.count)] + [50.0, 95, 99].map { JSONValue.of(percentile(values, $0), digits: digits).cell }
                            + [JSONValue.of(values.last, digits: digits).cell])
            }
            json.append((kind.rawValue, .object(fields)))
        }
        return Report(json: .object(json), tables: [Report.Table(title: "", columns: ["kind", "measure", "count", "p50", "p95", "p99", "max"],
                                                                 rows: rows, numeric: [2, 3, 4, 5, 6])])
    }
}
