import Capture
import Foundation
import GRDB
import Testing
@testable import Projection
import Simulator
import TestSupport

@Suite struct ProjectorTests {
    @Test func incrementalAndInterruptedEqualOneShot() throws {
        let (dir, _) = try simulatedCapture()
        defer { cleanup(dir) }
        let oneShot = dir + "/one.sqlite"
        let summary = try Projector(paths: [dir], databasePath: oneShot).run()
        #expect(summary.events > 3000)
        let expected = try dump(oneShot)

        // Many small batches, each run stopping part-way: resume from the checkpoint each time.
        // Each batch is handed from the reader to the reducer in pieces that do not divide it.
        let small = dir + "/small.sqlite"
        var runs = 0
        var consumed: Int64 = 0
        repeat {
            let p = try Projector(paths: [dir], databasePath: small)
            p.batchSize = 97
            p.piece = 13
            var batches = 0
            p.beforeCommit = { _ in batches += 1; if batches > 3 { throw InjectedFailure() } }
            do { _ = try p.run() } catch is InjectedFailure {}
            let now = try p.store.checkpoint().events
            #expect(now == min(consumed + 3 * 97, summary.totalEvents))  // three transactions of 97 messages committed
            consumed = now
            runs += 1
        } while consumed < summary.totalEvents && runs < 10_000
        let got = try dump(small)
        for (table, rows) in expected where got[table] != rows {
            let diff = zip(rows, got[table] ?? []).first { $0.0 != $0.1 }
            Issue.record("table \(table) differs: \(rows.count) vs \(got[table]?.count ?? 0) rows; first: \(String(describing: diff))")
        }

        // Rows are loaded first and the indexes built when a run catches up: however the runs were
        // interrupted, the finished projection has every index the reports use.
        let indexes = Set(SQLiteSchema.indexes.map { $0.split(separator: " ").first { $0.contains("_by_") }.map(String.init) ?? $0 })
        #expect(indexes.count == SQLiteSchema.indexes.count)
        for path in [oneShot, small] { #expect(try indexNames(path) == indexes, "\(path)") }

        // A rebuild gives identical tables.
        _ = try Projector(paths: [dir], databasePath: oneShot, rebuild: true).run()
        #expect(try dump(oneShot) == expected)
    }

    /// Two captures projected together (files of both read turn about, each with its own channel
    /// ids) give the tables of one capture holding the same messages in the merged order.
    @Test func severalCapturesProjectLikeTheirMerge() throws {
        let (dir, _) = try simulatedCapture(devices: 10, minutes: 10)
        defer { cleanup(dir) }
        var all: [CapturedMessage] = []
        let reader = try CaptureReader(paths: [dir])
        while let e = reader.next() { all.append(e.message) }
        var options = CaptureWriter.Options()
        options.chunkSize = 4 << 10
        options.segmentSize = 8 << 10
        func write(_ messages: [CapturedMessage], to path: String) throws {
            let w = try CaptureWriter(directory: path, options: options)
            for m in messages { try w.write(m) }
            try w.close()
        }
        let (a, b, merged) = (dir + "/a", dir + "/b", dir + "/merged")
        try write(all.filter { $0.topic.utf8.reduce(0) { $0 &+ Int($1) } % 2 == 0 }, to: a)
        try write(all.filter { $0.topic.utf8.reduce(0) { $0 &+ Int($1) } % 2 == 1 }, to: b)
        let both = try CaptureReader(paths: [a, b])
        var inOrder: [CapturedMessage] = []
        while let e = both.next() { inOrder.append(e.message) }
        #expect(inOrder.count == all.count)
        #expect(try CaptureSource.files(of: a).count > 2 && CaptureSource.files(of: b).count > 2)
        try write(inOrder, to: merged)

        _ = try Projector(paths: [a, b], databasePath: dir + "/both.sqlite").run()
        _ = try Projector(paths: [merged], databasePath: dir + "/merged.sqlite").run()
        // Positions name other files; everything else is the same.
        let tables = try dump(dir + "/both.sqlite", excluding: ["events", "anomalies", "checkpoint"])
        #expect(tables == (try dump(dir + "/merged.sqlite", excluding: ["events", "anomalies", "checkpoint"])))
        func events(_ path: String) throws -> [String] {
            let q = try DatabaseQueue(path: path)
            return try q.read { db in
                try Row.fetchAll(db, sql: "SELECT id, time, topic, type, name, task_id, percent, state, result_code FROM events ORDER BY id").map(\.description)
            }
        }
        let got = try events(dir + "/both.sqlite")
        #expect(got.count == all.filter { !$0.isRecorderEvent }.count)
        #expect(got == (try events(dir + "/merged.sqlite")))
    }

    @Test func anInterruptedFreshBuildHasNoIndexesUntilItCatchesUp() throws {
        let (dir, _) = try simulatedCapture(devices: 4, minutes: 5)
        defer { cleanup(dir) }
        let db = dir + "/p.sqlite"
        let p = try projectInterrupted(dir, into: db, batchSize: 50, failing: 2)
        #expect(try p.store.checkpoint().events == 100)
        #expect(try indexNames(db).isEmpty)
        _ = try Projector(paths: [dir], databasePath: db).run()
        #expect(try indexNames(db).count == SQLiteSchema.indexes.count)
    }

    @Test func aSecondRunReadsNothingNew() throws {
        let (dir, _) = try simulatedCapture(devices: 4, minutes: 5)
        defer { cleanup(dir) }
        let db = dir + "/p.sqlite"
        let first = try Projector(paths: [dir], databasePath: db).run()
        let second = try Projector(paths: [dir], databasePath: db).run()
        #expect(first.events > 0)
        #expect(second.events == 0)
        #expect(second.totalEvents == first.totalEvents)
    }

    @Test func anotherVersionOrCaptureIsRebuilt() throws {
        let (dir, _) = try simulatedCapture(devices: 3, minutes: 3)
        let (other, _) = try simulatedCapture(devices: 3, minutes: 3, seed: 9)
        defer { cleanup(dir); cleanup(other) }
        let db = dir + "/p.sqlite"
        _ = try Projector(paths: [dir], databasePath: db).run()
        let q = try DatabaseQueue(path: db)
        try q.write { try $0.execute(sql: "PRAGMA user_version = 999") }
        try q.close()
        let p = try Projector(paths: [dir], databasePath: db)
        #expect(p.store.rebuiltBecause?.contains("version 999") == true)
        _ = try p.run()
        let p2 = try Projector(paths: [other], databasePath: db)
        #expect(p2.store.rebuiltBecause?.contains("another capture") == true)
    }

    /// The writer's connection trades what the projection does not need for speed: no fsync (a
    /// crash leaves the last committed batch; `--rebuild` makes it again) and no zeroing of what
    /// it deletes (Debian's SQLite zeroes by default).
    @Test func theWriterNeitherSyncsNorZeroesWhatItDeletes() throws {
        let (dir, _) = try simulatedCapture(devices: 2, minutes: 2)
        defer { cleanup(dir) }
        let p = try Projector(paths: [dir], databasePath: dir + "/p.sqlite")
        _ = try p.run()
        #expect(try (p.store as! SQLiteStore).db.read { try Int.fetchOne($0, sql: "PRAGMA secure_delete") } == 0)
        #expect(try (p.store as! SQLiteStore).db.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 0)
    }

    @Test func aFreshProjectionLeavesEveryTableButEventsInConsecutivePages() throws {
        let (dir, _) = try simulatedCapture(devices: 16, minutes: 10)
        defer { cleanup(dir) }
        let db = dir + "/p.sqlite"
        let p = try Projector(paths: [dir], databasePath: db)
        p.batchSize = 300  // many batches: tasks written between events all along the file
        _ = try p.run()
        let q = try DatabaseQueue(path: db)
        for name in ["tasks", "anomalies", "devices", "traffic", "tasks_by_start", "tasks_by_key", "anomalies_by_kind"] {
            let interleaved = try q.read { try Int.fetchOne($0, sql: """
                SELECT count(*) FROM dbstat e, (SELECT min(pageno) AS lo, max(pageno) AS hi FROM dbstat WHERE name = ?) t
                WHERE e.name = 'event_rows' AND e.pageno BETWEEN t.lo AND t.hi
                """, arguments: [name]) }
            #expect(interleaved == 0, "\(name) has \(interleaved ?? -1) pages of events among its own")
        }
        #expect(try q.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM dbstat WHERE name = 'event_rows'") }! > 20)
    }

    @Test func reportsReadWhileTheProjectorWrites() throws {
        // A user runs `report --db` while `project --follow` commits batch after batch: neither
        // side fails with "database is locked", and the projection comes out whole.
        let (dir, _) = try simulatedCapture(devices: 12, minutes: 15)
        defer { cleanup(dir) }
        let db = dir + "/p.sqlite", oneShot = dir + "/one.sqlite"
        nonisolated(unsafe) let p = try Projector(paths: [dir], databasePath: db)  // creates the file and its schema
        p.batchSize = 200
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var projectError: Error?
        Thread.detachNewThread {
            do { _ = try p.run() } catch { projectError = error }
            done.signal()
        }
        var reads = 0, readErrors: [String] = []
        while done.wait(timeout: .now()) == .timedOut {
            do {
                let s = try SQLiteStore(readingFrom: db)
                _ = try Reports.run(.summary, store: s, filters: ReportFilters())
                _ = try Reports.run(.stalled, store: s, filters: ReportFilters())
                reads += 1
            } catch { readErrors.append("\(error)") }
        }
        #expect(projectError == nil, "\(String(describing: projectError))")
        #expect(readErrors.isEmpty, "\(readErrors.prefix(3))")
        #expect(reads > 0)
        _ = try Projector(paths: [dir], databasePath: oneShot).run()
        #expect(try dump(db, excluding: ["checkpoint"]) == dump(oneShot, excluding: ["checkpoint"]))
    }

    @Test func oneProjectorPerFile() throws {
        let (dir, _) = try simulatedCapture(devices: 3, minutes: 3)
        let (other, _) = try simulatedCapture(devices: 3, minutes: 3, seed: 9)
        defer { cleanup(dir); cleanup(other) }
        let db = dir + "/p.sqlite"
        let holder = try Projector(paths: [dir], databasePath: db)
        // A second projector, even of another capture (which would start the file over), is refused.
        for paths in [[dir], [other]] {
            #expect { try Projector(paths: paths, databasePath: db) } throws: { error in
                if case ProjectionError.busy = error { true } else { false }
            }
        }
        _ = try holder.run()
        #expect(try SQLiteStore(readingFrom: db).checkpoint().events > 0)  // readers are not affected
    }

