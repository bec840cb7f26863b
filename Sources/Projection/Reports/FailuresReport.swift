extension Reports {
    /// `report failures`: failed tasks grouped by root cause, most tasks first.
    static func failures(_ c: ReportContext) throws -> Report {
        let w = c.taskConditions()
        // Unfiltered, the causes as the projection run stored them (`ReportStatistics`): grouping
        // every failed task took most of this report's time, and of `summary`'s.
        let stored = w.sql == ReportContext.everything && c.statistics != nil
        let rows = try c.db.all("""
            SELECT * FROM (\(stored ? "SELECT * FROM failure_statistics" : failureCauses(where: w.sql))) t
            ORDER BY tasks DESC, t.kind, t.failed_by NULLS FIRST, t.result_code NULLS FIRST, t.result_msg NULLS FIRST
            """, stored ? [] : w.arguments)
        var json: [JSONValue] = []
        var table: [[String]] = []
        for r in rows {
            let example = try c.db.one("SELECT product, device, name, attempt FROM tasks WHERE id = ?", [.integer(r["example"])])
            let exampleText = example.map { "\($0["product"] as String)/\($0["device"] as String) \($0["name"] as String) #\($0["attempt"] as Int)" } ?? ""
            let first = (r["first_at"] as Int64?).map { UInt64(bitPattern: $0) }
            let last = (r["last_at"] as Int64?).map { UInt64(bitPattern: $0) }
            json.append(.object([
                ("kind", .of(r["kind"] as String?)), ("failed_by", .of(r["failed_by"] as String?)),
                ("result_code", .of(r["result_code"] as Int64?)), ("result_msg", .of(r["result_msg"] as String?)),
                ("tasks", .int(r["tasks"])), ("devices", .int(r["devices"])),
                ("first_at", .time(first)), ("last_at", .time(last)), ("example", .string(exampleText)),
            ]))
            table.append([r["kind"] ?? "", r["failed_by"] ?? "", (r["result_code"] as Int64?).map(String.init) ?? "",
                          r["result_msg"] ?? "", String(r["tasks"] as Int64), String(r["devices"] as Int64),
                          first.map(ReportTime.format) ?? "", last.map(ReportTime.format) ?? "", exampleText])
        }
        let total = rows.reduce(0) { $0 + ($1["tasks"] as Int64) }
        return Report(json: .array(json), tables: [Report.Table(
            title: "", columns: ["kind", "failed_by", "code", "message", "tasks", "devices", "first", "last", "example"],
            rows: table, numeric: [2, 4, 5])], notes: ["\(total) failed tasks in \(rows.count) causes"])
    }

    /// The failed tasks that match `condition` (over `tasks t`) grouped by root cause, with the
    /// columns of `failure_statistics`.
    static func failureCauses(where condition: String) -> String {
        """
        SELECT t.kind, t.failed_by, t.result_code, t.result_msg, count(*) AS tasks,
               count(DISTINCT t.product || '/' || t.device) AS devices,
               min(t.finished_at) AS first_at, max(t.finished_at) AS last_at, min(t.id) AS example
        FROM tasks t WHERE t.state = 'failed' AND \(condition)
        GROUP BY t.kind, t.failed_by, t.result_code, t.result_msg
        """
    }
}
