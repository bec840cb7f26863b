extension Reports {
    /// `report device PRODUCT/DEVICE`: the device's tasks and anomalies in time order.
    static func deviceHistory(_ c: ReportContext, product: String, device: String) throws -> Report {
        var filters = c.filters
        filters.products = [product]
        filters.devices = [device]
        let dc = try ReportContext(db: c.db, filters: filters)
        let w = dc.taskConditions()
        let tasks = try TransferTask.fetchAll(c.db, where: w.sql, arguments: w.arguments, orderBy: "t.started_at, t.id")
        let aw = dc.anomalyConditions()
        let anomalies = try c.db.all("""
            SELECT a.* FROM anomalies a WHERE \(aw.sql) ORDER BY a.time, a.id
            """, aw.arguments)
        // Its counts in every capture the projection holds (one row in SQLite).
        let stats = try c.db.one("""
            SELECT min(first_seen) AS first_seen, max(last_seen) AS last_seen, sum(messages) AS messages, sum(polls) AS polls
            FROM devices WHERE product = ? AND device = ? AND \(c.ofCapture) HAVING count(*) > 0
            """, [.text(product), .text(device)])
        var notes: [String] = []
        if let s = stats {
            notes.append("\(s["messages"] as Int64) messages from \(ReportTime.format(UInt64(bitPattern: s["first_seen"]))) "
                         + "to \(ReportTime.format(UInt64(bitPattern: s["last_seen"]))); \(s["polls"] as Int64) polls")
        } else {
            notes.append("no messages from \(product)/\(device) in this capture")
        }
        let json = JSONValue.object([
            ("product", .string(product)), ("device", .string(device)),
            ("messages", .of(stats?["messages"] as Int64?)), ("polls", .of(stats?["polls"] as Int64?)),
            ("first_seen", .time((stats?["first_seen"] as Int64?).map { UInt64(bitPattern: $0) })),
            ("last_seen", .time((stats?["last_seen"] as Int64?).map { UInt64(bitPattern: $0) })),
            ("tasks", .array(tasks.map { taskJSON($0, c) })),
            ("anomalies", .array(anomalies.map(anomalyJSON))),
        ])
        return Report(json: json, tables: [
            taskTable(tasks, c, title: "tasks of \(product)/\(device)"),
            Report.Table(title: "\nanomalies", columns: ["time", "kind", "position", "detail"], rows: anomalies.map {
                [ReportTime.format(UInt64(bitPattern: $0["time"])), $0["kind"], $0["position"], $0["detail"]]
            }),
        ], notes: notes)
    }
}
