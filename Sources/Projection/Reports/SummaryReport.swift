extension Reports {
    /// `report summary`: the capture, tasks per kind and state, success rate, stalls, durations,
    /// the top failure causes, anomalies and the recorder's blind windows.
    static func summary(_ c: ReportContext) throws -> Report {
        let traffic = try c.db.one("SELECT coalesce(sum(up_messages), 0) AS up, coalesce(sum(down_messages), 0) AS down FROM traffic WHERE \(c.ofCapture)")!
        // Every message projected, less the recorder's own: no scan of the events table.
        let messages: Int64 = try c.db.value("SELECT (SELECT sum(events) FROM checkpoint WHERE \(ReportContext.ofCapture("id", c.filters))) - (SELECT count(*) FROM recorder_events WHERE \(c.ofCapture))") ?? 0
        let devices: Int64 = try c.db.value("SELECT count(*) FROM (SELECT DISTINCT product, device FROM devices WHERE \(c.ofCapture)) d") ?? 0
        let products: Int64 = try c.db.value("SELECT count(DISTINCT product) FROM devices WHERE \(c.ofCapture)") ?? 0
        let perKind = try ReportStatistics.taskCounts(c)
        func count(_ k: TaskKind, _ s: TaskState) -> Int64 { perKind[k]?[s] ?? 0 }
        let done = count(.upload, .done) + count(.download, .done)
        let failed = count(.upload, .failed) + count(.download, .failed)
        let successRate: Double? = done + failed > 0 ? Double(done) / Double(done + failed) : nil
        var sw = c.taskConditions()
        sw.arguments += [SQLValue(c.asOf &- c.filters.stallAfter.nanoseconds)]
        let stalled: Int64 = try c.db.value("""
            SELECT count(*) FROM tasks t WHERE \(sw.sql) AND \(TaskState.isOpenSQL("t.state")) AND t.last_event_at < ?
            """, sw.arguments) ?? 0
        let durations = try Distribution.of([(.duration, nil)], c, percentiles: [50, 95])[0].percentiles
        let aw = c.anomalyConditions()
        let anomalies: Int64 = try c.db.value("SELECT count(*) FROM anomalies a WHERE \(aw.sql)", aw.arguments) ?? 0
        let top = try failures(c)
        let topCauses: [JSONValue] = if case .array(let a) = top.json { Array(a.prefix(3)) } else { [] }
        let windows = try c.blindWindows()
        // Old segments deleted by retention: their tasks stay projected, their messages are gone.
        let pruned = try c.db.one("SELECT count(*) AS n, max(time) AS last FROM recorder_events WHERE event = 'pruned' AND \(c.ofCapture)")!
        let prunedFiles: Int64 = pruned["n"]

        func states(_ k: TaskKind) -> JSONValue {
            .object(TaskState.allCases.map { ($0.rawValue, .int(count(k, $0))) })
        }
        let json = JSONValue.object([
            ("capture", .object([("first_at", .time(c.firstTime)), ("last_at", .time(c.lastTime)), ("messages", .int(messages)),
                                 ("messages_up", .int(traffic["up"])), ("messages_down", .int(traffic["down"])),
                                 ("devices", .int(devices)), ("products", .int(products)),
                                 ("clock_steps_back", .int(c.clockStepsBack)), ("pruned_files", .int(prunedFiles))])),
            ("tasks", .object([("upload", states(.upload)), ("download", states(.download))])),
            ("success_rate", .of(successRate, digits: 4)),
            ("stalled", .int(stalled)),
            ("anomalies", .int(anomalies)),
            ("duration_s", .object([("p50", .of(durations[0])), ("p95", .of(durations[1]))])),
            ("top_failures", .array(topCauses)),
            ("blind_windows", .array(windows.map { .object([("from", .time($0.from)), ("to", .time($0.to)),
                                                             ("seconds", .of(Double($0.to - $0.from) / 1e9, digits: 1)),
                                                             ("reason", .string($0.reason))]) })),
        ])
        var rows: [[String]] = [
            ["capture", "\(c.firstTime.map(ReportTime.format) ?? "-") … \(c.lastTime.map(ReportTime.format) ?? "-")"],
            ["messages", "\(messages) (\(traffic["up"] as Int64) up, \(traffic["down"] as Int64) down)"],
            ["devices", "\(devices) in \(products) products"],
        ]
        if prunedFiles > 0, let last = pruned["last"] as Int64? {
            rows.append(["retention", "\(prunedFiles) old files deleted by retention, the last at \(ReportTime.format(UInt64(bitPattern: last))): their tasks are still here, but the capture now starts later (cat, replay and diff see only what is left)"])
        }
        if c.clockStepsBack > 0 {
            rows.append(["clock", "went back \(c.clockStepsBack) times, by up to \(String(format: "%.3f", Double(c.largestStepBack) / 1e9)) s: the span is from the earliest to the latest time"])
        }
        for k in TaskKind.allCases {
            let parts = TaskState.allCases.compactMap { s in count(k, s) > 0 ? "\(count(k, s)) \(s.rawValue)" : nil }
            rows.append(["\(k.rawValue)s", parts.isEmpty ? "none" : parts.joined(separator: ", ")])
        }
        rows.append(["success rate", successRate.map { String(format: "%.1f %%", $0 * 100) } ?? "-"])
        rows.append(["stalled", "\(stalled) (idle over \(c.filters.stallAfter.nanoseconds / 1_000_000_000) s as of \(ReportTime.format(c.asOf)))"])
        rows.append(["duration", "p50 \(JSONValue.of(durations[0], digits: 1).cell) s, p95 \(JSONValue.of(durations[1], digits: 1).cell) s"])
        for (i, t) in top.tables[0].rows.prefix(3).enumerated() {
            rows.append([i == 0 ? "top failures" : "", "\(t[4]) × \(t[0]) \(t[1]) \(t[2]) \(t[3])"])
        }
        rows.append(["anomalies", String(anomalies)])
        rows.append(["blind windows", windows.isEmpty ? "none" : windows.map {
            "\(ReportTime.format($0.from)) for \(String(format: "%.0f", Double($0.to - $0.from) / 1e9)) s (\($0.reason))"
        }.joined(separator: "; ")])
        return Report(json: json, tables: [Report.Table(title: "", columns: ["", ""], rows: rows)])
    }
}
