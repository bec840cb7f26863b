import Capture
import Foundation
import GRDB
import ResourceProtocol

/// Where the projection stopped: events consumed, and the position of the last one.
public struct Checkpoint: Sendable, Equatable {
    public var captureID: String
    public var events: Int64 = 0
    public var position: CapturePosition?
    /// What was at `position` when it was committed (`CapturePosition.fingerprint`).
    public var fingerprint: UInt32?
    public var firstTime: UInt64?
    public var lastTime: UInt64?
    public var nextTaskID: Int64 = 1
    /// The time of the last message in capture order (`lastTime` is the latest of all).
    public var previousTime: UInt64?
    /// How often a message came with an earlier time than the one before it (the recorder's
    /// clock was set back), and the largest such step, ns.
    public var clockStepsBack: Int64 = 0
    public var largestStepBack: UInt64 = 0

    /// Counts `time` in: the span, and the clock's steps back.
    mutating func see(_ time: UInt64) {
        if firstTime == nil { firstTime = time }
        firstTime = min(firstTime!, time)
        lastTime = max(lastTime ?? time, time)
        if let previous = previousTime, time < previous {
            clockStepsBack += 1
            largestStepBack = max(largestStepBack, previous - time)
        }
        previousTime = time
    }
}

/// The SQLite file of the projection: schema, checkpoint, and batch writes in one transaction each.
public final class ProjectionStore: @unchecked Sendable {
    // @unchecked: its only mutable field is set in `init`; the database queue serializes access.
    public let path: String
    let db: DatabaseQueue
    /// Why the file was started over, if it was (another version, another capture, `--rebuild`).
    public private(set) var rebuiltBecause: String?
    /// The writer's page cache, in SQLite's terms (negative: KiB): 64 MiB.
    static let cacheSize = -65536
    /// Held by a store that writes: one projector per file at a time.
    private var writerLock: WriterLock?

