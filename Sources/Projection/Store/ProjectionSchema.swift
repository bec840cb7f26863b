/// What both stores' schemas share.
enum ProjectionSchema {
    /// Bumped whenever the reducer or the schema changes: a projection of another version is rebuilt.
    static let version: Int32 = 8

    /// The secondary indexes, for the reports' queries, the same on both stores. A fresh projection loads its rows first and
    /// builds these at the end of the run (one sort each, much faster than keeping them up to date
    /// row by row); from then on every batch maintains them. `events` has none: its rows are in
    /// capture order (`id`), no report reads it by time, and an index on `time` would cost a tenth
    /// of a 5 M-event projection. The percentiles have none either: the unfiltered ones are stored
    /// (`ReportStatistics`), the others read in one pass and sorted (`Distribution`); their five
    /// indexes took 2.7 s of a 5 M-event projection to build. Filters by device use `tasks_by_key`.
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
