import Foundation
import Postgres

/// The projection in a PostgreSQL database, shared by everyone who can reach the server: the
/// schema of `PostgresSchema`, each batch and the checkpoint in one transaction, one projector
/// at a time (an advisory lock), reports on a snapshot (`REPEATABLE READ`).
public final class PostgresStore: ProjectionStore, @unchecked Sendable {
    // @unchecked: the connection is used under `lock` only; `rebuiltBecause` is set in `init`.
    public let name: String
    public private(set) var rebuiltBecause: String?
    private let connection: PostgresConnection
    private let lock = NSLock()
    private var holdsWriterLock = false
    /// The advisory lock a projector holds: "restrace" in ASCII.
    static let writerLockKey: Int64 = 0x7265_7374_7261_6365

    private var sql: PostgresSQLConnection { PostgresSQLConnection(connection: connection) }

    /// Opens (or creates) the projection in the database at `url` for writing the capture
    /// `captureID`. One of another projection version is started over; one of another capture only
    /// with `rebuildBecause` (`--rebuild`), since others may be reading it.
    public init(url: String, password: String?, captureID: String, rebuildBecause: String? = nil) throws {
        name = url
        connection = try Self.connect(url, password: password)
        let db = sql
        try ProjectionError.naming(url) {
            let locked: Int64 = try db.value("SELECT CASE WHEN pg_try_advisory_lock(?) THEN 1 ELSE 0 END", [.integer(Self.writerLockKey)]) ?? 0
            guard locked == 1 else { throw ProjectionError.busy(path: url) }
            holdsWriterLock = true
            var reason = rebuildBecause
            var exists = true
            switch try Self.inspect(db, captureID: captureID) {
            case .foreign(let why): throw ProjectionError.database(path: url, reason: "\(why); not overwritten (give another database)")
            case .missing: exists = false
            case .stale(let why): reason = reason ?? why
            case .otherCapture(let id):
                guard reason != nil else {
                    throw ProjectionError.database(path: url, reason: "holds the projection of another capture (\(id)); give --rebuild to replace it, or another database")
                }
            case .current: break
            }
            if let reason, exists {
                try transaction { db in
                    for view in PostgresSchema.objects.views { try db.execute("DROP VIEW IF EXISTS \(view) CASCADE") }
                    for table in PostgresSchema.objects.tables { try db.execute("DROP TABLE IF EXISTS \(table) CASCADE") }
                }
                rebuiltBecause = reason
                exists = false
            }
            if !exists {
                try transaction { db in
                    try connection.executeScript(PostgresSchema.tables + PostgresSchema.views)
                    try db.execute("INSERT INTO checkpoint (id, capture_id, events, next_task_id, projection_version) VALUES (1, ?, 0, 1, ?)",
                                   [.text(captureID), .integer(Int64(ProjectionSchema.version))])
                }
            }
            // Where a batch's changed tasks, devices and seconds wait to be merged (emptied at each commit).
            try connection.executeScript("""
                CREATE TEMP TABLE task_changes ON COMMIT DELETE ROWS AS
                  SELECT \(TransferTask.changingColumns.joined(separator: ", ")), id FROM tasks WITH NO DATA;
                CREATE TEMP TABLE device_changes ON COMMIT DELETE ROWS AS SELECT \(DeviceStats.columns.joined(separator: ", ")) FROM devices WITH NO DATA;
                CREATE TEMP TABLE traffic_changes ON COMMIT DELETE ROWS AS SELECT \(Traffic.columns.joined(separator: ", ")) FROM traffic WITH NO DATA;
                """)
        }
    }

    /// Opens the projection in the database at `url` for reading only (reports).
    public init(readingFrom url: String, password: String?) throws {
        name = url
        connection = try Self.connect(url, password: password)
        try ProjectionError.naming(url) {
            switch try Self.inspect(sql, captureID: nil) {
            case .foreign(let why): throw ProjectionError.database(path: url, reason: why)
            case .missing: throw ProjectionError.database(path: url, reason: "no restrace projection in this database: run `restrace project CAPTURE --db \(url)` first")
            case .stale(let why): throw ProjectionError.database(path: url, reason: "\(why): run `restrace project CAPTURE --db \(url)` to rebuild it")
            case .otherCapture, .current: break
            }
        }
    }

    deinit { releaseWriterLock() }

    private static func connect(_ url: String, password: String?) throws -> PostgresConnection {
        do {
            return try PostgresConnection(url: url, password: password)
        } catch let e as PostgresError {
            throw ProjectionError.database(path: url, reason: e.message)
        }
    }

    /// What the database holds.
    private enum Existing { case missing, foreign(String), stale(String), otherCapture(String), current }

