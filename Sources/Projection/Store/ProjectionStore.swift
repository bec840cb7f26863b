import Capture
import ResourceProtocol

/// Where a projection is kept: an SQLite file (`SQLiteStore`, the embedded default) or a
/// PostgreSQL database (`PostgresStore`). The projector and the reports see only this: the
/// reducer's rows go in through `write`, and every read is the same SQL on either.
public protocol ProjectionStore: AnyObject, Sendable {
    /// How the store is named in messages: the file's path, or the server's URL without a password.
    var name: String { get }
    /// Why the projection was started over when it was opened, if it was.
    var rebuiltBecause: String? { get }
    /// Runs `body` on a connection that sees one committed state throughout.
    func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    /// Runs `body` in one transaction.
    func transaction(_ body: (any SQLConnection) throws -> Void) throws
    /// Writes one batch and the checkpoint in a single transaction; `beforeCommit` may throw to
    /// abandon it (tests inject failures there). Tasks with an id from `newTasksFrom` on (the
    /// previous checkpoint's next task id) are new.
    func write(_ out: ReducerOutput, checkpoint: Checkpoint, newTasksFrom: Int64, beforeCommit: () throws -> Void) throws
    /// Builds the secondary indexes a fresh projection deferred (a no-op once they exist).
    func ensureIndexes() throws
    /// Computes the unfiltered reports' statistics, unless they are current (`ReportStatistics`).
    func refreshStatistics() throws
    /// Lets another projector write (after this store's last write).
    func releaseWriterLock()
}

extension ProjectionStore {
    /// Runs `body`, naming this store in any database error it throws.
    func naming<T>(_ body: () throws -> T) throws -> T { try ProjectionError.naming(name, body) }

    public func checkpoint() throws -> Checkpoint {
        try naming {
            try read { db in
                guard let row = try db.one("SELECT * FROM checkpoint WHERE id = 1") else {
                    throw ProjectionError.database(path: name, reason: "no checkpoint row")
                }
                var c = Checkpoint(captureID: row["capture_id"], events: row["events"])
                if let file: String = row["file"] {
                    c.position = CapturePosition(file: file, chunkOffset: UInt64(bitPattern: row["chunk_offset"]), index: row["chunk_index"])
                    c.fingerprint = (row["chunk_fingerprint"] as Int64?).map { UInt32(truncatingIfNeeded: $0) }
                }
                c.firstTime = (row["first_time"] as Int64?).map { UInt64(bitPattern: $0) }
                c.lastTime = (row["last_time"] as Int64?).map { UInt64(bitPattern: $0) }
                c.nextTaskID = row["next_task_id"]
                c.previousTime = (row["previous_time"] as Int64?).map { UInt64(bitPattern: $0) }
                c.clockStepsBack = row["clock_steps_back"]
                c.largestStepBack = UInt64(bitPattern: row["largest_step_back"])
                return c
            }
        }
    }

    /// The checkpoint's values in `checkpoint`'s columns, for `UPDATE checkpoint SET … WHERE id = 1`.
    static func checkpointUpdate(_ checkpoint: Checkpoint) -> (sql: String, arguments: [SQLValue]) {
        ("""
         UPDATE checkpoint SET events = ?, file = ?, chunk_offset = ?, chunk_index = ?, chunk_fingerprint = ?, first_time = ?,
           last_time = ?, next_task_id = ?, previous_time = ?, clock_steps_back = ?, largest_step_back = ? WHERE id = 1
         """,
         [.integer(checkpoint.events), SQLValue(checkpoint.position?.file), SQLValue(checkpoint.position?.chunkOffset),
          SQLValue(checkpoint.position?.index), SQLValue(checkpoint.fingerprint.map { Int64($0) }),
          SQLValue(checkpoint.firstTime), SQLValue(checkpoint.lastTime), .integer(checkpoint.nextTaskID),
          SQLValue(checkpoint.previousTime), .integer(checkpoint.clockStepsBack), SQLValue(checkpoint.largestStepBack)])
    }

