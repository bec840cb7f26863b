extension Reports {
    /// `report tasks`: one object per attempt with exactly the keys of docs/reports.md, by start time.
    static func tasks(_ c: ReportContext) throws -> Report {
        let w = c.taskConditions()
        let tasks = try TransferTask.fetchAll(c.db, where: w.sql, arguments: w.arguments, orderBy: "t.started_at, t.id")
        var table = taskTable(tasks, c, title: "")
        table.minimumWidths = try taskTableWidths(c)
        return Report(json: .array(tasks.map { taskJSON($0, c) }), tables: [table], notes: ["\(tasks.count) tasks"])
    }

    /// A task with exactly the keys of docs/reports.md, in its order, then `extra`.
    static func taskJSON(_ t: TransferTask, _ c: ReportContext, extra: [(StaticString, JSONValue)] = []) -> JSONValue {
        var w = JSONObjectWriter()
        w.field("kind", t.key.kind.rawValue); w.field("product", t.key.product); w.field("device", t.key.device)
        w.field("name", t.key.name); w.field("attempt", .int(Int64(t.attempt))); w.field("state", t.state.rawValue)
        w.field("stalled", .bool(c.isStalled(t))); w.field("size", .of(t.size)); w.field("md5sum", t.md5sum)
        w.field("last_percent", .of(t.lastPercent)); w.field("result_code", .of(t.resultCode)); w.field("result_msg", t.resultMessage)
        w.field("failed_by", t.failedBy?.rawValue); w.field("fail_reports", .int(Int64(t.failReports)))
        w.field("offers", .int(Int64(t.offers))); w.field("progress_reports", .int(Int64(t.progressReports)))
        w.field("requested_at", time: t.requestedAt); w.field("offered_at", time: t.offeredAt)
        w.field("first_progress_at", time: t.firstProgressAt); w.field("last_event_at", time: t.lastEventAt)
        w.field("finished_at", time: t.finishedAt); w.field("duration_s", .of(t.durationSeconds))
        w.field("bytes_per_s", .of(t.bytesPerSecond, digits: 1))
        for (k, v) in extra { w.field(k, v) }
        return w.close()
    }

    static func taskTable(_ tasks: [TransferTask], _ c: ReportContext, title: String) -> Report.Table {
        Report.Table(title: title, columns: ["started", "kind", "device", "name", "try", "state", "%", "result", "duration_s"],
                     rows: tasks.map { taskRow($0, c) }, numeric: [4, 6, 8])
    }

    static func taskRow(_ t: TransferTask, _ c: ReportContext) -> [String] {
        let result = t.state == .failed
            ? "\(t.failedBy?.rawValue ?? "?") \(t.resultCode.map(String.init) ?? "") \(t.resultMessage ?? "")"
            : (c.isStalled(t) ? "stalled" : "")
        return [(t.requestedAt ?? t.offeredAt).map(ReportTime.format) ?? "", t.key.kind.rawValue,
                "\(t.key.product)/\(t.key.device)", t.key.name, String(t.attempt), t.state.rawValue,
                t.lastPercent.map(String.init) ?? "", result.trimmingCharacters(in: .whitespaces),
                JSONValue.of(t.durationSeconds, digits: 1).cell]
    }

    /// `report tasks` written row by row as it is read, in the same text as `tasks(_:)` renders:
    /// memory stays flat however many tasks there are, and the first row comes at once.
    static func writeTasks(_ c: ReportContext, format: Report.Format, to write: (String) -> Void) throws {
        let w = c.taskConditions()
        func each(_ body: (TransferTask) -> Void) throws {
            try TransferTask.forEach(c.db, where: w.sql, arguments: w.arguments, orderBy: "t.started_at, t.id", body)
        }
        let table = taskTable([], c, title: "")
        var count = 0
        switch format {
        case .json:
            write("[")
            try each { write((count == 0 ? "" : ",") + taskJSON($0, c).rendered()); count += 1 }
            write("]\n")
        case .csv:
            write(Report.csvLine(table.columns))
            try each { write(Report.csvLine(taskRow($0, c))) }
        case .markdown:
            write(Report.markdownHeader(table))
            try each { write(Report.markdownLine(taskRow($0, c))); count += 1 }
            write("\n\(count) tasks\n")
        case .table:
            let widths = try taskTableWidths(c)
            write(Report.alignedHeader(table, widths: widths))
            try each { write(Report.alignedLine(taskRow($0, c), widths: widths, numeric: table.numeric)); count += 1 }
            write((count == 0 ? "(none)\n" : "") + "\(count) tasks\n")
        }
    }

    /// The tasks table's column widths, from one aggregate over the same rows, so that the table can
    /// be written as it is read. Each is an upper bound of what the rows need: SQLite counts code
    /// points, never fewer than Swift's characters, and numbers are sized from their extremes. (A
    /// control character, escaped for the terminal, takes more: such a row runs past its column.)
    static func taskTableWidths(_ c: ReportContext) throws -> [Int] {
        let w = c.taskConditions()
        let columns = taskTable([], c, title: "").columns
        if w.sql == ReportContext.everything, let stored = ReportStatistics.taskTableWidths(c.statistics, columns: columns.count) { return stored }
        let row = try c.db.one("""
            SELECT max(length(t.kind)), max(length(t.product) + 1 + length(t.device)), max(length(t.name)), max(t.attempt),
                   max(length(t.state)), max(t.last_percent), min(t.last_percent),
                   max(CASE WHEN t.state = 'failed' THEN length(coalesce(t.failed_by, '?')) + length(coalesce(CAST(t.result_code AS TEXT), ''))
                                                         + length(coalesce(t.result_msg, '')) + 2 END),
                   max(abs(t.duration_s)), min(t.duration_s), count(*)
            FROM tasks t WHERE \(w.sql)
            """, w.arguments)!
        func digits(_ i: Int) -> Int { (row[i] as Int64?).map { String($0).count } ?? 0 }
        func length(_ i: Int) -> Int { row[i] ?? 0 }
        var duration = 0
        if let d: Double = row[8], d.isFinite, d < 1e15 {
            let sign = ((row[9] as Double?) ?? 0) < 0 ? 1 : 0
            duration = String(Int64(d)).count + 4 + sign  // "%.3f" when not whole
        }
        let started = (row[10] as Int64) > 0 ? 24 : 0
        let needed: [Int] = [started, length(0), length(1), length(2), digits(3), length(4),
                             max(digits(5), digits(6)), max(length(7), 7), duration]
        return zip(columns, needed).map { max($0.count, min($1, Report.maximumColumnWidth)) }
    }
}
