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
    /// The `checkpoint` row of the capture this store writes; nil for a store opened to read,
    /// which sees every capture the database holds.
    var slot: Int64? { get }
    /// Runs `body` on a connection that sees one committed state throughout.
    func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    /// Runs `body` in one transaction.
    func transaction(_ body: (any SQLConnection) throws -> Void) throws
    /// Makes a batch of the reducer's rows ready for `write`, doing what needs no database
    /// (PostgreSQL formats its COPY rows) on the calling thread, before the batch waits for the
    /// writer's. Tasks with an id from `newTasksFrom` on (the previous checkpoint's next task id)
    /// are new.
    func prepare(_ out: ReducerOutput, newTasksFrom: Int64) -> any PreparedBatch
    /// Writes one batch this store prepared and the checkpoint in a single transaction;
    /// `beforeCommit` may throw to abandon it (tests inject failures there). Without a checkpoint
    /// (only for a store that `writesInParts`), the batch is a part of the transaction that the
    /// next write with one commits: it holds rows that are only ever added (events, anomalies,
    /// topics, recorder events), and all its events fall on the day of the transaction's first.
    func write(_ batch: any PreparedBatch, checkpoint: Checkpoint?, beforeCommit: () throws -> Void) throws
    /// Whether a transaction may come in parts (`write` without a checkpoint), its events written as
    /// the reducer makes them: then its transactions are longer (fewer tasks and devices written
    /// again in the next) without their events waiting in memory.
    var writesInParts: Bool { get }
    /// Builds the secondary indexes a fresh projection deferred (a no-op once they exist), and
    /// numbers the attempts written without a number (`countAttempts`).
    func ensureIndexes() throws
    /// Computes the unfiltered reports' statistics, unless they are current (`ReportStatistics`).
    func refreshStatistics() throws
    /// Lets another projector write (after this store's last write).
    func releaseWriterLock()
    /// Removes the events (not the tasks, anomalies or counts made of them) older than `cutoff`
    /// (ns): in PostgreSQL whole days, those that end at or before it; in SQLite every such row.
    func dropEvents(before cutoff: UInt64) throws -> EventsDropped
}

/// What a store's `prepare` made of a batch, for its own `write`.
public protocol PreparedBatch: Sendable {}

extension ProjectionStore {
    /// `batch` as this store prepared it (another store's is a programming error).
    func ownBatch<B: PreparedBatch>(_ batch: any PreparedBatch, as: B.Type) -> B {
        guard let b = batch as? B else { preconditionFailure("\(type(of: batch)) was not prepared by \(type(of: self))") }
        return b
    }
}

/// What `dropEvents` removed: days of events (PostgreSQL's partitions) or rows (SQLite).
public struct EventsDropped: Sendable, Equatable {
    public var days = 0
    public var events: Int64?
}

extension ProjectionStore {
    /// Runs `body`, naming this store in any database error it throws.
    func naming<T>(_ body: () throws -> T) throws -> T { try ProjectionError.naming(name, body) }

    /// The checkpoint of the capture this store writes, or, read, of all its captures together:
    /// their events summed, their span from the first to the last, their capture ids one per line.
    public func checkpoint() throws -> Checkpoint {
        try naming {
            try read { db in
                let rows = try db.all("SELECT * FROM checkpoint WHERE id = ? OR ? = 1 ORDER BY id",
                                      [.integer(slot ?? 0), .integer(slot == nil ? 1 : 0)])
                guard var all = rows.first.map(Self.checkpoint(of:)) else {
                    throw ProjectionError.database(path: name, reason: "no checkpoint row")
                }
                for c in rows.dropFirst().map(Self.checkpoint(of:)) {
                    all.captureID += "\n" + c.captureID
                    all.events += c.events
                    all.firstTime = [all.firstTime, c.firstTime].compactMap { $0 }.min()
                    all.lastTime = [all.lastTime, c.lastTime].compactMap { $0 }.max()
                    all.clockStepsBack += c.clockStepsBack
                    all.largestStepBack = max(all.largestStepBack, c.largestStepBack)
                }
                return all
            }
        }
    }

    /// The checkpoint of the capture `captureID`, if the projection holds it.
    public func checkpoint(ofCapture captureID: String) throws -> Checkpoint? {
        try naming {
            try read { db in try db.one("SELECT * FROM checkpoint WHERE capture_id = ?", [.text(captureID)]).map(Self.checkpoint(of:)) }
        }
    }

