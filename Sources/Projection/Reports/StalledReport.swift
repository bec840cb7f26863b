extension Reports {
    /// `report stalled`: open tasks idle longer than `--stall-after` as of `--as-of`, each with
    /// `idle_s`, and `blind_window` when the recorder was blind after the task's last event.
    static func stalled(_ c: ReportContext) throws -> Report {
        let w = c.taskConditions()
        let limit = Int64(bitPattern: c.asOf &- c.filters.stallAfter.nanoseconds)
        var args = w.arguments
        args += [.integer(limit)]
        let tasks = try TransferTask.fetchAll(c.db, where: "\(w.sql) AND \(TaskState.isOpenSQL("t.state")) AND t.last_event_at < ?",
                                              arguments: args, orderBy: "t.last_event_at, t.id")
        let windows = try c.blindWindows()
        var json: [JSONValue] = []
        var rows: [[String]] = []
        var blind = 0
        for t in tasks {
            let idle = Double(c.asOf - t.lastEventAt) / 1e9
            let inWindow = windows.contains { $0.to > t.lastEventAt && $0.from <= c.asOf }
            if inWindow { blind += 1 }
            if c.printsJSON { json.append(taskJSON(t, c, extra: [("idle_s", .of(idle, digits: 1)), ("blind_window", .bool(inWindow))])) }
            guard c.printsTables else { continue }
            rows.append(["\(t.key.product)/\(t.key.device)", t.key.kind.rawValue, t.key.name, t.state.rawValue,
                         t.lastPercent.map(String.init) ?? "", ReportTime.format(t.lastEventAt),
                         String(Int64(idle.rounded())), inWindow ? "recorder was blind" : ""])
        }
        var notes = ["\(tasks.count) stalled tasks as of \(ReportTime.format(c.asOf)) (idle over \(Int(c.filters.stallAfter.nanoseconds / 1_000_000_000)) s)"]
        if blind > 0 { notes.append("\(blind) of them went silent while the recorder was disconnected: they may not be stalled") }
        return Report(json: .array(json), tables: [Report.Table(
            title: "", columns: ["device", "kind", "name", "state", "%", "last event", "idle_s", "note"],
            rows: rows, numeric: [4, 6])], notes: notes)
    }
}