    /// The reducer as the last committed batch left it. With `archiveAfter`, the latest attempts
    /// that ended, were answered and stayed idle that long before the checkpoint's last message
    /// are loaded as archived (id and attempt only), as the reducer itself would have left them.
    public func loadReducer(checkpoint: Checkpoint, archiveAfter: UInt64? = nil) throws -> TaskReducer {
        try naming {
            try read { db in
                let clock = checkpoint.lastTime ?? 0
                let cutoff = archiveAfter.map { clock > $0 ? Int64(bitPattern: clock - $0) : Int64.min } ?? Int64.min
                let latestIDs = "SELECT max(id) FROM tasks GROUP BY product, device, kind, name"
                let kept = "(\(TaskState.isOpenSQL("state")) OR pending_responses > 0 OR last_event_at >= ?)"
                var latest: [TransferTask] = []
                try db.each("SELECT \(TransferTask.selection("tasks")) FROM tasks WHERE id IN (\(latestIDs)) AND \(kept) ORDER BY id",
                            [.integer(cutoff)]) { latest.append(TransferTask(row: $0)) }
                var archived: [(key: TaskKey, attempt: ArchivedAttempt)] = []
                try db.each("""
                    SELECT product, device, kind, name, id, attempt FROM tasks WHERE id IN (\(latestIDs)) AND NOT \(kept) ORDER BY id
                    """, [.integer(cutoff)]) { r in
                    archived.append((key: TaskKey(product: r[0], device: r[1], kind: TaskKind(rawValue: r[2]) ?? .upload, name: r[3]),
                                     attempt: ArchivedAttempt(id: r[4], attempt: r[5])))
                }
                var devices: [DeviceStats] = []
                try db.each("SELECT product, device, first_seen, last_seen, messages, polls, pending_poll FROM devices") { r in
                    devices.append(DeviceStats(product: r[0], device: r[1], firstSeen: UInt64(bitPattern: r[2]),
                                               lastSeen: UInt64(bitPattern: r[3]), messages: r[4], polls: r[5],
                                               pendingPoll: (r[6] as Int64?).map { UInt64(bitPattern: $0) }))
                }
                var topics: [TopicRow] = []
                try db.each("SELECT id, direction, product, device FROM topics") { r in
                    guard let direction = Direction(rawValue: r[1]) else { return }
                    topics.append(TopicRow(id: r[0], topic: ResourceTopic(direction: direction, product: r[2], device: r[3])))
                }
                var reducer = TaskReducer(latestTasks: latest, archived: archived, devices: devices, topics: topics,
                                          nextTaskID: checkpoint.nextTaskID, clock: clock)
                reducer.archiveAfter = archiveAfter
                return reducer
            }
        }
    }

    /// Task `id` as committed.
    public func task(id: Int64) throws -> TransferTask? {
        try naming {
            try read { db in
                var task: TransferTask?
                try db.each("SELECT \(TransferTask.selection("tasks")) FROM tasks WHERE id = ?", [.integer(id)]) { task = TransferTask(row: $0) }
                return task
            }
        }
    }

    /// Recomputes the `stalled` column as of `asOf` for tasks idle longer than `stallAfter` ns.
    public func markStalled(asOf: UInt64, stallAfter: UInt64) throws {
        let limit = SQLValue(asOf &- stallAfter)
        try naming {
            try transaction { db in
                // Only rows whose mark changes are written (a run with nothing new writes none).
                let stalled = "\(TaskState.isOpenSQL("state")) AND last_event_at < ?"
                try db.execute("UPDATE tasks SET stalled = 0 WHERE stalled = 1 AND NOT (\(stalled))", [limit])
                try db.execute("UPDATE tasks SET stalled = 1 WHERE \(stalled) AND stalled = 0", [limit])
            }
        }
    }
}