    /// Opens (or creates) the projection at `path` for the capture `captureID`. A file of another
    /// projection version or of another capture is started over, and `rebuiltBecause` says why.
    /// With `rebuildBecause`, it is started over whatever it holds.
    public init(path: String, captureID: String, rebuildBecause: String? = nil) throws {
        self.path = path
        var reason = rebuildBecause
        if let notRegular = Self.notARegularFile(path) {
            throw ProjectionError.database(path: path, reason: "not a restrace projection (\(notRegular)); not overwritten (give another --db)")
        }
        if FileManager.default.fileExists(atPath: path) {
            writerLock = try WriterLock(path: path)  // before deciding anything about the file
            switch Self.inspect(path, captureID: captureID) {
            case .foreign(let why):
                // Only a projection is ever started over: any other file given as --db is left alone.
                throw ProjectionError.database(path: path, reason: "\(why); not overwritten (give another --db, or remove it)")
            case .stale(let why): reason = reason ?? why
            case .current: break
            }
        }
        if let reason, FileManager.default.fileExists(atPath: path) {
            for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            rebuiltBecause = reason
            writerLock = nil
        }
        var config = Self.configuration(readonly: false)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = OFF")
            // Set before the file's first table: 16 KiB pages made 1 M-event projections 2–15 %
            // faster than SQLite's 4 KiB (four alternating runs), and no report slower.
            try db.execute(sql: "PRAGMA page_size = 16384")
            try db.execute(sql: "PRAGMA cache_size = \(Self.cacheSize)")
            // Debian's SQLite is built to overwrite deleted content with zeros; a projection holds
            // nothing secret (the capture is the truth), and dropping the scattered copies of the
            // small tables at the end of a fresh 5.3 M-event projection took 0.29 s instead of 0.02.
            try db.execute(sql: "PRAGMA secure_delete = OFF")
        }
        do {
            db = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw ProjectionError.database(path: path, reason: ProjectionError.reason(error))
        }
        if writerLock == nil { writerLock = try WriterLock(path: path) }
        try ProjectionError.naming(path) { [db] in try Self.prepare(db, captureID: captureID) }
    }

    /// The schema, the version and the checkpoint row of a file opened for writing.
    private static func prepare(_ db: DatabaseQueue, captureID: String) throws {
        try ProjectionSchema.migrator().migrate(db)
        try db.write { db in
            try db.execute(sql: "PRAGMA user_version = \(ProjectionSchema.version)")
            if try Int.fetchOne(db, sql: "SELECT count(*) FROM checkpoint") == 0 {
                try db.execute(sql: "INSERT INTO checkpoint (id, capture_id, events, next_task_id, projection_version) VALUES (1, ?, 0, 1, ?)",
                               arguments: [captureID, ProjectionSchema.version])
            }
        }
    }

    /// A temporary directory that holds this projection, removed with the store.
    private var temporaryDirectory: String?

    deinit { if let temporaryDirectory { try? FileManager.default.removeItem(atPath: temporaryDirectory) } }

    /// Opens an existing projection for reading only (reports on `--db FILE`); with
    /// `removingDirectory`, that directory (a temporary one holding it) goes when the store does.
    public init(readingFrom path: String, removingDirectory: String? = nil) throws {
        self.path = path
        temporaryDirectory = removingDirectory
        guard FileManager.default.fileExists(atPath: path) else {
            throw ProjectionError.database(path: path, reason: "no such file")
        }
        switch Self.inspect(path, captureID: nil) {
        case .foreign(let why): throw ProjectionError.database(path: path, reason: why)
        case .stale(let why): throw ProjectionError.database(path: path, reason: "\(why): run `restrace project CAPTURE --db \(path)` to rebuild it")
        case .current: break
        }
        db = try DatabaseQueue(path: path, configuration: Self.configuration(readonly: true))
    }

    public func checkpoint() throws -> Checkpoint {
        try db.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM checkpoint WHERE id = 1") else {
                throw ProjectionError.database(path: path, reason: "no checkpoint row")
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

    /// The reducer as the last committed batch left it. With `archiveAfter`, the latest attempts
    /// that ended, were answered and stayed idle that long before the checkpoint's last message
    /// are loaded as archived (id and attempt only), as the reducer itself would have left them.
    public func loadReducer(checkpoint: Checkpoint, archiveAfter: UInt64? = nil) throws -> TaskReducer {
        try db.read { db in
            let clock = checkpoint.lastTime ?? 0
            let cutoff = archiveAfter.map { clock > $0 ? Int64(bitPattern: clock - $0) : Int64.min } ?? Int64.min
            let latestIDs = "SELECT max(id) FROM tasks GROUP BY product, device, kind, name"
            let kept = "(\(TaskState.isOpenSQL("state")) OR pending_responses > 0 OR last_event_at >= ?)"
            let latest = try Row.fetchAll(db, sql: """
                SELECT \(TransferTask.selection("tasks")) FROM tasks WHERE id IN (\(latestIDs)) AND \(kept) ORDER BY id
                """, arguments: [cutoff]).map(TransferTask.init(row:))
            let archived = try Row.fetchAll(db, sql: """
                SELECT product, device, kind, name, id, attempt FROM tasks WHERE id IN (\(latestIDs)) AND NOT \(kept) ORDER BY id
                """, arguments: [cutoff]).map { r in
                (key: TaskKey(product: r[0], device: r[1], kind: TaskKind(rawValue: r[2]) ?? .upload, name: r[3]),
                 attempt: ArchivedAttempt(id: r[4], attempt: r[5]))
            }
            let devices = try Row.fetchAll(db, sql: "SELECT * FROM devices").map {
                DeviceStats(product: $0["product"], device: $0["device"], firstSeen: UInt64(bitPattern: $0["first_seen"]),
                            lastSeen: UInt64(bitPattern: $0["last_seen"]), messages: $0["messages"], polls: $0["polls"],
                            pendingPoll: ($0["pending_poll"] as Int64?).map { UInt64(bitPattern: $0) })
            }
            let topics = try Row.fetchAll(db, sql: "SELECT id, direction, product, device FROM topics").compactMap { r -> TopicRow? in
                guard let direction = Direction(rawValue: r[1]) else { return nil }
                return TopicRow(id: r[0], topic: ResourceTopic(direction: direction, product: r[2], device: r[3]))
            }
            var reducer = TaskReducer(latestTasks: latest, archived: archived, devices: devices, topics: topics,
                                      nextTaskID: checkpoint.nextTaskID, clock: clock)
            reducer.archiveAfter = archiveAfter
            return reducer
        }
    }

    /// Task `id` as committed.
    public func task(id: Int64) throws -> TransferTask? {
        try db.read { db in
            try Row.fetchOne(db, sql: "SELECT \(TransferTask.selection("tasks")) FROM tasks WHERE id = ?", arguments: [id]).map(TransferTask.init(row:))
        }
    }

    /// Writes one batch and the checkpoint in a single transaction; `beforeCommit` may throw to
    /// abandon it (tests inject failures there).
    /// Tasks with an id from `newTasksFrom` on (the previous checkpoint's next task id) are new.
    func write(_ out: ReducerOutput, checkpoint: Checkpoint, newTasksFrom: Int64, beforeCommit: () throws -> Void = {}) throws {
        try db.write { db in
            var topics = try BulkStatement(db, sql: "INSERT INTO topics (id, direction, product, device) VALUES (?, ?, ?, ?)")
            for t in out.topics {
                topics.bind(t.id); topics.bind(t.topic.direction.rawValue); topics.bind(t.topic.product); topics.bind(t.topic.device)
                try topics.step(db)
            }
            var events = try BulkInsert(db, into: "event_rows", columns: ProjectedEvent.columns)
            try events.insert(count: out.events.count, in: db, id: { out.events[$0].id }) { i, s in out.events[i].bind(into: &s) }
            var an = try BulkStatement(db, sql: "INSERT INTO anomalies (kind, time, topic, product, device, event_id, position, task_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            for a in out.anomalies {
                an.bind(a.kind.rawValue); an.bind(a.time); an.bind(a.topic); an.bind(a.product); an.bind(a.device); an.bind(a.eventID); an.bind(a.position)
                an.bind(a.taskID); an.bind(a.detail)
                try an.step(db)
            }
            // Tasks from `newTasksFrom` on are new rows; older ones only change their changing columns.
            // Tasks from `newTasksFrom` on are new rows (`out.tasks` is in id order); older ones only
            // change their changing columns.
            let firstNew = out.tasks.firstIndex { $0.id >= newTasksFrom } ?? out.tasks.endIndex
            var insertTasks = try BulkInsert(db, into: "tasks", columns: TransferTask.columns)
            try insertTasks.insert(count: out.tasks.count - firstNew, in: db, id: { out.tasks[firstNew + $0].id }) { i, s in
                out.tasks[firstNew + i].bind(into: &s)
            }
            var updateTask = try BulkStatement(db, sql: """
                UPDATE tasks SET \(TransferTask.changingColumns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?
                """)
            for t in out.tasks[..<firstNew] {
                t.bindChanges(into: &updateTask)
                try updateTask.step(db)
            }
            var dv = try BulkStatement(db, sql: """
                INSERT INTO devices (product, device, first_seen, last_seen, messages, polls, pending_poll) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (product, device) DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen,
                  messages = excluded.messages, polls = excluded.polls, pending_poll = excluded.pending_poll
                """)
            for d in out.devices {
                dv.bind(d.product); dv.bind(d.device); dv.bind(d.firstSeen); dv.bind(d.lastSeen); dv.bind(d.messages); dv.bind(d.polls)
                dv.bind(d.pendingPoll)
                try dv.step(db)
            }
            let counters = ["up_messages", "down_messages", "up_bytes", "down_bytes", "upload_bytes", "download_bytes",
                            "uploads_started", "uploads_done", "uploads_failed", "downloads_started", "downloads_done", "downloads_failed"]
            var tr = try BulkStatement(db, sql: """
                INSERT INTO traffic (second, \(counters.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: counters.count)))
                ON CONFLICT (second) DO UPDATE SET \(counters.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", "))
                """)
            for (second, t) in out.traffic.sorted(by: { $0.key < $1.key }) {
                tr.bind(second); tr.bind(t.upMessages); tr.bind(t.downMessages); tr.bind(t.upBytes); tr.bind(t.downBytes)
                tr.bind(t.uploadBytes); tr.bind(t.downloadBytes)
                for kind in [TaskKind.upload, .download] {
                    tr.bind(t.started[kind]); tr.bind(t.done[kind]); tr.bind(t.failed[kind])
                }
                try tr.step(db)
            }
            var re = try BulkStatement(db, sql: "INSERT INTO recorder_events (time, event, detail) VALUES (?, ?, ?)")
            for r in out.recorderEvents { re.bind(r.time); re.bind(r.event); re.bind(r.detail); try re.step(db) }
            try db.execute(sql: """
                UPDATE checkpoint SET events = ?, file = ?, chunk_offset = ?, chunk_index = ?, chunk_fingerprint = ?, first_time = ?,
                  last_time = ?, next_task_id = ?, previous_time = ?, clock_steps_back = ?, largest_step_back = ? WHERE id = 1
                """, arguments: [checkpoint.events, checkpoint.position?.file,
                                 checkpoint.position.map { Int64(bitPattern: $0.chunkOffset) }, checkpoint.position?.index,
                                 checkpoint.fingerprint.map { Int64($0) },
                                 checkpoint.firstTime.map { Int64(bitPattern: $0) }, checkpoint.lastTime.map { Int64(bitPattern: $0) },
                                 checkpoint.nextTaskID, checkpoint.previousTime.map { Int64(bitPattern: $0) },
                                 checkpoint.clockStepsBack, Int64(bitPattern: checkpoint.largestStepBack)])
            try beforeCommit()
        }
    }

    /// Lets another projector open the file (after this store's last write).
    func releaseWriterLock() { writerLock = nil }

    /// Computes the unfiltered reports' statistics, unless they are current (`ReportStatistics`).
    /// The tasks table's column widths are read on a connection and a thread of their own, in
    /// parallel with the rest: their pass over every task took 0.27 s of a 5.3 M-event projection,
    /// after the 0.37 s of the distributions' and ANALYZE's 0.15 s.
    func refreshStatistics() throws {
        guard try !db.read(ReportStatistics.areCurrent) else { return }
        let widths = OnItsOwnThread { [path] in
            // Not memory mapped: the mapped pages of every task would count as the projection's
            // memory (peak RSS 527–533 MiB instead of 418–460 on 5.3 M events).
            let reading = try DatabaseQueue(path: path, configuration: Self.configuration(readonly: true, mapped: false))
            defer { try? reading.close() }
            return try reading.read { db in try Reports.taskTableWidths(ReportContext(db: db, filters: ReportFilters())) }
        }
        try db.write { db in try ReportStatistics.refresh(db, widths: widths.get) }
    }

    /// Recomputes the `stalled` column as of `asOf` for tasks idle longer than `stallAfter` ns.
    public func markStalled(asOf: UInt64, stallAfter: UInt64) throws {
        let limit = Int64(bitPattern: asOf &- stallAfter)
        try db.write { db in
            // Only rows whose mark changes are written (a run with nothing new writes none).
            let stalled = "\(TaskState.isOpenSQL("state")) AND last_event_at < ?"
            try db.execute(sql: "UPDATE tasks SET stalled = 0 WHERE stalled = 1 AND NOT (\(stalled))", arguments: [limit])
            try db.execute(sql: "UPDATE tasks SET stalled = 1 WHERE \(stalled) AND stalled = 0", arguments: [limit])
        }
    }
}

/// Errors of the projection, naming the database file.
public enum ProjectionError: Error, CustomStringConvertible {
    case database(path: String, reason: String)
    /// Another restrace process is projecting into this file.
    case busy(path: String)

    /// An SQLite error as people read it: its code and message, never the SQL statement that
    /// met it (GRDB's own description ends with the whole statement).
    static func reason(_ error: Error) -> String {
        guard let e = error as? DatabaseError else { return "\(error)" }
        let hint = e.resultCode == .SQLITE_CANTOPEN ? " (is its directory there and writable?)" : ""
        return "SQLite error \(e.resultCode.rawValue): \(e.message ?? "\(e.resultCode)")\(hint)"
    }

    /// Runs `body`, naming `path` in any SQLite error it throws.
    static func naming<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as DatabaseError { throw ProjectionError.database(path: path, reason: reason(e)) }
    }

    public var description: String {
        switch self {
        case .database(let path, let reason): "\(path): \(reason)"
        case .busy(let path): "\(path): another restrace process is updating this projection (one at a time); read it with `report --db \(path)`"
        }
    }
}

