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
    /// else computed from every matching task in one pass (`scan`).
    static func of(_ wanted: [(Measure, TaskKind?)], _ c: ReportContext, percentiles ps: [Double]) throws -> [Distribution] {
        let w = c.taskConditions()
        if w.sql == ReportContext.everything {
            let stored = wanted.compactMap { m, kind in ReportStatistics.distribution(c.statistics, m, kind: kind, percentiles: ps) }
            if stored.count == wanted.count { return stored }
        }
        return try scan(c.db, wanted, filter: w, percentiles: ps).distributions
    }

    /// The nearest rank of percentile `p` among `n` values, from 0.
    static func rank(_ p: Double, of n: Int) -> Int { Swift.min(n - 1, Swift.max(0, Int((p / 100 * Double(n)).rounded(.up)) - 1)) }

    /// Reads every matching task: counts it by kind and state, and finds each wanted measure's
    /// percentiles. Each measure is selected once, whatever kinds are wanted. The values are kept
    /// and sorted while there are at most `keepLimit` of them in all (one pass, as the bench
    /// capture's 534 k tasks take); beyond that, they are found by `RankSelection`'s further passes
    /// in bounded memory: 4.9 M tasks have some 34 M values, 260 MiB as doubles.
    static func scan(_ db: any SQLConnection, _ wanted: [(Measure, TaskKind?)], filter: (sql: String, arguments: [SQLValue]),
                     percentiles ps: [Double], keepLimit: Int = 1 << 22,
                     collectLimit: Int = RankSelection.defaultCollectLimit) throws -> (counts: [TaskKind: [TaskState: Int64]], distributions: [Distribution]) {
        var measures: [Measure] = []
        let column = wanted.map { m, _ in
            if let i = measures.firstIndex(where: { $0.name == m.name }) { return i }
            measures.append(m)
            return measures.count - 1
        }
        let selected = ["CASE WHEN t.kind = 'upload' THEN 1 ELSE 0 END", TaskState.indexSQL("t.state")]
            + measures.map { "CASE WHEN \($0.condition) THEN \($0.expression) END" }
        let sql = "SELECT \(selected.joined(separator: ", ")) FROM tasks t WHERE \(filter.sql)"
        /// Calls `body` with each wanted distribution's index and each of its values (-0.0 as 0.0).
        func eachValue(_ row: SQLRow, _ body: (Int, Double) -> Void) {
            let kind: TaskKind = row.int64(0) != 0 ? .upload : .download
            for (i, (_, k)) in wanted.enumerated() where k == nil || k == kind {
                let c = column[i] + 2
                if !row.isNull(c) { body(i, row.double(c) + 0.0) }
            }
        }
        var counts = [[Int64]](repeating: [Int64](repeating: 0, count: TaskState.allCases.count), count: 2)  // upload, download
        var kept: [[Double]]? = [[Double]](repeating: [], count: wanted.count)
        var total = 0
        var sizes = [Int](repeating: 0, count: wanted.count)
        var maxima = [Double?](repeating: nil, count: wanted.count)
        var histograms = [[Int]](repeating: [], count: wanted.count)
        try db.each(sql, filter.arguments) { row in
            if !row.isNull(1) { counts[row.int64(0) != 0 ? 0 : 1][Int(row.int64(1))] += 1 }
            eachValue(row) { i, v in
                sizes[i] += 1
                if maxima[i].map({ v > $0 }) ?? true { maxima[i] = v }
                guard kept != nil else { return RankSelection.tally(v, into: &histograms[i]) }
                kept![i].append(v)
                total += 1
                if total > keepLimit {  // from now on, only counted
                    for (j, values) in kept!.enumerated() { for v in values { RankSelection.tally(v, into: &histograms[j]) } }
                    kept = nil
                }
            }
        }
        // The value at each percentile of each distribution.
        let values: [[Double?]]
        if var kept {
            // Each sorted in place and let go once read, rather than sorted into a copy while all are kept.
            values = kept.indices.map { i in
                kept[i].sort()
                defer { kept[i] = [] }
                return ps.map { kept[i].isEmpty ? nil : kept[i][rank($0, of: kept[i].count)] }
            }
        } else {
            values = try select(ps, sizes: sizes, histograms: histograms, collectLimit: collectLimit) { see in
                try db.each(sql, filter.arguments) { row in eachValue(row, see) }
            }
        }
        let distributions = wanted.indices.map { i in
            let scale = wanted[i].0.scale
            return Distribution(count: sizes[i], percentiles: values[i].map { $0.map { $0 / scale } }, max: maxima[i].map { $0 / scale })
        }
        var byKind: [TaskKind: [TaskState: Int64]] = [:]
        for (k, kind) in [TaskKind.upload, .download].enumerated() {
            for (i, state) in TaskState.allCases.enumerated() where counts[k][i] > 0 { byKind[kind, default: [:]][state] = counts[k][i] }
        }
        return (byKind, distributions)
    }

    /// The values at percentiles `ps` of distributions too large to keep, from the first pass's
    /// counts and histograms of the values' top digits, reading the values again with `pass` as
    /// often as needed.
    private static func select(_ ps: [Double], sizes: [Int], histograms: [[Int]], collectLimit: Int,
                               pass: ((Int, Double) -> Void) throws -> Void) throws -> [[Double?]] {
        var selections = sizes.indices.map { i in
            RankSelection(ranks: ps.map { rank($0, of: sizes[i]) }, topHistogram: histograms[i], count: sizes[i],
                          collectLimit: collectLimit / Swift.max(1, sizes.count))
        }
        while !selections.allSatisfy(\.isDone) {
            try pass { i, v in selections[i].see(v) }
            for i in selections.indices { selections[i].endPass() }
        }
        return selections.map(\.values)
    }

    init(count: Int, percentiles: [Double?], max: Double?) {
        self.count = count
        self.percentiles = percentiles
        self.max = max
    }
}
