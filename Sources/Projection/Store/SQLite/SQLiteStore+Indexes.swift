import GRDB

extension SQLiteStore {
    /// Builds the indexes a fresh projection deferred (a no-op once they exist). Before building
    /// them the first time, the tables other than `event_rows` are copied once into consecutive pages
    /// at the end of the file, and the indexes follow them: written batch by batch between the
    /// events, those tables lay scattered over the whole file, and a report on a cold cache read
    /// them a page at a time. The old copies are dropped last, so that nothing new takes their
    /// pages before the next run. The copy of `tasks` numbers the attempts written without a
    /// number (`countAttempts`).
    ///
    /// SQLite sorts an index's entries in runs of the page cache's size, then merges them: runs of
    /// 2 MiB, sorted by two threads, built the 5.3 M-event bench's indexes in 0.99–1.20 s instead of
    /// 1.65 s with the 64 MiB cache the rows are written with (and in 10–18 MiB instead of 114:
    /// `sqlite3` on a copy of that projection), so the cache is that small while they are built.
    public func ensureIndexes() throws {
        try db.write { db in
            guard try !Self.hasIndex(db, "tasks_by_start") else { return }
            let moved = try Self.copyIntoNewPages(db, tables: ["tasks", "anomalies", "devices", "traffic", "recorder_events"])
            try db.execute(sql: "PRAGMA cache_size = -2048; PRAGMA threads = 2")
            defer { try? db.execute(sql: "PRAGMA cache_size = \(Self.cacheSize); PRAGMA threads = 0") }
            for sql in SQLiteSchema.indexes { try db.execute(sql: sql) }
            for old in moved { try db.execute(sql: "DROP TABLE \(old)") }
            keyIndexed = true
        }
    }

    static func hasIndex(_ db: Database, _ name: String) throws -> Bool {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?", arguments: [name]) == 1
    }

    /// Copies each table into a new one of the same definition and name; returns the names the
    /// old ones now have. Not `topics`: renaming it would rename it in the `events` view too (and
    /// it is a few hundred pages at most).
    ///
    /// A task without a number is numbered as it is copied: the count of its
    /// key's tasks up to its own id, read through an index of the old table's keys built for that
    /// (on the bench capture's 144 k such tasks of 534 k, 0.47 s for that index and 0.44 s more for
    /// the copy; numbering them in place after the key index took 2.2 s, a third of it writing the
    /// rows and index entries again). Whether there is any is one look through the old table
    /// (0.04 s on the bench capture's 534 k tasks as a run leaves them, 0.34 s from a cold cache).
    private static func copyIntoNewPages(_ db: Database, tables: [String]) throws -> [String] {
        var moved: [String] = []
        for table in tables {
            guard let definition = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                                                       arguments: [table]) else { continue }
            let old = "\(table)_scattered"
            try db.execute(sql: "ALTER TABLE \(table) RENAME TO \(old)")
            try db.execute(sql: definition)
            try db.execute(sql: "INSERT INTO \(table) SELECT \(try Self.copiedColumns(db, table, from: old)) FROM \(old) o")
            moved.append(old)
        }
        return moved
    }

    /// What `copyIntoNewPages` selects from `old` for `table`: `*`, which SQLite copies record by
    /// record without decoding them, unless tasks without a number are there to number.
    private static func copiedColumns(_ db: Database, _ table: String, from old: String) throws -> String {
        guard table == "tasks",
              try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM \(old) WHERE attempt IS NULL LIMIT 1)") == 1 else { return "*" }
        try db.execute(sql: "CREATE INDEX \(old)_by_key ON \(old) (device, name, product, kind)")
        return try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table]).map {
            $0 != "attempt" ? "o.\($0)"
                : "coalesce(o.attempt, (SELECT count(*) FROM \(old) p WHERE \(Self.sameKey("p", "o")) AND p.id <= o.id))"
        }.joined(separator: ", ")
    }
}