    private static func inspect(_ db: PostgresSQLConnection, captureID: String?) throws -> Existing {
        let hasCheckpoint: Int64 = try db.value("SELECT CASE WHEN to_regclass('checkpoint') IS NULL THEN 0 ELSE 1 END") ?? 0
        guard hasCheckpoint == 1 else {
            let hasTasks: Int64 = try db.value("SELECT CASE WHEN to_regclass('tasks') IS NULL THEN 0 ELSE 1 END") ?? 0
            return hasTasks == 1 ? .foreign("holds a tasks table that is not restrace's (no checkpoint table)") : .missing
        }
        let versioned: Int64 = try db.value("""
            SELECT count(*) FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = 'checkpoint' AND column_name = 'projection_version'
            """) ?? 0
        guard versioned == 1 else { return .foreign("holds a checkpoint table that is not restrace's") }
        guard let row = try db.one("SELECT projection_version, capture_id FROM checkpoint WHERE id = 1") else { return .stale("an empty projection") }
        let version: Int64 = row[0]
        if version != Int64(ProjectionSchema.version) { return .stale("made by projection version \(version), this is \(ProjectionSchema.version)") }
        if let captureID, row[1] as String != captureID { return .otherCapture(row[1]) }
        return .current
    }

    public func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            let result = try body(sql)
            try connection.execute("COMMIT")
            return result
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    public func transaction(_ body: (any SQLConnection) throws -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        try connection.execute("BEGIN")
        do {
            try body(sql)
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    public func write(_ out: ReducerOutput, checkpoint: Checkpoint, newTasksFrom: Int64, beforeCommit: () throws -> Void) throws {
        try transaction { db in
            try copy("topics", TopicRow.columns) { r in for t in out.topics { t.bind(into: &r); r.endRow() } }
            try copy("event_rows", ProjectedEvent.columns) { r in for e in out.events { r.bind(e.id); e.bind(into: &r); r.endRow() } }
            try copy("anomalies", Anomaly.columns) { r in for a in out.anomalies { a.bind(into: &r); r.endRow() } }
            let firstNew = out.firstNewTask(from: newTasksFrom)
            try copy("tasks", TransferTask.columns) { r in for t in out.tasks[firstNew...] { r.bind(t.id); t.bind(into: &r); r.endRow() } }
            if firstNew > 0 {
                try copy("task_changes", TransferTask.changingColumns + ["id"]) { r in
                    for t in out.tasks[..<firstNew] { t.bindChanges(into: &r); r.endRow() }
                }
                try db.execute("""
                    UPDATE tasks SET \(TransferTask.changingColumns.map { "\($0) = c.\($0)" }.joined(separator: ", "))
                    FROM task_changes c WHERE tasks.id = c.id
                    """)
            }
            if !out.devices.isEmpty {
                try copy("device_changes", DeviceStats.columns) { r in for d in out.devices { d.bind(into: &r); r.endRow() } }
                let columns = DeviceStats.columns.joined(separator: ", ")
                try db.execute("INSERT INTO devices (\(columns)) SELECT \(columns) FROM device_changes \(DeviceStats.onConflict(PostgresSchema.deviceKey))")
            }
            if !out.traffic.isEmpty {
                try copy("traffic_changes", Traffic.columns) { r in
                    for (second, t) in out.traffic.sorted(by: { $0.key < $1.key }) { t.bind(into: &r, second: second); r.endRow() }
                }
                let columns = Traffic.columns.joined(separator: ", ")
                try db.execute("INSERT INTO traffic (\(columns)) SELECT \(columns) FROM traffic_changes \(Traffic.onConflict)")
            }
            try copy("recorder_events", RecorderEvent.columns) { r in for e in out.recorderEvents { e.bind(into: &r); r.endRow() } }
            let update = Self.checkpointUpdate(checkpoint)
            try db.execute(update.sql, update.arguments)
            try beforeCommit()
        }
    }

    /// COPYs the rows `fill` writes into `table`'s `columns`; nothing when it writes none.
    private func copy(_ table: String, _ columns: [String], _ fill: (inout CopyRows) -> Void) throws {
        var rows = CopyRows()
        fill(&rows)
        guard rows.rows > 0 else { return }
        if let refused = rows.refused {
            throw ProjectionError.database(path: name, reason: "a text value for \(table) holds a NUL byte, which PostgreSQL cannot store (\(refused.debugDescription)); project this capture into SQLite instead")
        }
        try connection.copy("COPY \(table) (\(columns.joined(separator: ", "))) FROM STDIN", data: rows.bytes)
    }

    public func ensureIndexes() throws {
        try transaction { db in
            for index in PostgresSchema.indexes { try db.execute(index) }
        }
    }

    /// Runs ANALYZE on the tables the reports read (PostgreSQL samples them: a fraction of a
    /// second however large they are), then computes the statistics, unless they are current.
    public func refreshStatistics() throws {
        guard try !read(ReportStatistics.areCurrent) else { return }
        lock.lock()
        try? connection.execute("ANALYZE tasks, anomalies, devices, traffic, recorder_events")
        lock.unlock()
        try transaction { db in
            try ReportStatistics.refresh(db) { try Reports.taskTableWidths(ReportContext(db: db, filters: ReportFilters())) }
        }
    }

    public func releaseWriterLock() {
        lock.lock()
        defer { lock.unlock() }
        guard holdsWriterLock else { return }
        try? connection.execute("SELECT pg_advisory_unlock($1)", [String(Self.writerLockKey)])
        holdsWriterLock = false
    }
}
