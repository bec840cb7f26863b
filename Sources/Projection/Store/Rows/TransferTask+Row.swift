extension TransferTask {
    /// The columns of `tasks`, `id` first, then the others in the order `bind(into:)` binds them.
    static let columns = ["id", "kind", "product", "device", "name", "attempt", "state", "size", "md5sum",
                          "last_percent", "result_code", "result_msg", "failed_by", "fail_reports", "offers",
                          "progress_reports", "requested_at", "offered_at", "first_progress_at", "last_event_at",
                          "finished_at", "duration_s", "bytes_per_s", "started_at", "pending_responses"]

    /// The columns that never change once the task exists: an update leaves them, and the indexes
    /// built on them (the unique key, `tasks_by_start`), alone.
    static let fixedColumns: Set<String> = ["id", "kind", "product", "device", "name", "attempt", "started_at"]

    /// The other columns, in the order `bindChanges(into:)` binds them, followed by `id`.
    static let changingColumns = columns.filter { !fixedColumns.contains($0) }

    /// Binds `columns` but `id`, in their order (`BulkInsert` gives the id).
    func bind(into s: inout some RowBinder) {
        s.bind(key.kind.rawValue); s.bind(key.product); s.bind(key.device); s.bind(key.name)
        s.bind(attempt == Self.countedByStore ? nil : attempt); s.bind(state.rawValue); s.bind(size); s.bind(md5sum); s.bind(lastPercent)
        s.bind(resultCode); s.bind(resultMessage); s.bind(failedBy?.rawValue); s.bind(failReports); s.bind(offers)
        s.bind(progressReports); s.bind(requestedAt); s.bind(offeredAt); s.bind(firstProgressAt); s.bind(lastEventAt)
        s.bind(finishedAt); s.bind(durationSeconds); s.bind(bytesPerSecond); s.bind(startedAt)
        s.bind(pendingResponses)
    }

    /// Binds `changingColumns`, then `id`.
    func bindChanges(into s: inout some RowBinder) {
        s.bind(state.rawValue); s.bind(size); s.bind(md5sum); s.bind(lastPercent)
        s.bind(resultCode); s.bind(resultMessage); s.bind(failedBy?.rawValue); s.bind(failReports); s.bind(offers)
        s.bind(progressReports); s.bind(requestedAt); s.bind(offeredAt); s.bind(firstProgressAt); s.bind(lastEventAt)
        s.bind(finishedAt); s.bind(durationSeconds); s.bind(bytesPerSecond); s.bind(pendingResponses)
        s.bind(id)
    }

    /// `SELECT` list for `init(row:)`: the columns by position (a lookup by name for every column
    /// of hundreds of thousands of rows costs more than the query). `alias` prefixes them.
    static func selection(_ alias: String = "t") -> String { columns.map { "\(alias).\($0)" }.joined(separator: ", ") }

    /// A task from a row selected with `selection()`.
    init(row: some SQLRow) {
        func ns(_ i: Int) -> UInt64? { (row[i] as Int64?).map { UInt64(bitPattern: $0) } }
        self.init(id: row[0],
                  key: TaskKey(product: row[2], device: row[3], kind: TaskKind(rawValue: row[1]) ?? .upload, name: row[4]),
                  attempt: row[5], state: TaskState(rawValue: row[6]) ?? .requested, at: ns(19) ?? 0)
        size = row[7]
        md5sum = row[8]
        lastPercent = row[9]
        resultCode = row[10]
        resultMessage = row[11]
        failedBy = (row[12] as String?).flatMap(FailedBy.init(rawValue:))
        failReports = row[13]
        offers = row[14]
        progressReports = row[15]
        requestedAt = ns(16)
        offeredAt = ns(17)
        firstProgressAt = ns(18)
        finishedAt = ns(20)
        pendingResponses = row[24] ?? 0
    }

    /// Calls `body` with each task of `tasks t` matching `condition` in `order`, decoded straight
    /// from the database's row (reports read hundreds of thousands of them).
    static func forEach(_ db: any SQLConnection, where condition: String, arguments: [SQLValue], orderBy order: String,
                        _ body: (TransferTask) throws -> Void) throws {
        try db.each("SELECT \(selection()) FROM tasks t WHERE \(condition) ORDER BY \(order)", arguments) { try body(TransferTask(row: $0)) }
    }

    /// The tasks `forEach` calls its body with, in an array.
    static func fetchAll(_ db: any SQLConnection, where condition: String, arguments: [SQLValue], orderBy order: String) throws -> [TransferTask] {
        var tasks: [TransferTask] = []
        try forEach(db, where: condition, arguments: arguments, orderBy: order) { tasks.append($0) }
        return tasks
    }
}

extension TaskState {
    /// `column` holds an open state, in SQL: `=` and `OR` (see `ProjectionSchema`), and written the
    /// same everywhere, since SQLite uses `tasks_by_open` only for a query with this very term.
    static func isOpenSQL(_ column: String) -> String {
        "(" + allCases.filter(\.isOpen).map { "\(column) = '\($0.rawValue)'" }.joined(separator: " OR ") + ")"
    }

    /// `column` as the index of its state in `allCases`, in SQL.
    static func indexSQL(_ column: String) -> String {
        "CASE \(column) " + allCases.enumerated().map { "WHEN '\($1.rawValue)' THEN \($0)" }.joined(separator: " ") + " END"
    }
}
