extension Reports {
    /// `report latency`: per kind, p50/p95/p99/max of the platform's response time (request →
    /// offer), time to first progress (offer → first progress), transfer duration, and bytes/s.
    static func latency(_ c: ReportContext) throws -> Report {
        var json: [(String, JSONValue)] = []
        var rows: [[String]] = []
        var distributions = try Distribution.of(Measure.latencyByKind, c, percentiles: [50, 95, 99]).makeIterator()
        for kind in TaskKind.allCases {
            var fields: [(String, JSONValue)] = []
            for m in Measure.latency {
                let d = distributions.next()!
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
