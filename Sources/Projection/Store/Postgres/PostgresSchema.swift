/// The PostgreSQL schema of the projection: the tables, columns and view of `SQLiteSchema` with
/// the same names in the same order, in the connection's current schema (`public` unless the URL
/// sets `options=-csearch_path=…`), so that `SELECT * FROM tasks` reads it as on SQLite. Integers are `bigint`; text is compared byte by byte (`COLLATE "C"`, as SQLite's
/// BINARY) so that every report sorts as on SQLite whatever the database's locale. The rows of
/// `anomalies` and `recorder_events` get their ids from an identity, as SQLite's rowid.
/// `event_rows` has no primary key: its ids are unique by construction (each capture's range,
/// counted in the transaction that commits the checkpoint), no report looks an event up by id, and
/// keeping that index took a fifth of a 5.3 M-event projection (35.9 s with it, 28.6 s without).
/// It is partitioned by UTC day of `time` (`EventPartition`, made as events of a new day come), so
/// that `project --retain` drops old days whole.
///
/// A database holds several captures, each with its row in `checkpoint`: their events, tasks and
/// topics are numbered in ranges of their own (`Checkpoint.idBase`), and the rows of `devices`,
/// `traffic` and `recorder_events` carry the capture's row number in `capture` (set from the
/// writing connection's `restrace.capture`, so that a row binds the same columns as in SQLite).
///
/// A B-tree entry holds at most 2 704 bytes, and a device or a file name may be far longer (a topic
/// level up to 64 KiB, a name as long as the payload): texts that come from devices are never a
/// B-tree key as they are. The unique keys of `topics` and `devices` are on their `md5`, and
/// lookups by device go through hash indexes, which store a 4-byte hash whatever the length.
enum PostgresSchema {
    /// The conflict target of the upsert of `traffic`: its unique key.
    static let trafficKey = "(capture, second)"

    /// What a rebuild drops: the views first, then the tables.
    static let objects = (views: ["events", "tasks_per_minute", "failure_causes", "open_tasks"],
                          tables: ["tasks", "topics", "event_rows", "anomalies", "devices", "traffic", "recorder_events",
                                   "checkpoint", "statistics", "failure_statistics"])

    static let tables = """
        CREATE TABLE tasks (
            id bigint PRIMARY KEY,
            kind text COLLATE "C" NOT NULL CHECK (kind = 'upload' OR kind = 'download'),
            product text COLLATE "C" NOT NULL,
            device text COLLATE "C" NOT NULL,
            name text COLLATE "C" NOT NULL,
            attempt bigint CHECK (attempt >= 1),  -- NULL until the key index is there (countAttempts)
            state text COLLATE "C" NOT NULL CHECK (state = 'requested' OR state = 'offered' OR state = 'transferring' OR state = 'done' OR state = 'failed' OR state = 'superseded'),
            stalled bigint NOT NULL DEFAULT 0 CHECK (stalled = 0 OR stalled = 1),
            size bigint,
            md5sum text COLLATE "C",
            last_percent bigint,
            result_code bigint,
            result_msg text COLLATE "C",
            failed_by text COLLATE "C" CHECK (failed_by = 'device' OR failed_by = 'platform'),
            fail_reports bigint NOT NULL CHECK (fail_reports >= 0),
            offers bigint NOT NULL CHECK (offers >= 0),
            progress_reports bigint NOT NULL CHECK (progress_reports >= 0),
            requested_at bigint,
            offered_at bigint,
            first_progress_at bigint,
            last_event_at bigint NOT NULL,
            finished_at bigint,
            duration_s double precision,
            bytes_per_s double precision,
            started_at bigint NOT NULL,
            pending_responses bigint NOT NULL DEFAULT 0
        );

        -- The tasks whose attempt the store has yet to number (countAttempts): found without a scan.
        CREATE INDEX tasks_unnumbered ON tasks (id) WHERE attempt IS NULL;

        CREATE TABLE topics (
            id bigint PRIMARY KEY,
            direction text COLLATE "C" NOT NULL CHECK (direction = 'up' OR direction = 'down'),
            product text COLLATE "C" NOT NULL,
            device text COLLATE "C" NOT NULL
        );
        CREATE UNIQUE INDEX topics_key ON topics (((id - 1) / \(Checkpoint.idSpan)), direction, md5(product), md5(device));

        CREATE TABLE event_rows (
            id bigint NOT NULL,  -- unique by construction; no index (as SQLite's rowid costs nothing)
            time bigint NOT NULL,
            raw_topic text COLLATE "C",
            topic_id bigint,
            type text COLLATE "C",
            name text COLLATE "C",
            task_id bigint,
            percent bigint,
            state text COLLATE "C",
            result_code bigint,
            payload_bytes bigint NOT NULL,
            position text COLLATE "C" NOT NULL,
            CHECK (raw_topic IS NOT NULL OR topic_id IS NOT NULL)
        ) PARTITION BY RANGE (time);

        CREATE VIEW events AS
        SELECT e.id, e.time, coalesce(e.raw_topic, '$resource/' || t.direction || '/service/' || t.product || '/' || t.device) AS topic,
               t.product, t.device, t.direction, e.type, e.name, e.task_id, e.percent, e.state, e.result_code, e.payload_bytes,
               e.position
        FROM event_rows e LEFT JOIN topics t ON t.id = e.topic_id;

        CREATE TABLE anomalies (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            kind text COLLATE "C" NOT NULL,
            time bigint NOT NULL,
            topic text COLLATE "C" NOT NULL,
            product text COLLATE "C",
            device text COLLATE "C",
            event_id bigint NOT NULL,
            position text COLLATE "C" NOT NULL,
            task_id bigint,
            detail text COLLATE "C" NOT NULL
        );

        CREATE TABLE devices (
            product text COLLATE "C" NOT NULL,
            device text COLLATE "C" NOT NULL,
            first_seen bigint NOT NULL,
            last_seen bigint NOT NULL,
            messages bigint NOT NULL,
            polls bigint NOT NULL,
            pending_poll bigint,
            capture bigint NOT NULL DEFAULT current_setting('restrace.capture')::bigint
        ) WITH (fillfactor = 50);
        CREATE UNIQUE INDEX devices_key ON devices (capture, md5(product), md5(device));

        CREATE TABLE traffic (
            second bigint NOT NULL,
            up_messages bigint NOT NULL,
            down_messages bigint NOT NULL,
            up_bytes bigint NOT NULL,
            down_bytes bigint NOT NULL,
            upload_bytes bigint NOT NULL,
            download_bytes bigint NOT NULL,
            uploads_started bigint NOT NULL,
            uploads_done bigint NOT NULL,
            uploads_failed bigint NOT NULL,
            downloads_started bigint NOT NULL,
            downloads_done bigint NOT NULL,
            downloads_failed bigint NOT NULL,
            capture bigint NOT NULL DEFAULT current_setting('restrace.capture')::bigint,
            PRIMARY KEY (capture, second)
        );

        CREATE TABLE recorder_events (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            time bigint NOT NULL,
            event text COLLATE "C" NOT NULL,
            detail text COLLATE "C" NOT NULL,
            capture bigint NOT NULL DEFAULT current_setting('restrace.capture')::bigint
        );

        CREATE TABLE checkpoint (
            id bigint PRIMARY KEY CHECK (id >= 1),
            capture_id text COLLATE "C" NOT NULL,
            events bigint NOT NULL,
            file text COLLATE "C",
            chunk_offset bigint,
            chunk_index bigint,
            chunk_fingerprint bigint,
            first_time bigint,
            last_time bigint,
            previous_time bigint,
            clock_steps_back bigint NOT NULL DEFAULT 0 CHECK (clock_steps_back >= 0),
            largest_step_back bigint NOT NULL DEFAULT 0,
            next_task_id bigint NOT NULL,
            projection_version bigint NOT NULL,
            statistics_events bigint
        );

        CREATE TABLE statistics (
            key text COLLATE "C" PRIMARY KEY,
            count bigint NOT NULL CHECK (count >= 0),
            p50 double precision,
            p95 double precision,
            p99 double precision,
            max double precision
        );

        CREATE TABLE failure_statistics (
            kind text COLLATE "C" NOT NULL,
            failed_by text COLLATE "C",
            result_code bigint,
            result_msg text COLLATE "C",
            tasks bigint NOT NULL,
            devices bigint NOT NULL,
            first_at bigint,
            last_at bigint,
            example bigint NOT NULL
        );
        """

