import Capture
import Foundation

/// Brings a projection up to date with a capture: reads from the checkpoint on, reduces, and
/// commits each batch together with the new checkpoint.
public final class Projector {
    public struct Progress: Sendable {
        public var events: Int64
        public var lastTime: UInt64?
        public var seconds: Double
    }

    public struct Summary: Sendable {
        /// Messages projected in this run.
        public var events: Int64 = 0
        /// Tasks created or changed in this run.
        public var tasksChanged = 0
        public var anomalies = 0
        public var seconds = 0.0
        /// All messages projected so far, this run included.
        public var totalEvents: Int64 = 0
        public var rebuiltBecause: String?
        /// Damage met in the capture (torn tails, corrupt chunks), as text.
        public var captureProblems: [String] = []
        /// With `retain`: the events dropped, and the time before which they were.
        public var eventsDropped: EventsDropped?
        public var retainedFrom: UInt64?
        public var eventsPerSecond: Double { seconds > 0 ? Double(events) / seconds : 0 }
    }

    public let store: any ProjectionStore
    private let paths: [String]
    /// Messages per transaction: 50 000, or 250 000 for a store that writes them in parts
    /// (PostgreSQL; docs/performance.md).
    public var batchSize: Int
    /// Messages per hand-over from the reader to the reducer, which applies several before it
    /// commits them as one transaction: the messages waiting between those threads (decoded, each
    /// a few hundred bytes with its strings) are a few pieces rather than a few whole batches.
    var piece = 10_000
    /// Only messages received up to this time (ns) are projected: the tasks as they were then.
    public var until: UInt64?
    /// Events per part of a transaction, at least, for a store that writes it in parts: on the
    /// bench capture into PostgreSQL, parts of 40 000 took 12.7 and 13.1 s, parts of every piece
    /// (10 000 messages) 15.1 and 15.8 s, of 100 000 13.5 and 14.2 s (docs/performance.md).
    var part = 40_000
    /// Ended tasks idle this long (capture time) leave the reducer's memory (nil: never), so memory
    /// follows the tasks of the last minutes, not every task of the capture. Reading one back waits
    /// for the writer; with two minutes the bench capture reads none back (docs/performance.md).
    public var archiveAfter: Duration? = .seconds(120)
    /// How many archived keys the reducer holds with their attempt in memory (nil: its default);
    /// the store numbers the next attempts of the others. Tests make it small.
    var archivedInFull: Int?
    /// Events older than this before the capture's last message are dropped after the run (the
    /// tasks, anomalies and counts stay); nil: all are kept.
    public var retain: Duration?
    /// Called inside each batch's transaction before it commits (tests inject failures here).
    var beforeCommit: (Int) throws -> Void = { _ in }

    /// Opens the projection at `databasePath` for the captures at `paths`.
    public init(paths: [String], databasePath: String, rebuild: Bool = false) throws {
        self.paths = paths
        let reason = rebuild ? "--rebuild" : Self.checkpoint(of: databasePath, for: paths).flatMap { Self.changed($0, in: paths[0]) }
        store = try ProjectionDatabase.open(writing: databasePath, captureID: Self.captureID(paths), rebuildBecause: reason)
        batchSize = store.writesInParts ? 250_000 : 50_000
    }

    /// True when the projection at `databasePath` already holds every message of the capture at
    /// `paths`, so that a report reads it as it is: without a write (it may be read-only), and
    /// without taking the writer's lock. (Several captures merged are resumed by counting, so
    /// they are always brought up to date by a projector.)
    public static func isUpToDate(paths: [String], databasePath: String) -> Bool {
        guard let checkpoint = Self.checkpoint(of: databasePath, for: paths), changed(checkpoint, in: paths[0]) == nil,
              let reader = try? CaptureReader(paths: paths, resumeAfter: checkpoint.position) else { return false }
        return checkpoint.position != nil && reader.next() == nil && reader.failure == nil
    }

