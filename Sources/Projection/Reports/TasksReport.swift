import GRDB

extension Reports {
    /// `report tasks`: one object per attempt with exactly INTERFACE.md's keys, by start time.
    static func tasks(_ c: ReportContext) throws -> Report {
        let w = c.taskConditions()
        let tasks = try Row.fetchAll(c.db, sql: "SELECT \(TransferTask.selection()) FROM tasks t WHERE \(w.sql) ORDER BY t.started_at, t.id",
                                     arguments: w.arguments).map(TransferTask.init(row:))
        return Report(json: .array(tasks.map { taskJSON($0, c) }),
                      tables: [taskTable(tasks, c, title: "")],
                      notes: ["\(tasks.count) tasks"])
    }

    static func taskJSON(_ t: TransferTask, _ c: ReportContext, extra: [(String, JSONValue)] = []) -> JSONValue {
        .object([
            ("kind", .string(t.key.kind.rawValue)), ("product", .string(t.key.product)), ("device", .string(t.key.device)),
            ("name", .string(t.key.name)), ("attempt", .int(Int64(t.attempt))), ("state", .string(t.state.rawValue)),
            ("stalled", .bool(c.isStalled(t))), ("size", .of(t.size)), ("md5sum", .of(t.md5sum)),
            ("last_percent", .of(t.lastPercent)), ("result_code", .of(t.resultCode)), ("result_msg", .of(t.resultMessage)),
            ("failed_by", .of(t.failedBy?.rawValue)), ("fail_reports", .int(Int64(t.failReports))),
            ("offers", .int(Int64(t.offers))), ("progress_reports", .int(Int64(t.progressReports))),
            ("requested_at", .time(t.requestedAt)), ("offered_at", .time(t.offeredAt)),
            ("first_progress_at", .time(t.firstProgressAt)), ("last_event_at", .time(t.lastEventAt)),
            ("finished_at", .time(t.finishedAt)), ("duration_s", .of(t.durationSeconds)), ("bytes_per_s", .of(t.bytesPerSecond, digits: 1)),
        ] + extra)
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
    /// memory stays flat however many tasks there are. The table format reads the rows twice
    /// (column widths first).
    static func writeTasks(_ c: ReportContext, format: Report.Format, to write: (String) -> Void) throws {
        let w = c.taskConditions()
        func each(_ body: (TransferTask) -> Void) throws {
            let rows = try Row.fetchCursor(c.db, sql: "SELECT \(TransferTask.selection()) FROM tasks t WHERE \(w.sql) ORDER BY t.started_at, t.id",
                                           arguments: w.arguments)
            while let row = try rows.next() { body(TransferTask(row: row)) }
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
            var widths = table.columns.map(\.count)
            try each { Report.widen(&widths, taskRow($0, c)) }
            write(Report.alignedHeader(table, widths: widths))
            try each { write(Report.alignedLine(taskRow($0, c), widths: widths, numeric: table.numeric)); count += 1 }
            write((count == 0 ? "(none)\n" : "") + "\(count) tasks\n")
        }
    }
}
