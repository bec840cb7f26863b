import Capture
import Foundation
import GRDB
import ResourceProtocol
import Testing
@testable import Projection

/// The statement the projection writes its rows with: what is bound is what is stored, whether the
/// row's text fits its buffer or not.
@Suite struct BulkStatementTests {
    @Test func everyValueIsStoredAsBound() throws {
        let q = try DatabaseQueue()
        try q.write { db in try db.execute(sql: "CREATE TABLE t (a TEXT, b TEXT, c INTEGER, d REAL, e TEXT)") }
        let limit = 64 * 1024
        // Around the buffer's size, alone and together, inline and heap strings, non-ASCII, NUL.
        let texts: [String?] = ["", "x", String(repeating: "a", count: 15), String(repeating: "b", count: 16), "é✓ ünïcödé",
                                "nul\0inside", nil, String(repeating: "c", count: limit - 1), String(repeating: "d", count: limit),
                                String(repeating: "e", count: limit + 1), String(repeating: "f", count: 3 * limit)]
        var rows: [(String?, String?, Int64?, Double?, String?)] = []
        for (i, a) in texts.enumerated() {
            let b = texts[(i + 3) % texts.count]
            rows.append((a, b, i % 3 == 0 ? nil : Int64(i) - 5, i % 4 == 0 ? nil : Double(i) / 3, texts[(i + 7) % texts.count]))
        }
        try q.write { db in
            var s = try BulkStatement(db, sql: "INSERT INTO t (a, b, c, d, e) VALUES (?, ?, ?, ?, ?)")
            for r in rows {
                s.bind(r.0); s.bind(r.1); s.bind(r.2); s.bind(r.3); s.bind(r.4)
                try s.step(db)
            }
        }
        // As hex: GRDB reads text up to a NUL. hex(NULL) is '' too, so the type is checked as well.
        let stored = try q.read { db in
            try Row.fetchAll(db, sql: "SELECT hex(a) a, typeof(a) ta, hex(b) b, c, d, hex(e) e FROM t ORDER BY rowid")
        }
        #expect(stored.count == rows.count)
        func hex(_ s: String?) -> String { (s ?? "").utf8.map { String(format: "%02X", $0) }.joined() }
        for (r, row) in zip(rows, stored) {
            #expect(row["a"] as String == hex(r.0))
            #expect(row["ta"] as String == (r.0 == nil ? "null" : "text"))
            #expect(row["b"] as String == hex(r.1))
            #expect(row["c"] as Int64? == r.2)
            #expect(row["d"] as Double? == r.3)
            #expect(row["e"] as String == hex(r.4))
        }
    }

    @Test func aFailedStepSaysWhyAndTheNextRowIsBoundAfresh() throws {
        let q = try DatabaseQueue()
        try q.write { db in try db.execute(sql: "CREATE TABLE t (a TEXT NOT NULL, b TEXT)") }
        try q.write { db in
            var s = try BulkStatement(db, sql: "INSERT INTO t (a, b) VALUES (?, ?)")
            s.bind(nil as String?); s.bind("first")
            #expect(throws: DatabaseError.self) { try s.step(db) }
            s.bind("second"); s.bind(String(repeating: "z", count: 100_000))
            try s.step(db)
        }
        let stored = try q.read { db in try Row.fetchAll(db, sql: "SELECT a, length(b) AS n FROM t") }
        #expect(stored.count == 1)
        #expect(stored.first?["a"] as String? == "second")
        #expect(stored.first?["n"] as Int? == 100_000)
    }

