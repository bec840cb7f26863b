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
        public var eventsPerSecond: Double { seconds > 0 ? Double(events) / seconds : 0 }
    }

    public let store: ProjectionStore
    private let paths: [String]
    /// Messages per transaction.
    public var batchSize = 50_000
    /// Ended tasks idle this long (capture time) leave the reducer's memory (nil: never), so memory
    /// follows the tasks of the last minutes, not every task of the capture.
    public var archiveAfter: UInt64? = 600_000_000_000
    /// Called inside each batch's transaction before it commits (tests inject failures here).
    var beforeCommit: (Int) throws -> Void = { _ in }

    /// Opens the projection at `databasePath` for the captures at `paths`.
    public init(paths: [String], databasePath: String, rebuild: Bool = false) throws {
        self.paths = paths
        store = try ProjectionStore(path: databasePath, captureID: Self.captureID(paths), rebuild: rebuild)
    }

    /// What identifies the capture a projection was made from: its absolute paths.
    static func captureID(_ paths: [String]) -> String {
        paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }.joined(separator: "\n")
    }

    /// Projects every message not yet projected. With `follow`, keeps waiting for more until
    /// `shouldStop` returns true, committing at least every `pollInterval`.
    ///
    /// Three threads share the work: one reads the capture and decodes payloads into batches, one
    /// reduces them, and one commits each batch's rows with its checkpoint.
    public func run(follow: Bool = false, pollInterval: TimeInterval = 0.5, stallAfter: UInt64 = 120_000_000_000,
                    shouldStop: @escaping @Sendable () -> Bool = { false }, progress: (Progress) -> Void = { _ in }) throws -> Summary {
        let started = Date()
        var summary = Summary(rebuiltBecause: store.rebuiltBecause)
        var checkpoint = try store.checkpoint()
        var reducer = try store.loadReducer(checkpoint: checkpoint, archiveAfter: archiveAfter)
        let single = paths.count == 1
        let reader = try CaptureReader(paths: paths, resumeAfter: single ? checkpoint.position : nil, follow: follow)
        if !single {
            for _ in 0..<checkpoint.events where reader.next() != nil {}
        }
        let batches = HandOver<Batch>(capacity: 2)
        let producer = BatchProducer(reader: reader, queue: batches, start: checkpoint, single: single, batchSize: batchSize,
                                     follow: follow, pollInterval: pollInterval, shouldStop: shouldStop)
        Thread { producer.run() }.start()
        defer { batches.cancel(); producer.finished.wait() }
        let writer = BatchWriter(store: store, beforeCommit: beforeCommit)
        Thread { writer.run() }.start()
        reducer.archiveAfter = archiveAfter
        reducer.archive = { [store] id in
            writer.waitUntilIdle()
            return try? store.task(id: id)
        }
        var batchNumber = 0
        while let batch = batches.pop() {
            for m in batch.messages { reducer.apply(m) }
            let newTasksFrom = checkpoint.nextTaskID
            checkpoint = batch.checkpoint
            checkpoint.nextTaskID = reducer.nextTaskID
            let out = reducer.drain()
            summary.events += Int64(batch.messages.count)
            summary.tasksChanged += out.tasks.count
            summary.anomalies += out.anomalies.count
            guard writer.submit(PendingWrite(output: out, checkpoint: checkpoint, newTasksFrom: newTasksFrom,
                                             number: batchNumber, caughtUp: batch.caughtUp)) else { break }
            batchNumber += 1
            progress(Progress(events: checkpoint.events, lastTime: checkpoint.lastTime, seconds: Date().timeIntervalSince(started)))
        }
        writer.close()
        writer.finished.wait()
        if let error = writer.error { throw error }
        if !writer.indexed { try store.ensureIndexes() }
        if let last = checkpoint.lastTime { try store.markStalled(asOf: last, stallAfter: stallAfter) }
        summary.totalEvents = checkpoint.events
        summary.seconds = Date().timeIntervalSince(started)
        summary.captureProblems = reader.problems.map(\.description)
        return summary
    }
}

/// One batch's rows and the checkpoint they reach, on their way to the store.
struct PendingWrite: Sendable {
    var output: ReducerOutput
    var checkpoint: Checkpoint
    var newTasksFrom: Int64
    var number: Int
    var caughtUp: Bool
}

/// Commits batches in order on its own thread; after a failure it takes no more.
final class BatchWriter: @unchecked Sendable {
    // @unchecked: `failure`, `built` and `outstanding` are guarded by `state`; `beforeCommit` is
    // only called on the writer's thread.
    let store: ProjectionStore
    private let writes = HandOver<PendingWrite>(capacity: 2)
    private let state = NSCondition()
    private var outstanding = 0
    private var failure: Error?
    private var built = false
    let finished = DispatchSemaphore(value: 0)
    private let beforeCommit: (Int) throws -> Void