    /// The checkpoint of an existing, current projection of the single capture at `paths`, read
    /// without writing; nil for anything else (no file, another version or capture, several
    /// captures, which are resumed by counting).
    static func checkpoint(of databasePath: String, for paths: [String]) -> Checkpoint? {
        guard paths.count == 1, ProjectionDatabase.mayExist(databasePath),
              let store = try? ProjectionDatabase.open(reading: databasePath) else { return nil }
        return try? store.checkpoint(ofCapture: captureID(paths))
    }

    /// Why a projection cannot resume where `checkpoint` says in the capture at `capture`: the
    /// file it points into was rewritten since (by `recover`, say), so the same offset holds
    /// another record. Nil when it can. A file that is gone was pruned: the capture goes on with
    /// the next one.
    static func changed(_ checkpoint: Checkpoint, in capture: String) -> String? {
        guard let position = checkpoint.position else { return nil }
        let now = position.fingerprint(inCapture: capture)
        guard now != checkpoint.fingerprint, now != nil || FileManager.default.fileExists(atPath: position.path(inCapture: capture)) else {
            return nil
        }
        return "\(position.file) changed since it was projected (rewritten, by `restrace recover` for example)"
    }

    /// What identifies the capture a projection was made from: its absolute paths.
    public static func captureID(_ paths: [String]) -> String {
        paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }.joined(separator: "\n")
    }

    /// The paths of the capture a projection was made from (its `captureID`).
    public static func capturePaths(of checkpoint: Checkpoint) -> [String] {
        checkpoint.captureID.split(separator: "\n").map(String.init)
    }

    /// Projects every message not yet projected. With `follow`, keeps waiting for more until
    /// `shouldStop` returns true, committing at least every `pollInterval`.
    ///
    /// Three threads share the work: one reads the capture and decodes payloads into batches, one
    /// reduces them, and one commits each batch's rows with its checkpoint.
    public func run(follow: Bool = false, pollInterval: TimeInterval = 0.5, stallAfter: Duration = .seconds(120),
                    shouldStop: @escaping @Sendable () -> Bool = { false }, progress: (Progress) -> Void = { _ in }) throws -> Summary {
        try store.naming { try project(follow: follow, pollInterval: pollInterval, stallAfter: stallAfter,
                                                             shouldStop: shouldStop, progress: progress) }
    }

    /// With `retain`, drops the events older than that before `last`, adding to `summary`'s count.
    private func dropOldEvents(asOf last: UInt64, into summary: inout Summary) throws {
        guard let retain, last > retain.nanoseconds else { return }
        let dropped = try store.dropEvents(before: last - retain.nanoseconds)
        var total = summary.eventsDropped ?? EventsDropped()
        total.days += dropped.days
        if let n = dropped.events { total.events = (total.events ?? 0) + n }
        summary.eventsDropped = total
        summary.retainedFrom = last - retain.nanoseconds
    }

    private func project(follow: Bool, pollInterval: TimeInterval, stallAfter: Duration, shouldStop: @escaping @Sendable () -> Bool,
                         progress: (Progress) -> Void) throws -> Summary {
        let started = Date()
        defer { store.releaseWriterLock() }  // a projector writes in one run; another may follow it
        var summary = Summary(rebuiltBecause: store.rebuiltBecause)
        var checkpoint = try store.checkpoint()
        let single = paths.count == 1
        let reader = try CaptureReader(paths: paths, resumeAfter: single ? checkpoint.position : nil, follow: follow)
        if !single {
            for _ in 0..<checkpoint.events where reader.next() != nil {}
        }
        // Up to two pieces wait for the reducer, and two batches for the writer. Four batches each
        // (before pieces) took the bench capture's projection no faster than two (medians of five
        // runs, alternating: 11.46 s with four, 11.43 with two) for 233-255 MiB at its peak
        // instead of 208-223; pieces then gave 160-172 MiB in the same time (docs/performance.md).
        let batches = HandOver<Batch>(capacity: 2)
        let producer = BatchProducer(reader: reader, queue: batches, start: checkpoint, paths: paths, batchSize: batchSize, piece: piece,
                                     follow: follow, pollInterval: pollInterval, shouldStop: shouldStop)
        producer.until = until
        producer.oneDayPerTransaction = store.writesInParts
        Thread { producer.run() }.start()
        defer { batches.cancel(); producer.finished.wait() }
        let writer = BatchWriter(store: store, beforeCommit: beforeCommit)
        Thread { writer.run() }.start()
        // The reducer is loaded with the first message: a run that finds nothing new does not read
        // every task's key.
        var reducer: TaskReducer?
        var batchNumber = 0
        var lastRetention: UInt64 = 0
        // Messages applied since the last commit, and the first id of the tasks they made.
        var applied = 0
        var newTasksFrom = checkpoint.nextTaskID
        while let batch = batches.pop() {
            if reducer == nil, !batch.messages.isEmpty {
                writer.waitUntilIdle()
                reducer = try store.loadReducer(checkpoint: checkpoint, archiveAfter: archiveAfter)
                if let archivedInFull { reducer!.archivedInFull = archivedInFull }
                reducer!.archive = TaskArchive(task: { [store] id in
                    writer.waitUntilIdle()
                    return try? store.task(id: id)
                }, latest: { [store] key in
                    writer.waitUntilIdle()
                    return try? store.latestTask(of: key)
                })
            }
            applied += batch.messages.count
            batch.messages.takeEach { reducer!.apply($0) }
            checkpoint = batch.checkpoint
            checkpoint.nextTaskID = reducer?.nextTaskID ?? newTasksFrom
            progress(Progress(events: checkpoint.events, lastTime: checkpoint.lastTime, seconds: Date().timeIntervalSince(started)))
            guard batch.endsTransaction else {
                // A part of the transaction: its events go to the store now, not at its end.
                if store.writesInParts, let part = reducer?.drainAdded(atLeast: part) {
                    summary.anomalies += part.anomalies.count
                    guard writer.submit(PendingWrite(batch: store.prepare(part, newTasksFrom: newTasksFrom), checkpoint: nil,
                                                     number: batchNumber, caughtUp: false)) else { break }
                }
                continue
            }
            let out = reducer?.drain() ?? ReducerOutput()
            summary.events += Int64(applied)
            summary.tasksChanged += out.tasks.count
            summary.anomalies += out.anomalies.count
            applied = 0
            // Prepared here, on the reducer's thread (PostgreSQL's rows are formatted, and the
            // reducer's let go: memory holds each waiting batch once).
            guard writer.submit(PendingWrite(batch: store.prepare(out, newTasksFrom: newTasksFrom), checkpoint: checkpoint,
                                             number: batchNumber, caughtUp: batch.caughtUp)) else { break }
            newTasksFrom = checkpoint.nextTaskID
            batchNumber += 1
            // Following for months: old days go as the capture goes on, once an hour of it.
            if follow, retain != nil, batch.caughtUp, let last = checkpoint.lastTime, last >= lastRetention &+ 3_600_000_000_000 {
                writer.waitUntilIdle()
                if let error = writer.error { throw error }
                try dropOldEvents(asOf: last, into: &summary)
                lastRetention = last
            }
        }
        writer.close()
        writer.finished.wait()
        if let error = writer.error { throw error }
        // Committed up to the file that could not be read, never past it.
        if let failure = reader.failure { throw failure }
        if !writer.indexed { try store.ensureIndexes() }
        if let last = checkpoint.lastTime { try store.markStalled(asOf: last, stallAfter: stallAfter) }
        try store.refreshStatistics()
        if let last = checkpoint.lastTime { try dropOldEvents(asOf: last, into: &summary) }
        summary.totalEvents = checkpoint.events
        summary.seconds = Date().timeIntervalSince(started)
        summary.captureProblems = reader.problems.map(\.description)
        return summary
    }
}
