import GRDB

extension TransferTask {
    /// The columns of `tasks` in the order `bind(into:)` binds them.
    static let columns = ["id", "kind", "product", "device", "name", "attempt", "state", "size", "md5sum",
                          "last_percent", "result_code", "result_msg", "failed_by", "fail_reports", "offers",
                          "progress_reports", "requested_at", "offered_at", "first_progress_at", "last_event_at",
                          "finished_at", "duration_s", "bytes_per_s", "started_at", "pending_responses"]

    func bind(into s: inout BulkStatement) {
        s.bind(id); s.bind(key.kind.rawValue); s.bind(key.product); s.bind(key.device); s.bind(key.name)
        s.bind(attempt); s.bind(state.rawValue); s.bind(size); s.bind(md5sum); s.bind(lastPercent)
        s.bind(resultCode); s.bind(resultMessage); s.bind(failedBy?.rawValue); s.bind(failReports); s.bind(offers)
        s.bind(progressReports); s.bind(requestedAt); s.bind(offeredAt); s.bind(firstProgressAt); s.bind(lastEventAt)
        s.bind(finishedAt); s.bind(durationSeconds); s.bind(bytesPerSecond); s.bind(requestedAt ?? offeredAt ?? lastEventAt)
        s.bind(pendingResponses)
    }

    /// A task from a `tasks` row.
    init(row: Row) {
        func ns(_ c: String) -> UInt64? { (row[c] as Int64?).map { UInt64(bitPattern: $0) } }
        self.init(id: row["id"],
                  key: TaskKey(product: row["product"], device: row["device"],
                               kind: TaskKind(rawValue: row["kind"]) ?? .upload, name: row["name"]),
                  attempt: row["attempt"], state: TaskState(rawValue: row["state"]) ?? .requested,
                  at: ns("last_event_at") ?? 0)
        size = row["size"]
        md5sum = row["md5sum"]
        lastPercent = row["last_percent"]
        resultCode = row["result_code"]
        resultMessage = row["result_msg"]
        failedBy = (row["failed_by"] as String?).flatMap(FailedBy.init(rawValue:))
        failReports = row["fail_reports"]
        offers = row["offers"]
        progressReports = row["progress_reports"]
        requestedAt = ns("requested_at")
        offeredAt = ns("offered_at")
        firstProgressAt = ns("first_progress_at")
        finishedAt = ns("finished_at")
        pendingResponses = row["pending_responses"] ?? 0
    }
}
