import Capture
import Foundation
import Testing
@testable import Projection
import TestSupport

/// Archiving (ended tasks leaving the reducer's memory) bounds memory and changes no result.
@Suite struct ArchiveTests {
    /// Every message of a simulated capture with every kind of fault, as the projector feeds them.
    private func messages() throws -> (dir: String, messages: [IncomingMessage]) {
        let (dir, _) = try simulatedCapture(devices: 12, minutes: 30)
        let reader = try CaptureReader(paths: [dir])
        var out: [IncomingMessage] = []
        while let e = reader.next() {
            out.append(IncomingMessage(id: Int64(out.count + 1), time: e.message.time, topic: e.message.topic,
                                       payload: e.message.payload, position: e.position))
        }
        return (dir, out)
    }

    // The "store": every row drained so far, as the archive reads them back, numbering the
    // attempts the reducer leaves to it as a store does (one more than the key's latest).
    private final class Rows: @unchecked Sendable {
        var byID: [Int64: TransferTask] = [:]
        var readBack = 0, counted = 0
        func latest(_ key: TaskKey) -> TransferTask? { byID.values.filter { $0.key == key }.max { $0.attempt < $1.attempt } }
        func write(_ task: TransferTask) {
            var t = task
            if let stored = byID[t.id] {
                t.attempt = stored.attempt  // counted once, when the row is first written
            } else if t.attempt == TransferTask.countedByStore {
                t.attempt = (latest(t.key)?.attempt ?? 0) + 1
                counted += 1
            }
            byID[t.id] = t
        }
    }

    @Test func theReducerGivesTheSameRowsWithTasksArchivedAndReadBack() throws {
        let (dir, messages) = try messages()
        defer { cleanup(dir) }
        let rows = Rows()
        var archiving = TaskReducer()
        archiving.archiveAfter = .milliseconds(100)  // shorter than the gap to a second `fail`: some are read back
        archiving.archivedInFull = 40  // most keys only in the Bloom filter: the store numbers their attempts
        archiving.archive = TaskArchive(task: { id in rows.readBack += 1; return rows.byID[id] },
                                        latest: { key in rows.readBack += 1; return rows.latest(key) })
        var plain = TaskReducer()
        var plainRows: [Int64: TransferTask] = [:]
        var keysThatLeft = 0
        for (i, m) in messages.enumerated() {
            archiving.apply(m)
            plain.apply(m)
            if i % 3 == 2 || i == messages.count - 1 {
                for t in archiving.drain().tasks { rows.write(t) }
                for t in plain.drain().tasks { plainRows[t.id] = t }
                keysThatLeft = archiving.archivedKeys.count
                #expect(archiving.tasks.count < plain.tasks.count || i < 1000)
            }
        }
        #expect(rows.byID == plainRows)
        #expect(keysThatLeft > 50, "only \(keysThatLeft) keys ever left memory")
        #expect(rows.readBack > 0, "no archived task was ever read back: the test proves nothing")
        #expect(rows.counted > 20, "only \(rows.counted) attempts numbered by the store")
    }

