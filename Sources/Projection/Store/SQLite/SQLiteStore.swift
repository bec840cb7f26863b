import Capture
import Foundation
import GRDB
import ResourceProtocol

/// The SQLite file of the projection: schema, checkpoint, and batch writes in one transaction each.
public final class SQLiteStore: ProjectionStore, @unchecked Sendable {
    // @unchecked: its only mutable field is set in `init`; the database queue serializes access.
    public let path: String
    public var name: String { path }
    /// An SQLite file holds one capture.
    public var slot: Int64? { 1 }
    let db: DatabaseQueue
    /// Why the file was started over, if it was (another version, another capture, `--rebuild`).
    public private(set) var rebuiltBecause: String?
    /// The writer's page cache, in SQLite's terms (negative: KiB): 8 MiB. The bench capture
    /// projected as fast with 64, 16 or 8 MiB, fresh and in eight steps of a growing capture
    /// (indexes present); its peak was 303–309 MiB with 64, 239–259 with 8 (docs/performance.md).
    static let cacheSize = -8192
    /// Whether `tasks_by_key` exists, so that each batch numbers its attempts (`countAttempts`).
    /// Read and set inside the database queue's closures only.
    var keyIndexed = false
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
        keyIndexed = try db.read { try Self.hasIndex($0, "tasks_by_key") }
    }

    /// The schema, the version and the checkpoint row of a file opened for writing.
    private static func prepare(_ db: DatabaseQueue, captureID: String) throws {
        try SQLiteSchema.migrator().migrate(db)
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

    public func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try db.read { db in try body(SQLiteConnection(db: db)) }
    }

    public func transaction(_ body: (any SQLConnection) throws -> Void) throws {
        try db.write { db in try body(SQLiteConnection(db: db)) }
    }

    /// The rows as they are: SQLite binds them straight from the reducer's values.
    struct Rows: PreparedBatch {
        var out: ReducerOutput
        var newTasksFrom: Int64
    }

    public func prepare(_ out: ReducerOutput, newTasksFrom: Int64) -> any PreparedBatch { Rows(out: out, newTasksFrom: newTasksFrom) }

    /// A transaction in one batch: SQLite writes the events as fast without parts (0.75 of
    /// `sqlite3 .import`), and its transactions of 50 000 messages keep little in memory.
    public var writesInParts: Bool { false }

    public func write(_ batch: any PreparedBatch, checkpoint: Checkpoint?, beforeCommit: () throws -> Void) throws {
        guard let checkpoint else { preconditionFailure("SQLiteStore does not write transactions in parts") }
        let rows = ownBatch(batch, as: Rows.self)
        let out = rows.out, newTasksFrom = rows.newTasksFrom
        try db.write { db in
            var topics = try BulkStatement(db, insertInto: "topics", columns: TopicRow.columns)
            for t in out.topics { t.bind(into: &topics); try topics.step(db) }
            var events = try BulkInsert(db, into: "event_rows", columns: ProjectedEvent.columns)
            try events.insert(count: out.events.count, in: db, id: { out.events[$0].id }) { i, s in out.events[i].bind(into: &s) }
            var anomalies = try BulkStatement(db, insertInto: "anomalies", columns: Anomaly.columns)
            for a in out.anomalies { a.bind(into: &anomalies); try anomalies.step(db) }
            let firstNew = out.firstNewTask(from: newTasksFrom)
            var insertTasks = try BulkInsert(db, into: "tasks", columns: TransferTask.columns)
            try insertTasks.insert(count: out.tasks.count - firstNew, in: db, id: { out.tasks[firstNew + $0].id }) { i, s in
                out.tasks[firstNew + i].bind(into: &s)
            }
            // Changed tasks set only their changing columns (the indexes on the others stay untouched).
            var updateTask = try BulkStatement(db, sql: """
                UPDATE tasks SET \(TransferTask.changingColumns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?
                """)
            if keyIndexed, out.tasks[firstNew...].contains(where: { $0.attempt == TransferTask.countedByStore }) {
                try Self.countAttempts(SQLiteConnection(db: db), slot: 1, newTasksFrom: newTasksFrom, nextTaskID: checkpoint.nextTaskID)
            }
            for t in out.tasks[..<firstNew] { t.bindChanges(into: &updateTask); try updateTask.step(db) }
            var devices = try BulkStatement(db, sql: Self.values("INSERT INTO devices", DeviceStats.columns) + " " + DeviceStats.onConflict("(product, device)"))
            for d in out.devices { d.bind(into: &devices); try devices.step(db) }
            var traffic = try BulkStatement(db, sql: Self.values("INSERT INTO traffic", Traffic.columns) + " " + Traffic.onConflict("(second)"))
            for (second, t) in out.traffic.sorted(by: { $0.key < $1.key }) { t.bind(into: &traffic, second: second); try traffic.step(db) }
            var recorder = try BulkStatement(db, insertInto: "recorder_events", columns: RecorderEvent.columns)
            for r in out.recorderEvents { r.bind(into: &recorder); try recorder.step(db) }
            let update = Self.checkpointUpdate(checkpoint)
            try SQLiteConnection(db: db).execute(update.sql, update.arguments)
            try beforeCommit()
        }
    }

    /// `start (columns…) VALUES (?, …)`.
    private static func values(_ start: String, _ columns: [String]) -> String {
        "\(start) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
    }

    /// Lets another projector open the file (after this store's last write).
    public func releaseWriterLock() { writerLock = nil }

    /// The events before the first one at or after `cutoff`, in capture order: the rows are in that
    /// order (`id`) and `time` has no index, so this reads from the start to that event (after the
    /// first run, little more than what it deletes) instead of every event at each hourly run.
    /// (After a step back of the recorder's clock, an older event past that one stays.)
    public func dropEvents(before cutoff: UInt64) throws -> EventsDropped {
        try naming {
            try db.write { db in
                try db.execute(sql: """
                    DELETE FROM event_rows WHERE id < coalesce((SELECT id FROM event_rows WHERE time >= ? ORDER BY id LIMIT 1),
                                                               (SELECT max(id) + 1 FROM event_rows))
                    """, arguments: [Int64(clamping: cutoff)])
                return EventsDropped(events: Int64(db.changesCount))
            }
        }
    }

    /// Computes the statistics, unless they are current. The tasks table's column widths are read on a connection and a thread of their own, in
    /// parallel with the rest: their pass over every task took 0.27 s of a 5.3 M-event projection,
    /// after the 0.37 s of the distributions' and ANALYZE's 0.15 s.
    public func refreshStatistics() throws {
        guard try !read(ReportStatistics.areCurrent) else { return }
        let widths = OnItsOwnThread { [path] in
            // Not memory mapped: the mapped pages of every task would count as the projection's
            // memory (peak RSS 527–533 MiB instead of 418–460 on 5.3 M events).
            let reading = try DatabaseQueue(path: path, configuration: Self.configuration(readonly: true, mapped: false))
            defer { try? reading.close() }
            return try reading.read { db in try Reports.taskTableWidths(ReportContext(db: SQLiteConnection(db: db), filters: ReportFilters())) }
        }
        try db.write { db in
            try Self.analyzeIfGrown(db)
            try ReportStatistics.refresh(SQLiteConnection(db: db), widths: widths.get)
        }
    }

    /// Runs SQLite's ANALYZE on `tasks` and `anomalies` when `tasks` has more than doubled since the
    /// last (0.2–0.5 s on 534 k tasks). Without it, SQLite takes every index for selective: with
    /// `--product` it walked an index on (product, device) through half of all tasks where an
    /// index of the open tasks picks out the few (`report stalled --product`: 0.47 s before,
    /// 0.09 s after).
    private static func analyzeIfGrown(_ db: Database) throws {
        let tasks = try Int.fetchOne(db, sql: "SELECT count(*) FROM tasks") ?? 0
        var analyzed = 0
        if try db.tableExists("sqlite_stat1") {
            let stat = try String.fetchOne(db, sql: "SELECT stat FROM sqlite_stat1 WHERE tbl = 'tasks' AND idx = 'tasks_by_key'")
            analyzed = stat.flatMap { $0.split(separator: " ").first }.flatMap { Int($0) } ?? 0
        }
        if tasks > 2 * analyzed { try db.execute(sql: "ANALYZE tasks; ANALYZE anomalies") }
    }
}
