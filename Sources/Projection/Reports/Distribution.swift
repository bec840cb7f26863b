import GRDB

/// A measure of tasks whose distribution the reports give: its expression on a task row, the
/// tasks it exists for, and the scale it is printed in.
struct Measure: Sendable {
    var name: String
    /// The expression on `tasks t`.
    var expression: String
    /// The tasks that have the measure.
    var condition: String
    /// Divides values on output only, such as 1e9 for ns to s.
    var scale: Double = 1

    static let response = Measure(name: "response_s", expression: "t.offered_at - t.requested_at",
                                  condition: "t.requested_at IS NOT NULL AND t.offered_at IS NOT NULL", scale: 1e9)
    static let firstProgress = Measure(name: "first_progress_s", expression: "t.first_progress_at - t.offered_at",
                                       condition: "t.first_progress_at IS NOT NULL AND t.offered_at IS NOT NULL", scale: 1e9)
    static let duration = Measure(name: "duration_s", expression: "t.duration_s", condition: "t.state = 'done' AND t.duration_s IS NOT NULL")
    static let rate = Measure(name: "bytes_per_s", expression: "t.bytes_per_s", condition: "t.bytes_per_s IS NOT NULL")

    /// `report latency`'s measures, in its order.
    static let latency = [response, firstProgress, duration, rate]
    /// Each of them for each kind, uploads first.
    static let latencyByKind: [(Measure, TaskKind?)] = TaskKind.allCases.flatMap { kind in latency.map { ($0, kind) } }
}

/// Nearest-rank percentiles of a measure over the tasks of one kind (or both) that match a
/// filter, with their count and maximum.
struct Distribution: Equatable {
    var count: Int
    /// The value at each percentile asked for, in order; nil when there are no values.
    var percentiles: [Double?]
    var max: Double?

    /// The percentiles a stored distribution has (`ReportStatistics`).
    static let storedPercentiles: [Double] = [50, 95, 99]

    /// The distributions of each measure and kind (nil: both) over the tasks the report's filters
    /// match: read from the projection's statistics when nothing is filtered and those are current,
    /// else computed from every matching task in one pass (`sorted`).
    static func of(_ wanted: [(Measure, TaskKind?)], _ c: ReportContext, percentiles ps: [Double]) throws -> [Distribution] {
        let w = c.taskConditions()
        if w.sql == "1" {
            let stored = wanted.compactMap { m, kind in ReportStatistics.distribution(c.statistics, m, kind: kind, percentiles: ps) }
            if stored.count == wanted.count { return stored }
        }
        return try sorted(c.db, wanted, filter: w, percentiles: ps)
    }

    /// The nearest rank of percentile `p` among `n` values, from 0.
    static func rank(_ p: Double, of n: Int) -> Int { Swift.min(n - 1, Swift.max(0, Int((p / 100 * Double(n)).rounded(.up)) - 1)) }

    /// Reads each matching task's kind and measures in one query, then sorts each measure's values.
    static func sorted(_ db: Database, _ wanted: [(Measure, TaskKind?)], filter: (sql: String, arguments: StatementArguments),
                       percentiles ps: [Double]) throws -> [Distribution] {
        let columns = wanted.map { m, _ in "CASE WHEN \(m.condition) THEN \(m.expression) END" }
        var values = [[Double]](repeating: [], count: wanted.count)
        let rows = try Row.fetchCursor(db, sql: "SELECT t.kind, \(columns.joined(separator: ", ")) FROM tasks t WHERE \(filter.sql)",
                                       arguments: filter.arguments)
        while let row = try rows.next() {
            let kind: String = row[0]
            for (i, (_, k)) in wanted.enumerated() where k == nil || k!.rawValue == kind {
                if let v: Double = row[i + 1] { values[i].append(v) }
            }
        }
        return zip(wanted, values).map { w, v in
            let v = v.sorted()
            func scaled(_ i: Int) -> Double? { v.isEmpty ? nil : v[i] / w.0.scale }
            return Distribution(count: v.count, percentiles: ps.map { scaled(rank($0, of: v.count)) }, max: scaled(v.count - 1))
        }
    }

    init(count: Int, percentiles: [Double?], max: Double?) {
        self.count = count
        self.percentiles = percentiles
        self.max = max
    }
}
