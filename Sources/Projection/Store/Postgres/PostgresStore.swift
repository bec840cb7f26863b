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
    /// For connections of its own at the end of a run (`ensureIndexes`, `refreshStatistics`).
    private let password: String?
    private let lock = NSLock()
    private var holdsWriterLock = false
    /// The days of the transaction whose parts were written (`write` without a checkpoint), not
    /// yet committed; nil when none is open. Read under `lock`.
    private var openTransaction: Set<EventPartition>?
    public private(set) var slot: Int64?
    /// Whether the reports' indexes (`tasks_by_device` among them, through which `countAttempts`
    /// finds a key's tasks) were there when this projector opened the database, or are since: then
    /// each batch numbers its own attempts. Used on the writer's thread.
    private var indexed = false

    private var sql: PostgresSQLConnection { PostgresSQLConnection(connection: connection) }

    /// Opens (or creates) the projection in the database at `url` for writing the capture
    /// `captureID`, beside any others it holds. A projection of another projection version is
    /// started over (all its captures); with `rebuildBecause`, this capture's rows are.
    public init(url: String, password: String?, captureID: String, rebuildBecause: String? = nil) throws {
        name = url
        self.password = password
        connection = try Self.connect(url, password: password)
        let db = sql
        try ProjectionError.naming(url) {
            // The schema and the capture's row, under a lock every projector takes for this.
            var created = false
            try transaction { db in
                try db.execute("SELECT pg_advisory_xact_lock(\(Self.lockClass), 0)")
                switch try Self.inspect(db) {
                case .foreign(let why): throw ProjectionError.database(path: url, reason: "\(why); not overwritten (give another database)")
                case .stale(let why):
                    try Self.drop(db)
                    rebuiltBecause = why
                    created = true
                case .missing: created = true
                case .current: break
                }
                if created { try connection.executeScript(PostgresSchema.tables + PostgresSchema.views) }
                if let row: Int64 = try db.value("SELECT id FROM checkpoint WHERE capture_id = ?", [.text(captureID)]) {
                    slot = row
                } else {
                    slot = try db.value("SELECT coalesce(max(id), 0) + 1 FROM checkpoint") ?? 1
                    try Self.insertCheckpoint(db, slot: slot!, captureID: captureID)
                }
            }
            // One projector per capture; projectors of other captures write beside it.
            let locked: Int64 = try db.value("SELECT CASE WHEN pg_try_advisory_lock(\(Self.lockClass), ?) THEN 1 ELSE 0 END",
                                             [.integer(slot!)]) ?? 0
            guard locked == 1 else { throw ProjectionError.busy(path: url) }
            holdsWriterLock = true
            try db.execute("SELECT set_config('restrace.capture', ?, false)", [.text(String(slot!))])
            if let rebuildBecause, !created {
                try transaction { db in try Self.deleteCapture(db, slot: slot!, captureID: captureID) }
                rebuiltBecause = rebuildBecause
            }
            if try db.value("SELECT CASE WHEN to_regclass('tasks_by_device') IS NULL THEN 0 ELSE 1 END") == 1 {
                try numberAttempts()
                indexed = true
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

    /// The first key of restrace's advisory locks ("rest" in ASCII); the second is 0 for the
    /// schema (and the indexes), -1 for the statistics, or the capture's row for its projector.
    static let lockClass: Int32 = 0x7265_7374

    private static func insertCheckpoint(_ db: any SQLConnection, slot: Int64, captureID: String) throws {
        try db.execute("INSERT INTO checkpoint (id, capture_id, events, next_task_id, projection_version) VALUES (?, ?, 0, ?, ?)",
                       [.integer(slot), .text(captureID), .integer(Checkpoint.idBase(ofSlot: slot) + 1), .integer(Int64(ProjectionSchema.version))])
    }

    /// Drops every table and view of the projection.
    private static func drop(_ db: any SQLConnection) throws {
        for view in PostgresSchema.objects.views { try db.execute("DROP VIEW IF EXISTS \(view) CASCADE") }
        for table in PostgresSchema.objects.tables { try db.execute("DROP TABLE IF EXISTS \(table) CASCADE") }
    }

    /// Deletes one capture's rows and starts its checkpoint over; the other captures stay. The
    /// only capture's rows go by TRUNCATE (deleting 5 M events row by row took longer than
    /// projecting them).
    private static func deleteCapture(_ db: any SQLConnection, slot: Int64, captureID: String) throws {
        let others: Int64 = try db.value("SELECT count(*) FROM checkpoint WHERE id <> ?", [.integer(slot)]) ?? 0
        if others == 0 {
            try db.execute("TRUNCATE tasks, event_rows, topics, anomalies, devices, traffic, recorder_events, statistics, failure_statistics")
            // Built again after the rows, as for a new projection.
            for index in PostgresSchema.indexNames { try db.execute("DROP INDEX IF EXISTS \(index)") }
            try db.execute("DELETE FROM checkpoint")
            try insertCheckpoint(db, slot: slot, captureID: captureID)
            return
        }
        for table in ["tasks", "event_rows", "topics"] { try db.execute("DELETE FROM \(table) WHERE \(Checkpoint.ownsID("id", slot: slot))") }
        try db.execute("DELETE FROM anomalies WHERE \(Checkpoint.ownsID("event_id", slot: slot))")
        for table in ["devices", "traffic", "recorder_events"] { try db.execute("DELETE FROM \(table) WHERE capture = ?", [.integer(slot)]) }
        try db.execute("DELETE FROM checkpoint WHERE id = ?", [.integer(slot)])
        try insertCheckpoint(db, slot: slot, captureID: captureID)
    }

    /// Opens the projection in the database at `url` for reading only (reports).
    public init(readingFrom url: String, password: String?) throws {
        name = url
        self.password = password
        connection = try Self.connect(url, password: password)
        try ProjectionError.naming(url) {
            switch try Self.inspect(sql) {
            case .foreign(let why): throw ProjectionError.database(path: url, reason: why)
            case .missing: throw ProjectionError.database(path: url, reason: "no restrace projection in this database: run `restrace project CAPTURE --db \(url)` first")
            case .stale(let why): throw ProjectionError.database(path: url, reason: "\(why): run `restrace project CAPTURE --db \(url)` to rebuild it")
            case .current: break
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
    private enum Existing { case missing, foreign(String), stale(String), current }

    private static func inspect(_ db: any SQLConnection) throws -> Existing {
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
        let version: Int64 = try db.value("SELECT min(projection_version) FROM checkpoint") ?? Int64(ProjectionSchema.version)
        if version != Int64(ProjectionSchema.version) { return .stale("made by projection version \(version), this is \(ProjectionSchema.version)") }
        return .current
    }

    public func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try inTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    public func transaction(_ body: (any SQLConnection) throws -> Void) throws {
        try inTransaction("BEGIN", body)
    }

    /// Runs `body` between `begin` and COMMIT (ROLLBACK if it throws), the connection to itself;
    /// inside the transaction whose parts were written, if one is open (the reducer reads tasks
    /// back while the writer waits between parts: they see its rows, which are the committed
    /// ones but for events).
    private func inTransaction<T>(_ begin: String, _ body: (any SQLConnection) throws -> T) throws -> T {
        try locked {
            if openTransaction != nil { return try body(sql) }
            try connection.execute(begin)
            do {
                let result = try body(sql)
                try connection.execute("COMMIT")
                return result
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body` with the connection to itself (libpq's connections are not shared between threads).
    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    public func prepare(_ out: ReducerOutput, newTasksFrom: Int64) -> any PreparedBatch {
        CopyBatch(out, newTasksFrom: newTasksFrom)
    }

    /// Transactions in parts: the events as the reducer makes them, the tasks, devices and
    /// traffic once per transaction, when fewer of them change again in the next.
    public var writesInParts: Bool { true }

    public func write(_ prepared: any PreparedBatch, checkpoint: Checkpoint?, beforeCommit: () throws -> Void) throws {
        let batch = ownBatch(prepared, as: CopyBatch.self)
        let days = batch.days
        // A transaction's days are made before it begins, outside it (`makePartitions`).
        if let open = locked({ openTransaction }) {
            guard days.isSubset(of: open) else {
                throw ProjectionError.database(path: name, reason: "a part of a transaction holds events of a day it did not begin with (\(days.subtracting(open).map(\.name).sorted()))")
            }
        } else {
            try makePartitions(days)
        }
        try locked {
            if openTransaction == nil {
                try connection.execute("BEGIN")
                openTransaction = days
            }
            do {
                try copy("topics", TopicRow.columns, batch.topics)
                for (day, rows) in batch.events { try copy(day.name, ProjectedEvent.columns, rows) }
                try copy("anomalies", Anomaly.columns, batch.anomalies)
                try copy("recorder_events", RecorderEvent.columns, batch.recorderEvents)
                guard let checkpoint else { return }
                try writeChanges(batch, checkpoint: checkpoint)
                try beforeCommit()
                try connection.execute("COMMIT")
                openTransaction = nil
            } catch {
                try? connection.execute("ROLLBACK")
                openTransaction = nil
                throw error
            }
        }
    }

    /// A transaction's new and changed tasks, devices and traffic, and its checkpoint.
    private func writeChanges(_ batch: CopyBatch, checkpoint: Checkpoint) throws {
        let db = sql
        try copy("tasks", TransferTask.columns, batch.newTasks)
        if indexed, batch.countsAttempts { try Self.countAttempts(db, slot: slot!, newTasksFrom: batch.newTasksFrom, nextTaskID: checkpoint.nextTaskID) }
        if batch.changedTasks.rows > 0 {
            try copy("task_changes", TransferTask.changingColumns + ["id"], batch.changedTasks)
            try db.execute("""
                UPDATE tasks SET \(TransferTask.changingColumns.map { "\($0) = c.\($0)" }.joined(separator: ", "))
                FROM task_changes c WHERE tasks.id = c.id
                """)
        }
        if batch.devices.rows > 0 {
            try copy("device_changes", DeviceStats.columns, batch.devices)
            try db.execute(Self.updateDevices)
            try db.execute(Self.insertNewDevices)
        }
        if batch.traffic.rows > 0 {
            try copy("traffic_changes", Traffic.columns, batch.traffic)
            let columns = Traffic.columns.joined(separator: ", ")
            try db.execute("INSERT INTO traffic (\(columns)) SELECT \(columns) FROM traffic_changes \(Traffic.onConflict(PostgresSchema.trafficKey))")
        }
        let update = Self.checkpointUpdate(checkpoint)
        try db.execute(update.sql, update.arguments)
    }

    /// A batch's known devices updated in place, joined on their names, then its new ones added:
    /// most batches change every device of the fleet, and an upsert on the unique key (whose md5
    /// expressions it computes for every row) took 115 ms for 8 000 devices where these take
    /// 16 ms and a few (with `devices` at fillfactor 50, so that an update stays on its page and
    /// touches no index; 65 ms at 100; docs/performance.md).
    private static let updateDevices = """
        UPDATE devices d SET \(DeviceStats.changingColumns.map { "\($0) = c.\($0)" }.joined(separator: ", "))
        FROM device_changes c
        WHERE d.capture = current_setting('restrace.capture')::bigint AND d.product = c.product AND d.device = c.device
        """
    private static let insertNewDevices = """
        INSERT INTO devices (\(DeviceStats.columns.joined(separator: ", ")))
        SELECT \(DeviceStats.columns.map { "c.\($0)" }.joined(separator: ", ")) FROM device_changes c
        WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.capture = current_setting('restrace.capture')::bigint
                          AND d.product = c.product AND d.device = c.device)
        """

    /// Makes the day partitions a transaction's events go into (`days`) that `event_rows` lacks,
    /// before it begins, each in a short transaction of its own under the schema lock (making one
    /// locks `event_rows` whole: never inside a transaction, where it would wait for other
    /// projectors' transactions while they wait for it; `BatchProducer.oneDayPerTransaction`).
    /// The list is read each time: another projector's retention may have dropped a day.
    private func makePartitions(_ days: Set<EventPartition>) throws {
        guard !days.isEmpty else { return }
        let existing = Set(try read { db in try db.all(EventPartition.listQuery).map { $0["name"] as String } })
        for p in days.sorted(by: { $0.day < $1.day }) where !existing.contains(p.name) {
            try transaction { db in
                try db.execute("SELECT pg_advisory_xact_lock(\(Self.lockClass), 0)")
                try db.execute(p.createStatement)
            }
        }
    }

    public func dropEvents(before cutoff: UInt64) throws -> EventsDropped {
        let limit = Int64(clamping: cutoff)
        let old = try read { db in
            try db.all(EventPartition.listQuery).compactMap { r -> String? in
                guard let end = EventPartition.upperBound(r["bound"]), end <= limit else { return nil }
                return r["name"] as String
            }
        }
        for name in old {
            try transaction { db in
                try db.execute("SELECT pg_advisory_xact_lock(\(Self.lockClass), 0)")
                try db.execute("DROP TABLE IF EXISTS \(name)")
            }
        }
        return EventsDropped(days: old.count)
    }

    /// COPYs `rows` into `table`'s `columns`; nothing when there are none.
    private func copy(_ table: String, _ columns: [String], _ rows: CopyRows) throws {
        guard rows.rows > 0 else { return }
        if let refused = rows.refused {
            throw ProjectionError.database(path: name, reason: "a text value for \(table) holds a NUL byte, which PostgreSQL cannot store (\(refused.debugDescription)); project this capture into SQLite instead")
        }
        let sql = "COPY \(table) (\(columns.joined(separator: ", "))) FROM STDIN (FORMAT binary)"
        try CopyRows.trailer.withUnsafeBytes { trailer in try connection.copy(sql, data: rows.bytes, trailer) }
    }

    public func ensureIndexes() throws {
        // One index a transaction, under the lock projectors of other captures take to build them
        // too: an index waits for the others' writes to its table, and holding one table's lock
        // while waiting for another's deadlocked four projectors at once.
        try numberAttempts()  // first: updated rows would each add entries to every index
        // Meanwhile the statistics, on a connection of their own: they only read, as an index
        // build does (0.6 s of the bench capture's projection). A projector that goes on (follow)
        // computes them again at its end; if this fails, that is when.
        let statistics = OnItsOwnThread { [name, password] in try PostgresStore(readingFrom: name, password: password).refreshStatistics() }
        defer { _ = try? statistics.get() }
        for index in PostgresSchema.indexes {
            try transaction { db in
                try db.execute("SELECT pg_advisory_xact_lock(\(Self.lockClass), 0)")
                try db.execute(index)
            }
        }
        indexed = true
    }

    /// Numbers this capture's attempts written before the key index was there (at the end of a
    /// fresh projection; when a projector opens it, for those an interrupted one left while
    /// another capture's projector built the index), and from then on each batch numbers its own.
    private func numberAttempts() throws {
        guard let slot else { return }
        try transaction { db in
            // Found through `tasks_unnumbered` without a scan: most runs have none.
            guard try db.value("SELECT 1 FROM tasks WHERE attempt IS NULL AND \(Checkpoint.ownsID("id", slot: slot)) LIMIT 1") as Int64? != nil else { return }
            try Self.numberAttempts(db, slot: slot)
        }
    }

    /// Runs ANALYZE on the tables the reports read (PostgreSQL samples them: a fraction of a
    /// second however large they are) and computes the statistics, unless they are current.
    public func refreshStatistics() throws {
        guard try !read(ReportStatistics.areCurrent) else { return }
        // On a connection of its own, while this one computes the statistics (they read every task
        // and need no planner's statistics): 0.5 s of the bench capture's projection.
        let analyzed = OnItsOwnThread { [name, password] in
            try Self.connect(name, password: password).execute("ANALYZE tasks, anomalies, devices, traffic, recorder_events")
        }
        defer { _ = try? analyzed.get() }
        // One projector at a time writes the statistics (the lock taken before the snapshot is), and
        // from one snapshot with the event counts they are stamped with: when a projector of another
        // capture commits meanwhile, this one gives way (they stay not current).
        try locked { try connection.execute("SELECT pg_advisory_lock(\(Self.lockClass), -1)") }
        defer { _ = try? locked { try connection.execute("SELECT pg_advisory_unlock(\(Self.lockClass), -1)") } }
        do {
            try inTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ") { db in
                try ReportStatistics.refresh(db) { try Reports.taskTableWidths(ReportContext(db: db, filters: ReportFilters())) }
            }
        } catch let e as PostgresError where e.sqlState == "40001" {}
    }

    public func releaseWriterLock() {
        locked {
            guard holdsWriterLock else { return }
            if let slot { try? connection.execute("SELECT pg_advisory_unlock(\(Self.lockClass), $1)", [String(slot)]) }
            holdsWriterLock = false
        }
    }
}
