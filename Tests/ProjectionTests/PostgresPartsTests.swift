import Foundation
import Testing
@testable import Projection
import TestSupport

/// PostgreSQL writes a transaction in parts: its events as the reducer makes them, its tasks,
/// devices and traffic at its end, with the checkpoint.
@Suite struct PostgresPartsTests {
    /// Interrupted at its third commit each time and resumed, with transactions of many parts, and
    /// across midnight (a transaction ends with the day: its partition is made before it begins),
    /// the projection is the one-shot one; no interrupted transaction leaves an event behind.
    @Test func partsInterruptedAndResumedEqualOneShot() throws {
        let pg = try TestPostgres()
        defer { pg.stop() }
        let midnight: UInt64 = 1_795_737_600_000_000_000  // 2026-11-27 00:00 UTC
        let (dir, _) = try simulatedCapture(devices: 12, minutes: 15) { $0.start = midnight - 300_000_000_000 }
        defer { cleanup(dir) }
        for name in ["whole", "parts"] { try pg.createDatabase(name) }

        let one = try Projector(paths: [dir], databasePath: pg.url("whole"))
        #expect(one.store.writesInParts && one.batchSize == 250_000)
        let whole = try one.run()
        #expect(whole.events > 3000)

        var runs = 0
        var consumed: Int64 = 0
        repeat {
            let p = try Projector(paths: [dir], databasePath: pg.url("parts"))
            p.batchSize = 400
            p.piece = 13
            p.part = 50
            var commits = 0
            p.beforeCommit = { _ in commits += 1; if commits > 2 { throw InjectedFailure() } }
            do { _ = try p.run() } catch is InjectedFailure {}
            let now = try p.store.checkpoint().events
            #expect(now > consumed && now <= consumed + 2 * 400)
            // Each message committed is an event or a recorder event: none of a rolled back part stays.
            #expect(try pg.psql("parts", "SELECT (SELECT count(*) FROM event_rows) + (SELECT count(*) FROM recorder_events)") == String(now))
            consumed = now
            runs += 1
        } while consumed < whole.totalEvents && runs < 1000
        #expect(runs > 3)

        // (The ids of anomalies and recorder events come from identities, whose numbers a rolled
        // back transaction uses up: their order is the one-shot's, not their numbers.)
        let withoutID = ["anomalies": "event_id, kind, detail", "recorder_events": "time, event, detail"]
        for table in ["tasks", "topics", "events", "anomalies", "devices", "traffic", "recorder_events", "statistics"] {
            let query = withoutID[table].map { "SELECT to_jsonb(t) - 'id' FROM \(table) t ORDER BY \($0)" } ?? "SELECT * FROM \(table) ORDER BY 1, 2"
            let (got, expected) = (try pg.psql("parts", query), try pg.psql("whole", query))
            #expect(got == expected, "\(table): \(zip(got.split(separator: "\n"), expected.split(separator: "\n")).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "row counts")")
        }
        let days = "SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'event_rows'::regclass"
        #expect(try pg.psql("parts", days) == "event_rows_20261126 event_rows_20261127")
    }
}
