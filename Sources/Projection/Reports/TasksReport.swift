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
        Report.Table(
            title: title,
            columns: ["started", "kind", "device", "name", "try", "state", "%", "result", "duration_s"],
            rows: tasks.map { t in
                let result = t.state == .failed
                    ? "\(t.failedBy?.rawValue ?? "?") \(t.resultCode.map(String.init) ?? "") \(t.resultMessage ?? "")"
                    : (c.isStalled(t) ? "stalled" : "")
                return [(t.requestedAt ?? t.offeredAt).map(ReportTime.format) ?? "", t.key.kind.rawValue,
                        "\(t.key.product)/\(t.key.device)", t.key.name, String(t.attempt), t.state.rawValue,
                        t.lastPercent.map(String.init) ?? "", result.trimmingCharacters(in: .whitespaces),
                        JSONValue.of(t.durationSeconds, digits: 1).cell]
            },
            numeric: [4, 6, 8])
    }
}

/// The reports of `restrace report`, each a query over the projection.
public enum Reports {
    public enum Kind: String, Sendable, CaseIterable {
        case summary, tasks, throughput, failures, stalled, latency, anomalies, device
    }

    /// Runs report `kind` on `store`. `device` is `PRODUCT/DEVICE` for the device report.
    public static func run(_ kind: Kind, store: ProjectionStore, filters: ReportFilters, device: (String, String)? = nil) throws -> Report {
        try store.db.read { db in
            let c = try ReportContext(db: db, filters: filters)
            switch kind {
            case .summary: return try summary(c)
            case .tasks: return try tasks(c)
            case .throughput: return try throughput(c)
            case .failures: return try failures(c)
            case .stalled: return try stalled(c)
            case .latency: return try latency(c)
            case .anomalies: return try anomalies(c)
            case .device: return try deviceHistory(c, product: device?.0 ?? "", device: device?.1 ?? "")
            }
        }
    }

    /// The capture's first and last message times as projected, for relative times and `--as-of`.
    public static func span(of store: ProjectionStore) throws -> (first: UInt64?, last: UInt64?) {
        let c = try store.checkpoint()
        return (c.firstTime, c.lastTime)
    }
}
