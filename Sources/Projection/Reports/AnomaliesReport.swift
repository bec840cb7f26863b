extension Reports {
    /// `report anomalies`: counts per kind, and the most recent examples.
    static func anomalies(_ c: ReportContext) throws -> Report {
        let w = c.anomalyConditions()
        let counts = try c.db.all("""
            SELECT a.kind, count(*) AS n, min(a.time) AS first, max(a.time) AS last FROM anomalies a
            WHERE \(w.sql) GROUP BY a.kind ORDER BY n DESC, a.kind
            """, w.arguments)
        let recent = try c.db.all("""
            SELECT a.* FROM anomalies a WHERE \(w.sql)
            ORDER BY a.time DESC, a.id DESC LIMIT ?
            """, w.arguments + [SQLValue(c.filters.limit)])
        let countJSON = JSONValue.array(counts.map {
            .object([("kind", .string($0["kind"])), ("count", .int($0["n"])),
                     ("first_at", .time(UInt64(bitPattern: $0["first"]))), ("last_at", .time(UInt64(bitPattern: $0["last"])))])
        })
        let recentJSON = JSONValue.array(recent.map(anomalyJSON))
        return Report(json: .object([("counts", countJSON), ("recent", recentJSON)]), tables: [
            Report.Table(title: "", columns: ["kind", "count", "first", "last"], rows: counts.map {
                [$0["kind"], String($0["n"] as Int64), ReportTime.format(UInt64(bitPattern: $0["first"])), ReportTime.format(UInt64(bitPattern: $0["last"]))]
            }, numeric: [1]),
            Report.Table(title: "\nmost recent", columns: ["time", "kind", "topic", "position", "detail"], rows: recent.map {
                [ReportTime.format(UInt64(bitPattern: $0["time"])), $0["kind"], $0["topic"], $0["position"], $0["detail"]]
            }),
        ])
    }

    static func anomalyJSON(_ r: SQLRecord) -> JSONValue {
        .object([("kind", .string(r["kind"])), ("time", .time(UInt64(bitPattern: r["time"]))), ("topic", .string(r["topic"])),
                 ("position", .string(r["position"])), ("detail", .string(r["detail"]))])
    }
}