    init(store: ProjectionStore, beforeCommit: @escaping (Int) throws -> Void) {
        self.store = store
        self.beforeCommit = beforeCommit
    }

    var error: Error? { state.lock(); defer { state.unlock() }; return failure }
    /// True once the indexes were built (when a batch caught up with the capture).
    var indexed: Bool { state.lock(); defer { state.unlock() }; return built }

    /// Queues a batch; false if the writer failed and takes no more.
    func submit(_ w: PendingWrite) -> Bool {
        state.lock(); outstanding += 1; state.unlock()
        guard writes.push(w) else { settle(); return false }
        return true
    }

    /// No more batches will come.
    func close() { writes.close() }

    /// Waits until every batch submitted so far is committed (or the writer failed).
    func waitUntilIdle() {
        state.lock()
        while outstanding > 0, failure == nil { state.wait() }
        state.unlock()
    }

    private func settle(failing error: Error? = nil) {
        state.lock()
        outstanding -= 1
        if let error { failure = error; outstanding = 0 }
        state.broadcast()
        state.unlock()
    }

    func run() {
        defer { finished.signal() }
        while let w = writes.pop() {
            do {
                try store.write(w.output, checkpoint: w.checkpoint, newTasksFrom: w.newTasksFrom) { try beforeCommit(w.number) }
                if w.caughtUp, !indexed {
                    try store.ensureIndexes()
                    state.lock(); built = true; state.unlock()
                }
                settle()
            } catch {
                settle(failing: error)
                writes.cancel()
                return
            }
        }
    }
}

/// Messages decoded ahead of the reducer, with the checkpoint that committing them reaches.
struct Batch: Sendable {
    var messages: [IncomingMessage]
    var checkpoint: Checkpoint
    /// True when the batch ends at what the capture held at the time (a followed capture may grow).
    var caughtUp = false
}

/// Reads the capture and decodes on its own thread, handing batches to the projector.
final class BatchProducer: @unchecked Sendable {
    // @unchecked: the reader is used by this producer's thread only, from start until `finished`.
    let reader: CaptureReader
    let queue: HandOver<Batch>
    var checkpoint: Checkpoint
    let single: Bool
    let batchSize: Int
    let follow: Bool
    let pollInterval: TimeInterval
    let shouldStop: @Sendable () -> Bool
    let finished = DispatchSemaphore(value: 0)

    init(reader: CaptureReader, queue: HandOver<Batch>, start: Checkpoint, single: Bool, batchSize: Int, follow: Bool,
         pollInterval: TimeInterval, shouldStop: @escaping @Sendable () -> Bool) {
        self.reader = reader
        self.queue = queue
        checkpoint = start
        self.single = single
        self.batchSize = batchSize
        self.follow = follow
        self.pollInterval = pollInterval
        self.shouldStop = shouldStop
    }

    func run() {
        defer { queue.close(); finished.signal() }
        var messages: [IncomingMessage] = []
        messages.reserveCapacity(batchSize)
        var sentAny = false
        func send(caughtUp: Bool = false) -> Bool {
            sentAny = true
            defer { messages.removeAll(keepingCapacity: true) }
            return queue.push(Batch(messages: messages, checkpoint: checkpoint, caughtUp: caughtUp))
        }
        while true {
            while let entry = reader.next() {
                let m = entry.message
                checkpoint.events += 1
                if single { checkpoint.position = entry.position }
                if checkpoint.firstTime == nil { checkpoint.firstTime = m.time }
                checkpoint.lastTime = max(checkpoint.lastTime ?? m.time, m.time)
                messages.append(IncomingMessage(id: checkpoint.events, time: m.time, topic: m.topic, payload: m.payload,
                                                position: entry.position.description))
                if messages.count >= batchSize, !send() { return }
                if follow, shouldStop() { break }
            }
            if !messages.isEmpty || !sentAny { if !send(caughtUp: true) { return } }
            if !follow || shouldStop() { return }
            Thread.sleep(forTimeInterval: pollInterval)
        }
    }
}

/// A bounded hand-over between two threads: the reader and the reducer, the reducer and the writer.
final class HandOver<Item: Sendable>: @unchecked Sendable {
    // @unchecked: every field is only touched with `condition` locked.
    private let condition = NSCondition()
    private var items: [Item] = []
    private var closed = false
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room; false if the consumer gave up.
    func push(_ b: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity, !cancelled { condition.wait() }
        guard !cancelled else { return false }
        items.append(b)
        condition.broadcast()
        return true
    }

    /// The next item, or nil once the sender closed the queue and it is empty (or gave up).
    func pop() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty, !closed { condition.wait() }
        guard !items.isEmpty else { return nil }
        condition.broadcast()
        return items.removeFirst()
    }

    func close() { condition.lock(); closed = true; condition.broadcast(); condition.unlock() }
    func cancel() { condition.lock(); cancelled = true; items.removeAll(); condition.broadcast(); condition.unlock() }
}