    /// Rows go in groups of `rowsPerStatement` and the rest one by one, those after a gap in the
    /// ids with their id: every count around a group, runs broken by gaps, a table that already has
    /// rows, texts that overflow the buffer inside a group. Each row is stored once, with its id.
    @Test func bulkInsertStoresEveryRowOnceWithItsID() throws {
        let group = BulkInsert.rowsPerStatement
        var cases: [(existing: Int64, ids: [Int64])] = [0, 1, group - 1, group, group + 1, 2 * group + 5].map { (0, (1...Int64($0 + 1)).dropLast().map { $0 }) }
        cases.append((0, [10] + Array(11...Int64(10 + group))))                       // an empty table, ids from 10
        cases.append((7, Array(8...Int64(8 + group))))                                  // right after the existing rows
        cases.append((7, [8, 9] + Array(12...Int64(12 + 2 * group)) + [100, 102, 103]))  // gaps inside and at the end
        for c in cases {
            let q = try DatabaseQueue()
            try q.write { db in
                try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL, n INTEGER)")
                for k in 0..<c.existing { try db.execute(sql: "INSERT INTO t (id, a) VALUES (?, 'old')", arguments: [k + 1]) }
            }
            let rows: [(id: Int64, a: String, n: Int64?)] = c.ids.enumerated().map { i, id in
                let length = i % 7 == 3 ? 40_000 : i
                return (id, String(repeating: String(i % 10), count: length), i % 5 == 0 ? nil : Int64(i))
            }
            try q.write { db in
                var insert = try BulkInsert(db, into: "t", columns: ["id", "a", "n"])
                try insert.insert(count: rows.count, in: db, id: { rows[$0].id }) { i, s in s.bind(rows[i].a); s.bind(rows[i].n) }
            }
            let stored = try q.read { db in try Row.fetchAll(db, sql: "SELECT id, a, n FROM t WHERE id > ? ORDER BY id", arguments: [c.existing]) }
            #expect(stored.count == rows.count)
            for (r, row) in zip(rows, stored) {
                #expect(row["id"] as Int64 == r.id)
                #expect(row["a"] as String == r.a)
                #expect(row["n"] as Int64? == r.n)
            }
        }
    }

    /// A bad row inside a group, or an id already taken, throws; the transaction keeps none of the rows.
    @Test func bulkInsertFailsOnABadRowAndItsTransactionKeepsNothing() throws {
        let n = BulkInsert.rowsPerStatement + 3
        let badText: [(Int64, String?)] = (0..<n).map { (Int64($0 + 1), $0 == 10 ? nil : "row \($0)") }
        let takenID: [(Int64, String?)] = (0..<n).map { (Int64($0 == 20 ? 5 : $0 + 1), "row \($0)") }
        for rows in [badText, takenID] {
            let q = try DatabaseQueue()
            try q.write { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL)") }
            #expect(throws: DatabaseError.self) {
                try q.write { db in
                    var insert = try BulkInsert(db, into: "t", columns: ["id", "a"])
                    try insert.insert(count: rows.count, in: db, id: { rows[$0].0 }) { i, s in s.bind(rows[i].1) }
                }
            }
            #expect(try q.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == 0)
        }
    }

    /// Positions are spelled as `CapturePosition.description`, whether their chunk's prefix was
    /// spelled for an earlier row or not, and when the text buffer is too full to hold them.
    @Test func positionsAreBoundAsTheirDescription() throws {
        let q = try DatabaseQueue()
        try q.write { db in try db.execute(sql: "CREATE TABLE t (filler TEXT, p TEXT)") }
        let big = String(repeating: "f", count: 64 * 1024 - 10)
        let positions: [CapturePosition] = [
            .init(file: "000001.mcap", chunkOffset: 8, index: 0), .init(file: "000001.mcap", chunkOffset: 8, index: 1),
            .init(file: "000001.mcap", chunkOffset: 8, index: 12_345), .init(file: "000002.mcap", chunkOffset: 8, index: 12_345),
            .init(file: "000002.mcap", chunkOffset: 9, index: 7), .init(file: "é.mcap", chunkOffset: UInt64.max, index: Int.max),
            .init(file: "", chunkOffset: 0, index: -3), .init(file: "000002.mcap", chunkOffset: 9, index: 10),
        ]
        try q.write { db in
            var s = try BulkStatement(db, sql: "INSERT INTO t (filler, p) VALUES (?, ?)")
            for (i, p) in positions.enumerated() {
                s.bind(i % 3 == 2 ? big : "x")  // every third row leaves no room for the position
                s.bind(p)
                try s.step(db)
            }
        }
        let stored = try q.read { db in try String.fetchAll(db, sql: "SELECT p FROM t ORDER BY rowid") }
        #expect(stored == positions.map(\.description))
    }
}
