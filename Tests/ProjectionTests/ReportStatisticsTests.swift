import Foundation
import GRDB
import Testing
@testable import Projection
import TestSupport

/// The statistics a projection run stores for unfiltered reports: the same answers as computing
/// them, used only while current.
@Suite struct ReportStatisticsTests {
    /// The reports that read statistics, in every format.
    private func rendered(_ store: SQLiteStore) throws -> [String] {
        var out: [String] = []
        for kind in [Reports.Kind.summary, .latency, .tasks, .failures] {
            for format in Report.Format.allCases {
                var text = ""
                try Reports.write(kind, store: store, filters: ReportFilters(), format: format) { text += $0 }
                out.append("\(kind) \(format)\n" + text)
            }
        }
        return out
    }

    private func setStamp(_ path: String, _ sql: String) throws {
        let q = try DatabaseQueue(path: path)
        try q.write { try $0.execute(sql: "UPDATE checkpoint SET statistics_events = \(sql)") }
        try q.close()
    }

    /// Fixture `name` projected into a new directory: (the directory, the database's path).
    private func projectedFixture(_ name: String) throws -> (String, String) {
        let dir = temporaryDirectory("statistics-\(name)")
        _ = try Projector(paths: [FixtureTests.root.appendingPathComponent("\(name)/capture").path], databasePath: dir + "/p.sqlite").run()
        return (dir, dir + "/p.sqlite")
    }

    @Test(arguments: FixtureTests.names)
    func storedStatisticsGiveTheComputedAnswers(name: String) throws {
        let (dir, db) = try projectedFixture(name)
        defer { cleanup(dir) }
        let stored = try rendered(SQLiteStore(readingFrom: db))
        try setStamp(db, "NULL")
        let computed = try rendered(SQLiteStore(readingFrom: db))
        #expect(stored.count == computed.count)
        for (s, c) in zip(stored, computed) { #expect(s == c) }
    }

    @Test func statisticsAreReadOnlyWhileCurrent() throws {
        let (dir, _) = try simulatedCapture(devices: 4, minutes: 5)
        defer { cleanup(dir) }
        let db = dir + "/p.sqlite"
        _ = try Projector(paths: [dir], databasePath: db).run()
        func uploadResponses() throws -> Int {
            let json = try Reports.run(.latency, store: SQLiteStore(readingFrom: db), filters: ReportFilters()).json.rendered()
            let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: [String: [String: Any]]]
            return object["upload"]!["response_s"]!["count"] as! Int
        }
        let real = try uploadResponses()
        #expect(real > 0)
        let q = try DatabaseQueue(path: db)
        try q.write { try $0.execute(sql: "UPDATE statistics SET count = 987654 WHERE key = 'response_s upload'") }
        try q.close()
        #expect(try uploadResponses() == 987654)  // read from the statistics
        try setStamp(db, "events - 1")
        #expect(try uploadResponses() == real)  // stale: computed
    }

    @Test func failureCausesAreReadStoredWhileCurrentAndUnfiltered() throws {
        let (dir, _) = try simulatedCapture(devices: 6, minutes: 10) { $0.failureRate = 0.3 }
        defer { cleanup(dir) }
        let db = dir + "/p.sqlite"
        _ = try Projector(paths: [dir], databasePath: db).run()
        func failures(_ filters: ReportFilters = ReportFilters()) throws -> String {
            try Reports.run(.failures, store: SQLiteStore(readingFrom: db), filters: filters).json.rendered()
        }
        let real = try failures()
        #expect(real.contains("\"tasks\":"))
        let q = try DatabaseQueue(path: db)
        let causes = try q.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM failure_statistics") ?? 0 }
        #expect(causes > 1)
        try q.write { try $0.execute(sql: "UPDATE failure_statistics SET tasks = 987654 WHERE rowid = (SELECT min(rowid) FROM failure_statistics)") }
        try q.close()
        #expect(try failures().contains("\"tasks\":987654"))  // read from the stored causes
        var filtered = ReportFilters()
        filtered.products = ["TESTPROD01", "TESTPROD02"]
        #expect(try !failures(filtered).contains("987654"))  // filtered: computed
        try setStamp(db, "events - 1")
        #expect(try failures() == real)  // stale: computed
    }

    @Test func anInterruptedRunLeavesNoCurrentStatisticsAndTheNextComputesThem() throws {
        let (dir, _) = try simulatedCapture(devices: 4, minutes: 5)
        defer { cleanup(dir) }
        let db = dir + "/p.sqlite"
        try projectInterrupted(dir, into: db, batchSize: 100, failing: 3)
        let current = { try DatabaseQueue(path: db).read { try ReportStatistics.areCurrent(SQLiteConnection(db: $0)) } }
        #expect(try !current())
        _ = try Projector(paths: [dir], databasePath: db).run()
        #expect(try current())
    }

