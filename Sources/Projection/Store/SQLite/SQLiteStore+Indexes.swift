import GRDB

extension SQLiteStore {
    /// Builds the indexes a fresh projection deferred (a no-op once they exist). Before building
    /// them the first time, the tables other than `event_rows` are copied once into consecutive pages
    /// at the end of the file, and the indexes follow them: written batch by batch between the
    /// events, those tables lay scattered over the whole file, and a report on a cold cache read
    /// them a page at a time. The old copies are dropped last, so that nothing new takes their
    /// pages before the next run.
    ///
    /// SQLite sorts an index's entries in runs of the page cache's size, then merges them: runs of
    /// 2 MiB, sorted by two threads, built the 5.3 M-event bench's indexes in 0.99–1.20 s instead of
    /// 1.65 s with the 64 MiB cache the rows are written with (and in 10–18 MiB instead of 114:
    /// `sqlite3` on a copy of that projection), so the cache is that small while they are built.
    public func ensureIndexes() throws {
        try db.write { db in
            let fresh = try !Self.hasIndex(db, "tasks_by_start")
            let moved = fresh ? try Self.copyIntoNewPages(db, tables: ["tasks", "anomalies", "devices", "traffic", "recorder_events"]) : []
            try db.execute(sql: "PRAGMA cache_size = -2048; PRAGMA threads = 2")
            defer { try? db.execute(sql: "PRAGMA cache_size = \(Self.cacheSize); PRAGMA threads = 0") }
            for sql in SQLiteSchema.indexes { try db.execute(sql: sql) }
            for old in moved { try db.execute(sql: "DROP TABLE \(old)") }
            try numberAttemptsOnce(db)
        }
    }

    public func ensureKeyIndex() throws {
        try naming {
            try db.write { db in
                guard !keyIndexed else { return }
                try db.execute(sql: SQLiteSchema.indexes[0])
                try numberAttemptsOnce(db)
            }
        }
    }

    /// Numbers the attempts written before the key index was there, once it is.
    private func numberAttemptsOnce(_ db: Database) throws {
        guard !keyIndexed else { return }
        try Self.numberAttempts(SQLiteConnection(db: db), slot: 1)
        keyIndexed = true
    }

    static func hasIndex(_ db: Database, _ name: String) throws -> Bool {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?", arguments: [name]) == 1
    }

    /// Copies each table into a new one of the same definition and name, without its indexes
    /// (dropped first: `indexes` makes them again on the new one); returns the names the old ones
    /// now have. Not `topics`: renaming it would rename it in the
    /// `events` view too (and it is a few hundred pages at most).
    private static func copyIntoNewPages(_ db: Database, tables: [String]) throws -> [String] {
        var moved: [String] = []
        for table in tables {
            guard let definition = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                                                       arguments: [table]) else { continue }
            for index in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                                             arguments: [table]) {
                try db.execute(sql: "DROP INDEX \(index)")
            }
            try db.execute(sql: "ALTER TABLE \(table) RENAME TO \(table)_scattered")
            try db.execute(sql: definition)
            try db.execute(sql: "INSERT INTO \(table) SELECT * FROM \(table)_scattered")
            moved.append("\(table)_scattered")
        }
        return moved
    }
}
