extension Reports {
    /// `report throughput`: per bucket, messages and payload bytes each way, tasks started, done
    /// and failed, and bytes transferred (size × progress reported in the bucket) per kind.
    static func throughput(_ c: ReportContext) throws -> Report {
        let bucketSeconds = Int64(max(1, c.filters.bucket.nanoseconds / 1_000_000_000))
        var args: [SQLValue] = [.integer(bucketSeconds), .integer(bucketSeconds)]
        var cond = ReportContext.everything
        if let s = c.filters.since { cond += " AND second >= ?"; args.append(.integer(Int64(s / 1_000_000_000))) }
        if let u = c.filters.until { cond += " AND second <= ?"; args.append(.integer(Int64(u / 1_000_000_000))) }
        var buckets: [Int64: [String: Double]] = [:]
        for r in try c.db.all("""
            SELECT second / ? * ? AS b, sum(up_messages) AS up, sum(down_messages) AS down, sum(up_bytes) AS upb,
                   sum(down_bytes) AS downb, sum(upload_bytes) AS ub, sum(download_bytes) AS db,
                   sum(uploads_started) AS us, sum(uploads_done) AS ud, sum(uploads_failed) AS uf,
                   sum(downloads_started) AS ds, sum(downloads_done) AS dd, sum(downloads_failed) AS df
            FROM traffic WHERE \(cond) AND \(c.ofCapture) GROUP BY 1
            """, args) {
            let b: Int64 = r["b"]
            for (key, column) in [("up", "up"), ("down", "down"), ("up_bytes", "upb"), ("down_bytes", "downb"),
                                  ("upload_bytes", "ub"), ("download_bytes", "db"),
                                  ("upload_started", "us"), ("upload_done", "ud"), ("upload_failed", "uf"),
                                  ("download_started", "ds"), ("download_done", "dd"), ("download_failed", "df")] {
                let value: Double = r[column]
                buckets[b, default: [:]][key] = value
            }
        }
        // The traffic table counts every task in the second it started and ended. With a filter
        // on which tasks count, they are counted from the tasks table instead, by the same rule.
        let f = c.filters
        if !(f.products.isEmpty && f.devices.isEmpty && f.kinds.isEmpty && f.states.isEmpty) {
            let counted = TaskKind.allCases.flatMap { k in ["started", "done", "failed"].map { "\(k.rawValue)_\($0)" } }
            for b in buckets.keys { for key in counted { buckets[b]![key] = nil } }
            let bucketNs = bucketSeconds * 1_000_000_000
            for (column, prefix) in [("started_at", "started"), ("finished_at", "ended")] {
                let w = c.taskConditions(timeColumn: "t.\(column)", wholeSeconds: true)
                // `>= 0` (not `IS NOT NULL`) lets SQLite read the covering index on (time, kind, state),
                // unless the table is read in order for a product (`+`).
                let time = c.readsTableForProducts ? c.db.dialect.unindexed("t.\(column)") : "t.\(column)"
                for r in try c.db.all("""
                    SELECT t.\(column) / ? * ? / 1000000000 AS b, t.kind, t.state, count(*) AS n FROM tasks t
                    WHERE \(w.sql) AND \(time) >= 0 GROUP BY 1, 2, 3
                    """, [.integer(bucketNs), .integer(bucketNs)] + w.arguments) {
                    let state: String = r["state"]
                    let key = prefix == "started" ? "\(r["kind"] as String)_started" : "\(r["kind"] as String)_\(state)"
                    buckets[r["b"], default: [:]][key, default: 0] += Double(r["n"] as Int64)
                }
            }
        }
        let keys = buckets.keys.sorted()
        func v(_ b: Int64, _ k: String) -> Double { buckets[b]?[k] ?? 0 }
        var json: [JSONValue] = []
        var rows: [[String]] = []
        var busiest: (Int64, Double)?
        for b in keys {
            let messages = v(b, "up") + v(b, "down")
            if busiest == nil || messages > busiest!.1 { busiest = (b, messages) }
            let start = UInt64(b) * 1_000_000_000
            var fields: [(String, JSONValue)] = [("bucket_start", .time(start)), ("messages_up", .int(Int64(v(b, "up")))),
                                                  ("messages_down", .int(Int64(v(b, "down")))),
                                                  ("payload_bytes_up", .int(Int64(v(b, "up_bytes")))),
                                                  ("payload_bytes_down", .int(Int64(v(b, "down_bytes"))))]
            for k in TaskKind.allCases {
                fields.append(("\(k.rawValue)s", .object([
                    ("started", .int(Int64(v(b, "\(k.rawValue)_started")))), ("done", .int(Int64(v(b, "\(k.rawValue)_done")))),
                    ("failed", .int(Int64(v(b, "\(k.rawValue)_failed")))),
                    ("bytes_transferred", .int(Int64(v(b, "\(k.rawValue)_bytes").rounded()))),
                ])))
            }
            json.append(.object(fields))
            rows.append([ReportTime.format(start), String(Int(v(b, "up"))), String(Int(v(b, "down"))),
                         "\(Int(v(b, "upload_started")))/\(Int(v(b, "upload_done")))/\(Int(v(b, "upload_failed")))",
                         "\(Int(v(b, "download_started")))/\(Int(v(b, "download_done")))/\(Int(v(b, "download_failed")))",
                         megabytes(v(b, "upload_bytes")), megabytes(v(b, "download_bytes"))])
        }
        let busy: JSONValue = busiest.map { .object([("bucket_start", .time(UInt64($0.0) * 1_000_000_000)), ("messages", .int(Int64($0.1)))]) } ?? .null
        return Report(json: .object([("bucket_s", .int(bucketSeconds)), ("buckets", .array(json)), ("busiest", busy)]),
                      tables: [Report.Table(title: "", columns: ["bucket", "msgs up", "msgs down", "uploads s/d/f",
                                                                 "downloads s/d/f", "up MB", "down MB"],
                                            rows: rows, numeric: [1, 2, 3, 4, 5, 6])],
                      notes: busiest.map { ["busiest bucket: \(ReportTime.format(UInt64($0.0) * 1_000_000_000)) with \(Int($0.1)) messages"] } ?? [])
    }

    static func megabytes(_ b: Double) -> String { String(format: "%.2f", b / 1e6) }
}