    /// Percentiles and task counts are computed in one pass (`Distribution.scan`) and, unfiltered,
    /// stored: on every fixture they agree with SQLite's own ordering of each measure and its own
    /// `GROUP BY`, and through the reports (naming every product filters nothing out, but takes the
    /// computed path).
    @Test(arguments: FixtureTests.names)
    func percentilesAreNearestRanksOfTheOrderedValues(name: String) throws {
        let (dir, db) = try projectedFixture(name)
        defer { cleanup(dir) }
        let wanted = Measure.latencyByKind + [(Measure.duration, nil)]
        let ps: [Double] = [1, 50, 95, 99]
        try DatabaseQueue(path: db).read { db in
            let (counts, sorted) = try Distribution.scan(SQLiteConnection(db: db), wanted, filter: (ReportContext.everything, []), percentiles: ps)
            var grouped: [TaskKind: [TaskState: Int64]] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT kind, state, count(*) AS n FROM tasks GROUP BY kind, state") {
                grouped[TaskKind(rawValue: r["kind"])!, default: [:]][TaskState(rawValue: r["state"])!] = r["n"]
            }
            #expect(!grouped.isEmpty)
            #expect(counts == grouped)
            // The same when the values are not kept but selected in passes of a few values each.
            for collectLimit in [1, 300] {
                let passes = try Distribution.scan(SQLiteConnection(db: db), wanted, filter: (ReportContext.everything, []), percentiles: ps,
                                                   keepLimit: 0, collectLimit: collectLimit)
                #expect(passes.counts == counts)
                #expect(passes.distributions == sorted, "collectLimit \(collectLimit)")
            }
            for ((m, kind), s) in zip(wanted, sorted) {
                let values = try Double.fetchAll(db, sql: """
                    SELECT (\(m.expression)) / \(m.scale) FROM tasks t WHERE \(m.condition) AND t.kind LIKE ? ORDER BY 1
                    """, arguments: [kind?.rawValue ?? "%"])
                // Nearest rank: the smallest value with at least p % of the values at or below it.
                let expected = ps.map { p in values.isEmpty ? nil : values[max(0, Int((p * Double(values.count) / 100).rounded(.up)) - 1)] }
                #expect(s == Distribution(count: values.count, percentiles: expected, max: values.last), "\(m.name) \(String(describing: kind))")
            }
        }
        let store = try SQLiteStore(readingFrom: db)
        var everyProduct = ReportFilters()
        everyProduct.products = try DatabaseQueue(path: db).read { try String.fetchAll($0, sql: "SELECT DISTINCT product FROM devices") }
        func parsed(_ kind: Reports.Kind, _ f: ReportFilters) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(Reports.run(kind, store: store, filters: f).json.rendered().utf8)) as! [String: Any]
        }
        #expect(NSDictionary(dictionary: try parsed(.latency, everyProduct)) == NSDictionary(dictionary: try parsed(.latency, ReportFilters())))
        // summary's task counts and durations (its anomalies include bad topics, which have no product)
        for key in ["tasks", "duration_s"] {
            #expect(NSDictionary(dictionary: try parsed(.summary, everyProduct)[key] as! [String: Any])
                    == NSDictionary(dictionary: try parsed(.summary, ReportFilters())[key] as! [String: Any]), "\(name) \(key)")
        }
    }

    /// `RankSelection` gives what sorting gives, for every rank, on values that need its every
    /// path: negative and positive, -0.0 beside 0.0, many equal (a bucket narrowed to all 64 bits),
    /// neighbours that differ in the last bit only, and passes that may collect almost nothing.
    @Test(arguments: [1, 7, 1_000])
    func rankSelectionFindsTheSortedValueAtEveryRank(collectLimit: Int) {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = (0..<2_000).map { _ in Double.random(in: -1e6...1e6, using: &generator) }
        values += [Double](repeating: 42.5, count: 500) + [-0.0, 0.0, 0.0, -0.0]
        values += (0..<50).map { Double(bitPattern: 1.0.bitPattern + UInt64($0)) }
        values += [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
        values.shuffle(using: &generator)
        let sorted = values.sorted()
        let ranks = Array(stride(from: 0, to: values.count, by: 13)) + [values.count - 1, 2_001, 2_250]
        var histogram: [Int] = []
        for v in values { RankSelection.tally(v, into: &histogram) }
        var selection = RankSelection(ranks: ranks, topHistogram: histogram, count: values.count, collectLimit: collectLimit)
        var passes = 0
        while !selection.isDone {
            for v in values { selection.see(v) }
            selection.endPass()
            passes += 1
        }
        #expect(passes >= 1 && passes <= 5)
        for (i, r) in ranks.enumerated() {
            #expect(selection.values[i] == sorted[r] + 0.0, "rank \(r)")
        }
        #expect(RankSelection.value(ofKey: RankSelection.key(-3.25)) == -3.25)
        #expect(RankSelection.key(-0.0) == RankSelection.key(0.0))
        #expect(RankSelection.key(-1) < RankSelection.key(-0.5) && RankSelection.key(0) < RankSelection.key(.leastNonzeroMagnitude))
    }
}