    /// A device that sends the same file again and again: each earlier attempt leaves memory once
    /// idle, though its key's latest attempt is another one (they once stayed for good).
    @Test func earlierAttemptsOfAKeyLeaveMemoryToo() {
        var reducer = TaskReducer()
        reducer.archiveAfter = .seconds(60)
        reducer.archive = TaskArchive(task: { _ in nil }, latest: { _ in nil })
        var id: Int64 = 0
        func send(_ time: UInt64, _ direction: String, _ payload: String) {
            id += 1
            reducer.apply(IncomingMessage(id: id, time: time, topic: "$resource/\(direction)/service/P/cam", payload: Array(payload.utf8),
                                          position: CapturePosition(file: "000001.mcap", chunkOffset: 0, index: Int(id))))
            _ = reducer.drain()  // a batch a message: an ended attempt is no longer being written when the next starts
        }
        var most = 0
        for attempt in 0..<400 {
            let t = 1_795_717_300_000_000_000 + UInt64(attempt) * 30_000_000_000  // a new attempt every 30 s
            send(t, "up", #"{"type":"create_upload_task","name":"same.bin","size":10,"md5sum":"x"}"#)
            send(t + 1_000_000_000, "down", #"{"type":"upload_result","result_code":-1}"#)
            most = max(most, reducer.tasksInMemory)
        }
        #expect(reducer.nextTaskID == 401)
        #expect(most <= 4, "\(most) of 400 attempts in memory at once")
    }

    /// Progress reports for a task never requested, whose key the Bloom filter takes for one that
    /// left memory (a false positive, made here by inserting it): the store is asked once, not for
    /// every report. Once a task of that key has left memory, a late report finds it again.
    @Test func aKeyTheStoreLacksIsAskedForOnce() {
        var reducer = TaskReducer()
        reducer.archiveAfter = .seconds(60)
        let rows = Rows()
        reducer.archive = TaskArchive(task: { rows.byID[$0] }, latest: { key in rows.readBack += 1; return rows.latest(key) })
        reducer.keysOnlyInFilter = true
        let key = TaskKey(product: "P", device: "cam", kind: .upload, name: "ghost.bin")
        reducer.archivedKeys.insert(key)
        var id: Int64 = 0
        let t0: UInt64 = 1_795_717_300_000_000_000
        @discardableResult
        func send(_ time: UInt64, _ direction: String, _ payload: String) -> ProjectedEvent? {
            id += 1
            reducer.apply(IncomingMessage(id: id, time: time, topic: "$resource/\(direction)/service/P/cam", payload: Array(payload.utf8),
                                          position: CapturePosition(file: "000001.mcap", chunkOffset: 0, index: Int(id))))
            let out = reducer.drain()
            for t in out.tasks { rows.write(t) }
            return out.events.last
        }
        let progress = #"{"type":"report_upload_progress","name":"ghost.bin","progress":{"state":"uploading","percent":10}}"#
        for i in 0..<50 { send(t0 + UInt64(i) * 1_000_000_000, "up", progress) }
        #expect(rows.readBack == 1)
        // The key's task starts, ends, and leaves memory; a report after that reads it back.
        send(t0 + 100_000_000_000, "up", #"{"type":"create_upload_task","name":"ghost.bin","size":10,"md5sum":"x"}"#)
        send(t0 + 101_000_000_000, "down", #"{"type":"upload_result","result_code":-1}"#)
        send(t0 + 300_000_000_000, "up", #"{"type":"get_download_task"}"#)  // time passes: it leaves memory
        #expect(reducer.tasksInMemory == 0)
        let late = send(t0 + 301_000_000_000, "up", progress)
        #expect(rows.readBack == 2)
        #expect(late?.taskID != nil && late?.taskID == rows.latest(key)?.id)
    }

    @Test func projectionsWithAndWithoutArchivingAreIdentical() throws {
        let (dir, _) = try simulatedCapture(devices: 12, minutes: 30)
        defer { cleanup(dir) }
        let plain = try Projector(paths: [dir], databasePath: dir + "/plain.sqlite")
        plain.archiveAfter = nil
        let summary = try plain.run()
        // Archiving after 1 s of idleness, in small batches, interrupted and resumed.
        let db = dir + "/archiving.sqlite"
        var runs = 0
        repeat {
            try projectInterrupted(dir, into: db, batchSize: 211, failing: 7) { $0.archiveAfter = .seconds(1); $0.archivedInFull = 20 }
            runs += 1
        } while try SQLiteStore(readingFrom: db).checkpoint().events < summary.totalEvents && runs < 1000
        #expect(runs > 2)
        let expected = try dump(dir + "/plain.sqlite"), got = try dump(db)
        for (table, rows) in expected where got[table] != rows {
            let diff = zip(rows, got[table] ?? []).first { $0.0 != $0.1 }
            Issue.record("table \(table) differs: \(rows.count) vs \(got[table]?.count ?? 0) rows; first: \(String(describing: diff))")
        }
    }

    /// PostgreSQL: a fresh projection whose archived keys mostly leave the reducer's memory has its
    /// attempts numbered at the end of the run (those the store numbers), as SQLite's without archiving.
    @Test func aPostgreSQLProjectionNumbersTheAttemptsItWasLeft() throws {
        let (dir, _) = try simulatedCapture(devices: 12, minutes: 30)
        defer { cleanup(dir) }
        let pg = try TestPostgres()
        defer { pg.stop() }
        try pg.createDatabase("archiving")
        let plain = try Projector(paths: [dir], databasePath: dir + "/plain.sqlite")
        plain.archiveAfter = nil
        _ = try plain.run()
        let archiving = try Projector(paths: [dir], databasePath: pg.url("archiving"))
        archiving.batchSize = 211
        archiving.archiveAfter = .seconds(1)
        archiving.archivedInFull = 20
        _ = try archiving.run()
        let tasks = "SELECT id, kind, product, device, name, attempt, state FROM tasks ORDER BY id"
        func rows(_ store: any ProjectionStore) throws -> [String] {
            try store.read { db in try db.all(tasks).map { r in (0..<r.columnCount).map { r.text($0) }.joined(separator: " ") } }
        }
        let want = try rows(plain.store), got = try rows(archiving.store)
        #expect(want.count > 300)
        #expect(got == want)
        let again = try pg.psql("archiving", "SELECT count(*) FROM tasks WHERE attempt > 1")
        #expect(Int(again) ?? 0 > 20, "only \(again) later attempts: the test proves little")
    }
}