    @Test func aFileThatIsNotAProjectionIsNeverOverwritten() throws {
        let (dir, _) = try simulatedCapture(devices: 2, minutes: 2)
        defer { cleanup(dir) }
        let text = dir + "/notes.txt", other = dir + "/other.sqlite", empty = dir + "/empty.sqlite"
        try Data("1795717359.768482899 t {}\n".utf8).write(to: URL(fileURLWithPath: text))
        let q = try DatabaseQueue(path: other)
        try q.write { try $0.execute(sql: "CREATE TABLE t (x); INSERT INTO t VALUES (42)") }
        try q.close()
        for path in [text, other] {
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            for rebuild in [false, true] {
                #expect(throws: ProjectionError.self) { try Projector(paths: [dir], databasePath: path, rebuild: rebuild) }
            }
            #expect(throws: ProjectionError.self) { try SQLiteStore(readingFrom: path) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
        _ = FileManager.default.createFile(atPath: empty, contents: nil)
        #expect(try Projector(paths: [dir], databasePath: empty).run().events > 0)
    }

    @Test func followingACaptureBeingWrittenEqualsOneShot() throws {
        let (source, _) = try simulatedCapture(devices: 6, minutes: 6)
        defer { cleanup(source) }
        let messages = try { () throws -> [CapturedMessage] in
            let r = try CaptureReader(paths: [source])
            var out: [CapturedMessage] = []
            while let e = r.next() { out.append(e.message) }
            return out
        }()
        let live = temporaryDirectory("live")
        defer { cleanup(live) }
        var options = CaptureWriter.Options()
        options.segmentSize = 16 << 10
        let writer = try CaptureWriter(directory: live, options: options)
        try writer.write(messages[0])
        try writer.flush()
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var summary: Projector.Summary?
        nonisolated(unsafe) var stop = false
        let db = temporaryDirectory("follow") + "/f.sqlite"
        let thread = Thread {
            summary = try? Projector(paths: [live], databasePath: db).run(follow: true, pollInterval: 0.01, shouldStop: { stop })
            done.signal()
        }
        thread.start()
        for (i, m) in messages.dropFirst().enumerated() {
            try writer.write(m)
            if i % 300 == 0 { try writer.flush(); Thread.sleep(forTimeInterval: 0.01) }
        }
        try writer.close()
        Thread.sleep(forTimeInterval: 0.3)
        stop = true
        done.wait()
        #expect(summary?.totalEvents == Int64(messages.count))
        let oneShot = live + "/one.sqlite"
        _ = try Projector(paths: [live], databasePath: oneShot).run()
        #expect(try dump(db, excluding: ["checkpoint"]) == dump(oneShot, excluding: ["checkpoint"]))
    }

    /// While following an idle capture, every message read is committed, even when the reader's
    /// last piece was full and ended no transaction (pieces of one message, transactions of 97).
    @Test func followingCommitsWhatItReadWhileTheCaptureIsIdle() throws {
        let (dir, _) = try simulatedCapture(devices: 4, minutes: 3)
        defer { cleanup(dir) }
        let reader = try CaptureReader(paths: [dir])
        var total: Int64 = 0
        while reader.next() != nil { total += 1 }
        #expect(total % 97 != 0)
        let db = dir + "/f.sqlite"
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var stop = false
        Thread {
            let projector = try? Projector(paths: [dir], databasePath: db)
            projector?.batchSize = 97
            projector?.piece = 1
            _ = try? projector?.run(follow: true, pollInterval: 0.01, shouldStop: { stop })
            done.signal()
        }.start()
        var committed: Int64 = 0
        for _ in 0..<500 where committed < total {
            Thread.sleep(forTimeInterval: 0.02)
            committed = (try? SQLiteStore(readingFrom: db).checkpoint().events) ?? 0
        }
        stop = true
        done.wait()
        #expect(committed == total, "\(committed) of \(total) committed while following")
    }

    @Test func hostilePayloadsProjectAsAnomalies() throws {
        let dir = temporaryDirectory("bad")
        defer { cleanup(dir) }
        let w = try CaptureWriter(directory: dir)
        let t0: UInt64 = 1_795_717_359_000_000_000
        let payloads: [[UInt8]] = [
            Array(#"{"type":"create_upload_task","size":5,"name":"my "best" face","md5sum":"x"}"#.utf8),
            [0xFF, 0x00, 0xFE, 0x7B],
            [],
            Array(#"{"type":"self_destruct"}"#.utf8),
            Array("{\"type\":\"x\",\"a\":".utf8) + Array(repeating: UInt8(ascii: "["), count: 100_000),
            Array(#"{"type":"create_upload_task","name":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 2 << 20) + Array(#"","size":1}"#.utf8),
        ]
        for (i, p) in payloads.enumerated() {
            try w.write(CapturedMessage(time: t0 + UInt64(i), topic: "$resource/up/service/P/D", payload: p))
        }
        try w.write(CapturedMessage(time: t0 + 10, topic: "$resource/up/service/P/D/extra", payload: Array("{}".utf8)))
        try w.close()
        let db = dir + "/p.sqlite"
        let s = try Projector(paths: [dir], databasePath: db).run()
        #expect(s.events == 7)
        let rows = try DatabaseQueue(path: db).read { try Row.fetchAll($0, sql: "SELECT kind, event_id FROM anomalies ORDER BY event_id") }
        #expect(rows.map { $0["kind"] as String } == ["malformed_json", "malformed_json", "malformed_json", "unknown_type", "malformed_json", "bad_topic"])
        let tasks = try DatabaseQueue(path: db).read { try Row.fetchAll($0, sql: "SELECT length(name) AS n FROM tasks") }
        #expect(tasks.map { $0["n"] as Int } == [2 << 20])
    }

    /// The store spells a well-formed topic from its parts and keeps any other as sent: either way
    /// `events.topic` is each message's topic, byte for byte, in every fixture.
    @Test(arguments: FixtureTests.names)
    func eventsKeepEachTopicAsSent(name: String) throws {
        let capture = FixtureTests.root.appendingPathComponent("\(name)/capture").path
        let dir = temporaryDirectory("topics-\(name)")
        defer { cleanup(dir) }
        _ = try Projector(paths: [capture], databasePath: dir + "/p.sqlite").run()
        let reader = try CaptureReader(paths: [capture])
        var sent: [Data] = []
        while let e = reader.next() {
            if !e.message.isRecorderEvent { sent.append(Data(e.message.topic.utf8)) }
        }
        let stored = try DatabaseQueue(path: dir + "/p.sqlite").read {
            try Data.fetchAll($0, sql: "SELECT CAST(topic AS BLOB) FROM events ORDER BY id")
        }
        #expect(!sent.isEmpty)
        #expect(stored == sent)
    }
}
