/// The attempt numbers the reducer leaves to the store, and the archived tasks it reads back by
/// key: what lets the reducer keep only a Bloom filter of the keys whose tasks left its memory
/// (`ArchivedKeys`).
///
/// Numbering a batch's tasks needs an index by key (SQLite's unique `tasks_by_key`, PostgreSQL's
/// hash index by device), which a fresh projection builds at the end of its run with the others: kept
/// up to date from the first row, it made the bench capture's projection a third slower, and each
/// batch rewrites index pages all over the file. Until it is there, a task whose number the store
/// counts is written with none (NULL), and the end of the run numbers them all (SQLite as it
/// copies `tasks`, PostgreSQL with `numberAttempts` before it builds its indexes). From then on
/// each batch numbers its own (`countAttempts`).
extension ProjectionStore {
    /// Numbers the tasks of a batch written without a number (`TransferTask.countedByStore`): one
    /// more than the latest attempt of their key, and the attempts of a key that this batch starts
    /// one after the other in id order. Run after the batch's new tasks are written, in the same
    /// transaction, when the key index exists; the batch made the ids from `newTasksFrom` up to
    /// `nextTaskID` (both bounds: with only the lower one, SQLite read the whole key index for the
    /// window's order).
    static func countAttempts(_ db: any SQLConnection, slot: Int64, newTasksFrom: Int64, nextTaskID: Int64) throws {
        try db.execute("""
            UPDATE tasks SET attempt = counted.attempt FROM (
              SELECT n.id, coalesce((SELECT max(p.attempt) FROM tasks p
                                     WHERE \(sameKey("p", "n")) AND \(Checkpoint.ownsID("p.id", slot: slot))), 0)
                           + row_number() OVER (PARTITION BY n.device, n.name, n.product, n.kind ORDER BY n.id) AS attempt
              FROM tasks n WHERE n.id >= ? AND n.id < ? AND n.attempt IS NULL) counted
            WHERE tasks.id = counted.id
            """, [.integer(newTasksFrom), .integer(nextTaskID)])
    }

    /// Numbers every task of the capture written without a number: a key's attempts are its
    /// tasks in id order (each new attempt takes the next id), so its number is its rank there,
    /// among the tasks of the keys that have one without a number. One sort of those, no index
    /// needed (in PostgreSQL on the bench capture's 534 k tasks, 144 k of them without a number,
    /// 1.9–2.3 s, where a count through the key index for each took 7.3 s).
    static func numberAttempts(_ db: any SQLConnection, slot: Int64) throws {
        let own = Checkpoint.ownsID("id", slot: slot)
        try db.execute("""
            UPDATE tasks SET attempt = ranked.attempt FROM (
              SELECT id, attempt AS written, row_number() OVER (PARTITION BY device, name, product, kind ORDER BY id) AS attempt
              FROM tasks WHERE \(own) AND (device, name, product, kind) IN (SELECT device, name, product, kind FROM tasks WHERE attempt IS NULL AND \(own))
            ) ranked
            WHERE tasks.id = ranked.id AND ranked.written IS NULL
            """)
    }

    /// The latest attempt of `key` as committed, if this capture has any: the last task of the key
    /// by id, read backwards from the newest task while a fresh projection has no key index yet
    /// (an archived task has usually just left memory when a late message needs it).
    public func latestTask(of key: TaskKey) throws -> TransferTask? {
        try naming {
            try read { db in
                var task: TransferTask?
                try db.each("""
                    SELECT \(TransferTask.selection("t")) FROM tasks t
                    WHERE t.device = ? AND t.name = ? AND t.product = ? AND t.kind = ?
                      AND \(Checkpoint.ownsID("t.id", slot: slot ?? 1))
                    ORDER BY t.id DESC LIMIT 1
                    """, [.text(key.device), .text(key.name), .text(key.product), .text(key.kind.rawValue)]) { task = TransferTask(row: $0) }
                return task
            }
        }
    }

    /// `a` and `b` (table aliases) are tasks of the same key, compared column by column.
    static func sameKey(_ a: String, _ b: String) -> String {
        ["device", "name", "product", "kind"].map { "\(a).\($0) = \(b).\($0)" }.joined(separator: " AND ")
    }
}
