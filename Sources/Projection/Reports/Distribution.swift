import GRDB

/// A measure of tasks whose distribution the reports give: the expression, as its index in
/// ProjectionSchema has it, the tasks it exists for, and the scale it is printed in.
struct Measure: Sendable {
    var name: String
    /// The expression on `tasks t`, as written in its index.
    var order: String
    /// The tasks that have the measure.
    var condition: String
    /// Divides values on output only, such as 1e9 for ns to s.
    var scale: Double = 1

    static let response = Measure(name: "response_s", order: "t.offered_at - t.requested_at",
                                  condition: "t.requested_at IS NOT NULL AND t.offered_at IS NOT NULL", scale: 1e9)
    static let firstProgress = Measure(name: "first_progress_s", order: "t.first_progress_at - t.offered_at",
                                       condition: "t.first_progress_at IS NOT NULL AND t.offered_at IS NOT NULL", scale: 1e9)
    static let duration = Measure(name: "duration_s", order: "t.duration_s", condition: "t.state = 'done' AND t.duration_s IS NOT NULL")
    static let rate = Measure(name: "bytes_per_s", order: "t.bytes_per_s", condition: "t.bytes_per_s IS NOT NULL")

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
    /// match. Without filters they are read from the projection's statistics when those are
    /// current, else walked in the indexes; with filters, whose tasks the indexes on the measures
    /// do not pick out, every matching task's values are read in one pass and sorted.
    static func of(_ wanted: [(Measure, TaskKind?)], _ c: ReportContext, percentiles ps: [Double]) throws -> [Distribution] {
        let w = c.taskConditions()
        guard w.sql == "1" else { return try sorted(c.db, wanted, filter: w, percentiles: ps) }
        return try wanted.map { m, kind in
            try ReportStatistics.distribution(c.statistics, m, kind: kind, percentiles: ps)
                ?? Distribution(c.db, m, kind: kind, filter: w, percentiles: ps)
        }
    }

    /// The nearest rank of percentile `p` among `n` values, from 0.
    static func rank(_ p: Double, of n: Int) -> Int { Swift.min(n - 1, Swift.max(0, Int((p / 100 * Double(n)).rounded(.up)) - 1)) }

    /// Reads each matching task's kind and measures in one query, then sorts each measure's values.
    static func sorted(_ db: Database, _ wanted: [(Measure, TaskKind?)], filter: (sql: String, arguments: StatementArguments),
                       percentiles ps: [Double]) throws -> [Distribution] {
        let columns = wanted.map { m, _ in "CASE WHEN \(m.condition) THEN \(m.order) END" }
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

    /// Counts, then asks SQLite for the value at each rank with `ORDER BY … LIMIT 1 OFFSET rank`:
    /// with an index on the expression it walks the index instead of sorting, and no value is
    /// fetched that is not printed.
    init(_ db: Database, _ m: Measure, kind: TaskKind?, filter: (sql: String, arguments: StatementArguments),
         percentiles ps: [Double]) throws {
        var arguments = filter.arguments
        var from = "FROM tasks t WHERE \(filter.sql) AND \(m.condition)"
        if let kind {
            from += " AND t.kind = ?"
            arguments += [kind.rawValue]
        }
        let n = try Int.fetchOne(db, sql: "SELECT count(*) \(from)", arguments: arguments) ?? 0
        // A rank in the upper half is read from the top (ORDER BY … DESC), so p99 and max walk
        // only the last few entries.
        func value(rank: Int) throws -> Double? {
            let fromTop = rank >= n / 2
            return try Double.fetchOne(db, sql: "SELECT \(m.order) \(from) ORDER BY \(m.order)\(fromTop ? " DESC" : "") LIMIT 1 OFFSET ?",
                                       arguments: arguments + [fromTop ? n - 1 - rank : rank]).map { $0 / m.scale }
        }
        self.init(count: n,
                  percentiles: try ps.map { p in n == 0 ? nil : try value(rank: Self.rank(p, of: n)) },
                  max: n == 0 ? nil : try value(rank: n - 1))
    }
}
