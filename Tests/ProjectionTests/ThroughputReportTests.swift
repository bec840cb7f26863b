import Foundation
import GRDB
import Testing
@testable import Projection
import TestSupport

/// `report throughput` reads task counts from the per-second `traffic` table, or from the tasks
/// themselves when a filter picks tasks: both must give the same buckets.
@Suite struct ThroughputReportTests {
    private func buckets(_ s: SQLiteStore, _ f: ReportFilters) throws -> [[String: Any]] {
        let json = try JSONSerialization.jsonObject(with: Data(Reports.run(.throughput, store: s, filters: f).json.rendered().utf8)) as! [String: Any]
        return json["buckets"] as! [[String: Any]]
    }

    private func rendered(_ s: SQLiteStore, _ f: ReportFilters) throws -> String {
        try Reports.run(.throughput, store: s, filters: f).json.rendered()
    }

    private func total(_ buckets: [[String: Any]], _ kind: String, _ field: String) -> Int {
        buckets.reduce(0) { $0 + (($1[kind] as! [String: Any])[field] as! Int) }
    }

    @Test func countsFromTrafficEqualCountsFromTasks() throws {
        let (dir, _) = try simulatedCapture()
        defer { cleanup(dir) }
        // Interrupted and resumed runs: the counters are added up across batches.
        let db = dir + "/p.sqlite"
        var done = false
        while !done {
            let p = try Projector(paths: [dir], databasePath: db)
            p.batchSize = 333
            p.beforeCommit = { n in if n == 5 { throw InjectedFailure() } }
            do { _ = try p.run(); done = true } catch is InjectedFailure {}
        }
        let s = try SQLiteStore(readingFrom: db)
        let products = try s.db.read { try String.fetchAll($0, sql: "SELECT DISTINCT product FROM tasks") }
        let (first, last) = try Reports.span(of: s)
        for bucket: Duration in [.seconds(10), .seconds(60)] {
            var all = ReportFilters()
            all.bucket = bucket
            var everyProduct = all
            everyProduct.products = products
            #expect(try rendered(s, all) == rendered(s, everyProduct), "bucket \(bucket)")
            all.since = first! + (last! - first!) / 3 + 123_456_789
            all.until = last! - (last! - first!) / 3
            everyProduct.since = all.since
            everyProduct.until = all.until
            #expect(try rendered(s, all) == rendered(s, everyProduct), "bucket \(bucket) with since/until")
        }
        let b = try buckets(s, ReportFilters())
        for kind in ["upload", "download"] {
            let counts = try s.db.read { db in
                try Row.fetchOne(db, sql: "SELECT count(*), sum(state = 'done'), sum(state = 'failed') FROM tasks WHERE kind = ?", arguments: [kind])!
            }
            #expect(total(b, "\(kind)s", "started") == counts[0] as Int)
            #expect(total(b, "\(kind)s", "done") == counts[1] as Int)
            #expect(total(b, "\(kind)s", "failed") == counts[2] as Int)
            #expect(counts[2] as Int > 0)
        }
    }
}
