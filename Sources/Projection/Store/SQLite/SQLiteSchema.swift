import GRDB

/// The SQLite schema of the projection, as named migrations. Documented in docs/projection.md.
enum SQLiteSchema {
    /// `events` is a view of `event_rows` joined with `topics`: a row holds the topic as sent only
    /// when it is not a well-formed `$resource` topic (`raw_topic`), else the id of its topic's row
    /// (direction, product, device), from which the view spells it byte for byte as sent. Stored
    /// for every event, the topic made the 5 M-event projection a quarter larger (version 5), and
    /// its three parts bound and checked per event were 6.6 % of a projection's instructions
    /// (version 6). (A generated column would cost its concatenation on every insert: SQLite
    /// computes virtual columns when it writes a row.)
    ///
    /// The CHECK constraints compare with `=` and `OR`, not `IN (…)`: SQLite evaluates an `IN`
    /// list in a constraint by building a temporary index of it for every row written, which made
    /// inserting 534 k tasks take 2.7–3.3 s instead of 1.5–1.9 s (`x = 'a' OR x = 'b'` costs
    /// nothing measurable). Both allow NULL where the column does.
    static func migrator() -> DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v10: tasks, topics, events, anomalies, devices, traffic, recorder events, statistics, checkpoint") { db in
            try db.execute(sql: """
            CREATE TABLE tasks (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind = 'upload' OR kind = 'download'),
                product TEXT NOT NULL,
                device TEXT NOT NULL,
                name TEXT NOT NULL,
                attempt INTEGER CHECK (attempt >= 1),  -- NULL until the key index is there (countAttempts)
                state TEXT NOT NULL CHECK (state = 'requested' OR state = 'offered' OR state = 'transferring' OR state = 'done' OR state = 'failed' OR state = 'superseded'),
                stalled INTEGER NOT NULL DEFAULT 0 CHECK (stalled = 0 OR stalled = 1),
                size INTEGER,
                md5sum TEXT,
                last_percent INTEGER,
                result_code INTEGER,
                result_msg TEXT,
                failed_by TEXT CHECK (failed_by = 'device' OR failed_by = 'platform'),
                fail_reports INTEGER NOT NULL CHECK (fail_reports >= 0),
                offers INTEGER NOT NULL CHECK (offers >= 0),
                progress_reports INTEGER NOT NULL CHECK (progress_reports >= 0),
                requested_at INTEGER,
                offered_at INTEGER,
                first_progress_at INTEGER,
                last_event_at INTEGER NOT NULL,
                finished_at INTEGER,
                duration_s REAL,
                bytes_per_s REAL,
                started_at INTEGER NOT NULL,
                pending_responses INTEGER NOT NULL DEFAULT 0
            );

            CREATE TABLE topics (
                id INTEGER PRIMARY KEY,
                direction TEXT NOT NULL CHECK (direction = 'up' OR direction = 'down'),
                product TEXT NOT NULL,
                device TEXT NOT NULL,
                UNIQUE (direction, product, device)
            );

            CREATE TABLE event_rows (
                id INTEGER PRIMARY KEY,
                time INTEGER NOT NULL,
                raw_topic TEXT,
                topic_id INTEGER,
                type TEXT,
                name TEXT,
                task_id INTEGER,
                percent INTEGER,
                state TEXT,
                result_code INTEGER,
                payload_bytes INTEGER NOT NULL,
                position TEXT NOT NULL,
                CHECK (raw_topic IS NOT NULL OR topic_id IS NOT NULL)
            );

            CREATE VIEW events AS
            SELECT e.id, e.time, coalesce(e.raw_topic, '$resource/' || t.direction || '/service/' || t.product || '/' || t.device) AS topic,
                   t.product, t.device, t.direction, e.type, e.name, e.task_id, e.percent, e.state, e.result_code, e.payload_bytes,
                   e.position
            FROM event_rows e LEFT JOIN topics t ON t.id = e.topic_id;

            CREATE TABLE anomalies (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                time INTEGER NOT NULL,
                topic TEXT NOT NULL,
                product TEXT,
                device TEXT,
                event_id INTEGER NOT NULL,
                position TEXT NOT NULL,
                task_id INTEGER,
                detail TEXT NOT NULL
            );

            CREATE TABLE devices (
                product TEXT NOT NULL,
                device TEXT NOT NULL,
                first_seen INTEGER NOT NULL,
                last_seen INTEGER NOT NULL,
                messages INTEGER NOT NULL,
                polls INTEGER NOT NULL,
                pending_poll INTEGER,
                PRIMARY KEY (product, device)
            ) WITHOUT ROWID;

            CREATE TABLE traffic (
                second INTEGER PRIMARY KEY,
                up_messages INTEGER NOT NULL,
                down_messages INTEGER NOT NULL,
                up_bytes INTEGER NOT NULL,
                down_bytes INTEGER NOT NULL,
                upload_bytes INTEGER NOT NULL,
                download_bytes INTEGER NOT NULL,
                uploads_started INTEGER NOT NULL,
                uploads_done INTEGER NOT NULL,
                uploads_failed INTEGER NOT NULL,
                downloads_started INTEGER NOT NULL,
                downloads_done INTEGER NOT NULL,
                downloads_failed INTEGER NOT NULL
            );

            CREATE TABLE recorder_events (
                id INTEGER PRIMARY KEY,
                time INTEGER NOT NULL,
                event TEXT NOT NULL,
                detail TEXT NOT NULL
            );

            CREATE TABLE checkpoint (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                capture_id TEXT NOT NULL,
                events INTEGER NOT NULL,
                file TEXT,
                chunk_offset INTEGER,
                chunk_index INTEGER,
                chunk_fingerprint INTEGER,  -- what was at chunk_offset when committed: a rewritten file is noticed
                first_time INTEGER,
                last_time INTEGER,
                previous_time INTEGER,  -- the last message's time in capture order
                clock_steps_back INTEGER NOT NULL DEFAULT 0 CHECK (clock_steps_back >= 0),
                largest_step_back INTEGER NOT NULL DEFAULT 0,
                next_task_id INTEGER NOT NULL,
                projection_version INTEGER NOT NULL,
                statistics_events INTEGER  -- the events count `statistics` was computed at
            );

            CREATE TABLE statistics (
                key TEXT PRIMARY KEY,
                count INTEGER NOT NULL CHECK (count >= 0),
                p50 REAL,
                p95 REAL,
                p99 REAL,
                max REAL
            ) WITHOUT ROWID;

            CREATE TABLE failure_statistics (  -- `report failures` unfiltered, stored with `statistics`
                kind TEXT NOT NULL,
                failed_by TEXT,
                result_code INTEGER,
                result_msg TEXT,
                tasks INTEGER NOT NULL,
                devices INTEGER NOT NULL,
                first_at INTEGER,
                last_at INTEGER,
                example INTEGER NOT NULL
            );
            """)
        }
        return m
    }

    /// The secondary indexes, for the reports' queries. A fresh projection loads its rows first and
    /// builds these at the end of the run (one sort each, much faster than keeping them up to date
    /// row by row); from then on every batch maintains them. `events` has none: its rows are in
    /// capture order (`id`), no report reads it by time, and an index on `time` would cost a tenth
    /// of a 5 M-event projection. The percentiles have none either: the unfiltered ones are stored
    /// (`ReportStatistics`), the others read in one pass and sorted (`Distribution`); their five
    /// indexes took 2.7 s of a 5 M-event projection to build. Filters by device use `tasks_by_key`,
    /// which also numbers the attempts the reducer leaves to the store (`countAttempts`): kept up
    /// to date from the first row on, it made the bench capture's projection a third slower.
    static let indexes = [
        // Device and name first: nearly every comparison of the sort that builds it ends at the first
        // column (product first, it went on to the second: 1.07–1.42 s instead of 0.78–1.15 s on 534 k tasks).
        "CREATE UNIQUE INDEX IF NOT EXISTS tasks_by_key ON tasks (device, name, product, kind, attempt)",
        "CREATE INDEX IF NOT EXISTS tasks_by_start ON tasks (started_at)",  // rowid next: `report tasks` needs no sort
        "CREATE INDEX IF NOT EXISTS tasks_by_finish ON tasks (finished_at, kind, state) WHERE finished_at IS NOT NULL",
        // The open tasks by idleness (`stalled`, `markStalled`): a few thousand rows, where an index
        // of every task by state took 0.6 s of a 5.3 M-event projection to build.
        "CREATE INDEX IF NOT EXISTS tasks_by_open ON tasks (last_event_at) WHERE \(TaskState.isOpenSQL("state"))",
        "CREATE INDEX IF NOT EXISTS tasks_by_stalled_mark ON tasks (id) WHERE stalled = 1",  // markStalled reads no other task
        // Covers `report failures`, with any filter.
        "CREATE INDEX IF NOT EXISTS tasks_by_failure ON tasks (state, kind, failed_by, result_code, result_msg, product, device, finished_at, started_at) WHERE state = 'failed'",
        "CREATE INDEX IF NOT EXISTS anomalies_by_kind ON anomalies (kind, time)",
        "CREATE INDEX IF NOT EXISTS anomalies_by_time ON anomalies (time)",
        "CREATE INDEX IF NOT EXISTS anomalies_by_device ON anomalies (product, device, time)",
    ]
}