    /// The secondary indexes, for the reports' queries (built after a fresh projection's rows, as on SQLite).
    static let indexes = [
        "CREATE INDEX IF NOT EXISTS tasks_by_device ON tasks USING hash (device)",
        "CREATE INDEX IF NOT EXISTS tasks_by_start ON tasks (started_at, id)",
        "CREATE INDEX IF NOT EXISTS tasks_by_finish ON tasks (finished_at, kind, state) WHERE finished_at IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS tasks_by_open ON tasks (last_event_at) WHERE \(TaskState.isOpenSQL("state"))",
        "CREATE INDEX IF NOT EXISTS tasks_by_stalled_mark ON tasks (id) WHERE stalled = 1",
        "CREATE INDEX IF NOT EXISTS tasks_by_failure ON tasks (finished_at) WHERE state = 'failed'",
        "CREATE INDEX IF NOT EXISTS anomalies_by_kind ON anomalies (kind, time)",
        "CREATE INDEX IF NOT EXISTS anomalies_by_time ON anomalies (time)",
        "CREATE INDEX IF NOT EXISTS anomalies_by_device ON anomalies USING hash (device)",
    ]

    /// The names of `indexes`.
    static let indexNames = indexes.map { String($0.split(separator: " ")[5]) }

    /// Views a dashboard (Grafana's PostgreSQL data source, Metabase) can chart directly; times
    /// as `timestamptz`, documented in docs/postgresql.md.
    static let views = """
        CREATE VIEW tasks_per_minute AS
        SELECT to_timestamp(started_at / 60000000000 * 60) AS minute, kind, state, count(*) AS tasks
        FROM tasks GROUP BY 1, 2, 3;

        CREATE VIEW failure_causes AS
        SELECT kind, failed_by, result_code, result_msg, count(*) AS tasks,
               count(DISTINCT product || '/' || device) AS devices,
               to_timestamp(min(finished_at) / 1e9) AS first_at, to_timestamp(max(finished_at) / 1e9) AS last_at
        FROM tasks WHERE state = 'failed' GROUP BY 1, 2, 3, 4;

        CREATE VIEW open_tasks AS
        SELECT id, kind, product, device, name, attempt, state, last_percent, to_timestamp(last_event_at / 1e9) AS last_event_at,
               stalled = 1 AS stalled
        FROM tasks WHERE state = 'requested' OR state = 'offered' OR state = 'transferring';
        """
}
