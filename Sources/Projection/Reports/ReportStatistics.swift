/// What the unfiltered reports ask on every run, computed once at the end of a projection run: the
/// tasks per kind and state, the distributions of `report latency` and `report summary`, the
/// column widths of `report tasks`' table, and the failure causes (`failure_statistics`) of
/// `report failures` and `summary`. On 500 k tasks these read the whole table and take most
/// of those reports' time (or, for the tasks table, the time to its first line); stored, they are
/// read in a millisecond.
///
/// They are stamped with the checkpoint's event count and used only while it is unchanged: a
/// report on a projection still being written (`project --follow`) computes them itself.
enum ReportStatistics {
    /// The distributions kept: latency's, per kind, and summary's durations of both kinds.
    static let distributions: [(Measure, TaskKind?)] = Measure.latencyByKind + [(Measure.duration, nil)]

    private static func key(_ m: Measure, _ kind: TaskKind?) -> String { "\(m.name) \(kind?.rawValue ?? "all")" }
    private static func key(_ kind: TaskKind, _ state: TaskState) -> String { "tasks \(kind.rawValue) \(state.rawValue)" }
    private static func key(tasksColumn i: Int) -> String { "tasks table width \(i)" }

    /// Computes the statistics from the tasks and stamps them with the checkpoint's event count;
    /// `widths` gives the tasks table's (`Reports.taskTableWidths`, computed while the stored
    /// statistics are not current).
    static func refresh(_ db: any SQLConnection, widths: () throws -> [Int]) throws {
        try db.execute("DELETE FROM statistics")
        let (counts, all) = try Distribution.scan(db, distributions, filter: (ReportContext.everything, []),
                                                  percentiles: Distribution.storedPercentiles)
        for kind in TaskKind.allCases {
            for state in TaskState.allCases {
                try db.execute("INSERT INTO statistics (key, count) VALUES (?, ?)",
                               [.text(key(kind, state)), .integer(counts[kind]?[state] ?? 0)])
            }
        }
        for ((m, kind), d) in zip(distributions, all) {
            try db.execute("INSERT INTO statistics (key, count, p50, p95, p99, max) VALUES (?, ?, ?, ?, ?, ?)",
                           [.text(key(m, kind)), SQLValue(d.count), SQLValue(d.percentiles[0]), SQLValue(d.percentiles[1]),
                            SQLValue(d.percentiles[2]), SQLValue(d.max)])
        }
        for (i, width) in try widths().enumerated() {
            try db.execute("INSERT INTO statistics (key, count) VALUES (?, ?)", [.text(key(tasksColumn: i)), SQLValue(width)])
        }
        try db.execute("DELETE FROM failure_statistics")
        try db.execute("INSERT INTO failure_statistics \(Reports.failureCauses(where: ReportContext.everything))")
        try db.execute("UPDATE checkpoint SET statistics_events = events")
    }

    /// True when the statistics were computed at the checkpoint the projection is at.
    static func areCurrent(_ db: any SQLConnection) throws -> Bool {
        try db.value("""
            SELECT CASE WHEN count(statistics_events) = count(*) AND sum(statistics_events) = sum(events) THEN 1 ELSE 0 END FROM checkpoint
            """) ?? false
    }

    /// Every stored statistic by key, when they are current (`ReportContext` reads them once).
    static func load(_ db: any SQLConnection) throws -> [String: SQLRecord]? {
        guard try areCurrent(db) else { return nil }
        return Dictionary(uniqueKeysWithValues: try db.all("SELECT * FROM statistics").map { ($0["key"], $0) })
    }

    /// The tasks the report's filters match, per kind and state: stored when nothing is filtered.
    static func taskCounts(_ c: ReportContext) throws -> [TaskKind: [TaskState: Int64]] {
        let filter = c.taskConditions()
        var counts: [TaskKind: [TaskState: Int64]] = [:]
        if filter.sql == ReportContext.everything, let stored = c.statistics {
            for kind in TaskKind.allCases {
                for state in TaskState.allCases { counts[kind, default: [:]][state] = stored[key(kind, state)]?["count"] }
            }
            return counts
        }
        return try Distribution.scan(c.db, [], filter: filter, percentiles: []).counts
    }

    /// The stored distribution of `m` for `kind`, if `stored` has it with `percentiles`.
    static func distribution(_ stored: [String: SQLRecord]?, _ m: Measure, kind: TaskKind?, percentiles ps: [Double]) -> Distribution? {
        guard ps.allSatisfy(Distribution.storedPercentiles.contains), let row = stored?[key(m, kind)] else { return nil }
        let values: [Double: Double?] = [50: row["p50"], 95: row["p95"], 99: row["p99"]]
        return Distribution(count: row["count"], percentiles: ps.map { values[$0] ?? nil }, max: row["max"])
    }

    /// The stored widths of the tasks table's `columns` columns, if `stored` has them.
    static func taskTableWidths(_ stored: [String: SQLRecord]?, columns: Int) -> [Int]? {
        guard let stored else { return nil }
        let widths = (0..<columns).compactMap { stored[key(tasksColumn: $0)]?["count"] as Int? }
        return widths.count == columns ? widths : nil
    }
}