    /// A checkpoint row.
    private static func checkpoint(of row: SQLRecord) -> Checkpoint {
                var c = Checkpoint(captureID: row["capture_id"], events: row["events"])
                c.slot = row["id"]
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

    /// The checkpoint's values in `checkpoint`'s columns, for `UPDATE checkpoint SET … WHERE id = 1`.
    static func checkpointUpdate(_ checkpoint: Checkpoint) -> (sql: String, arguments: [SQLValue]) {
        ("""
         UPDATE checkpoint SET events = ?, file = ?, chunk_offset = ?, chunk_index = ?, chunk_fingerprint = ?, first_time = ?,
           last_time = ?, next_task_id = ?, previous_time = ?, clock_steps_back = ?, largest_step_back = ? WHERE id = ?
         """,
         [.integer(checkpoint.events), SQLValue(checkpoint.position?.file), SQLValue(checkpoint.position?.chunkOffset),
          SQLValue(checkpoint.position?.index), SQLValue(checkpoint.fingerprint.map { Int64($0) }),
          SQLValue(checkpoint.firstTime), SQLValue(checkpoint.lastTime), .integer(checkpoint.nextTaskID),
          SQLValue(checkpoint.previousTime), .integer(checkpoint.clockStepsBack), SQLValue(checkpoint.largestStepBack),
          .integer(checkpoint.slot)])
    }

    /// The reducer as the last committed batch left it. With `archiveAfter`, the latest attempts
    /// that ended, were answered and stayed idle that long before the checkpoint's last message
    /// are loaded as archived (their keys only), as the reducer itself would have left them.
    public func loadReducer(checkpoint: Checkpoint, archiveAfter: Duration? = nil) throws -> TaskReducer {
        try naming {
            try read { db in
                let clock = checkpoint.lastTime ?? 0
                let cutoff = archiveAfter.map { clock > $0.nanoseconds ? Int64(bitPattern: clock - $0.nanoseconds) : Int64.min } ?? Int64.min
                // This capture's tasks and topics: the ids of its range.
                let own = Checkpoint.ownsID("id", slot: checkpoint.slot)
                let latestIDs = "SELECT max(id) FROM tasks WHERE \(own) GROUP BY product, device, kind, name"
                let kept = "(\(TaskState.isOpenSQL("state")) OR pending_responses > 0 OR last_event_at >= ?)"
                var latest: [TransferTask] = []
                try db.each("SELECT \(TransferTask.selection("tasks")) FROM tasks WHERE id IN (\(latestIDs)) AND \(kept) ORDER BY id",
                            [.integer(cutoff)]) { latest.append(TransferTask(row: $0)) }
                var devices: [DeviceStats] = []
                try db.each("SELECT product, device, first_seen, last_seen, messages, polls, pending_poll FROM devices WHERE \(db.dialect.captureColumn) = \(checkpoint.slot)") { r in
                    devices.append(DeviceStats(product: r[0], device: r[1], firstSeen: UInt64(bitPattern: r[2]),
                                               lastSeen: UInt64(bitPattern: r[3]), messages: r[4], polls: r[5],
                                               pendingPoll: (r[6] as Int64?).map { UInt64(bitPattern: $0) }))
                }
                var topics: [TopicRow] = []
                try db.each("SELECT id, direction, product, device FROM topics WHERE \(own)") { r in
                    guard let direction = Direction(rawValue: r[1]) else { return }
                    topics.append(TopicRow(id: r[0], topic: ResourceTopic(direction: direction, product: r[2], device: r[3])))
                }
                var reducer = TaskReducer(latestTasks: latest, devices: devices, topics: topics, topicIDBase: checkpoint.idBase,
                                          nextTaskID: checkpoint.nextTaskID, clock: clock)
                // The others only as keys (a Bloom filter), read one by one: never all in memory at once.
                try db.each("""
                    SELECT product, device, kind, name, id FROM tasks WHERE id IN (\(latestIDs)) AND NOT \(kept) ORDER BY id
                    """, [.integer(cutoff)]) { r in
                    reducer.noteArchived(TaskKey(product: r[0], device: r[1], kind: TaskKind(rawValue: r[2]) ?? .upload, name: r[3]), id: r[4])
                }
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

    /// Recomputes the `stalled` column as of `asOf` for tasks idle longer than `stallAfter`.
    public func markStalled(asOf: UInt64, stallAfter: Duration) throws {
        let limit = SQLValue(asOf &- stallAfter.nanoseconds)
        // This capture's tasks only (as of its own last message): the rows of others are theirs to write.
        let range = Checkpoint.ownsID("id", slot: slot ?? 1)
        try naming {
            try transaction { db in
                // Only rows whose mark changes are written (a run with nothing new writes none).
                let stalled = "\(TaskState.isOpenSQL("state")) AND last_event_at < ?"
                try db.execute("UPDATE tasks SET stalled = 0 WHERE stalled = 1 AND NOT (\(stalled)) AND \(range)", [limit])
                try db.execute("UPDATE tasks SET stalled = 1 WHERE \(stalled) AND stalled = 0 AND \(range)", [limit])
            }
        }
    }
}
