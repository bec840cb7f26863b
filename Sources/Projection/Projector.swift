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
    public var batchSize = 20_000
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
    public func run(follow: Bool = false, pollInterval: TimeInterval = 0.5, stallAfter: UInt64 = 120_000_000_000,
                    shouldStop: () -> Bool = { false }, progress: (Progress) -> Void = { _ in }) throws -> Summary {
        let started = Date()
        var summary = Summary(rebuiltBecause: store.rebuiltBecause)
        var checkpoint = try store.checkpoint()
        var reducer = try store.loadReducer(nextTaskID: checkpoint.nextTaskID)
        let single = paths.count == 1
        let reader = try CaptureReader(paths: paths, resumeAfter: single ? checkpoint.position : nil, follow: follow)
        if !single {
            for _ in 0..<checkpoint.events where reader.next() != nil {}
        }
        var batch = 0
        var batchNumber = 0
        func commit() throws {
            let out = reducer.drain()
            checkpoint.nextTaskID = reducer.nextTaskID
            summary.tasksChanged += out.tasks.count
            summary.anomalies += out.anomalies.count
            try store.write(out, checkpoint: checkpoint) { try beforeCommit(batchNumber) }
            batchNumber += 1
            batch = 0
            progress(Progress(events: checkpoint.events, lastTime: checkpoint.lastTime, seconds: Date().timeIntervalSince(started)))
        }
        while true {
            while let entry = reader.next() {
                checkpoint.events += 1
                summary.events += 1
                if single { checkpoint.position = entry.position }
                let m = entry.message
                if checkpoint.firstTime == nil { checkpoint.firstTime = m.time }
                checkpoint.lastTime = max(checkpoint.lastTime ?? m.time, m.time)
                reducer.apply(IncomingMessage(id: checkpoint.events, time: m.time, topic: m.topic, payload: m.payload,
                                              position: entry.position.description))
                batch += 1
                if batch >= batchSize { try commit() }
                if follow, shouldStop() { break }
            }
            if batch > 0 || batchNumber == 0 { try commit() }
            if !follow || shouldStop() { break }
            Thread.sleep(forTimeInterval: pollInterval)
        }
        if let last = checkpoint.lastTime { try store.markStalled(asOf: last, stallAfter: stallAfter) }
        summary.totalEvents = checkpoint.events
        summary.seconds = Date().timeIntervalSince(started)
        summary.captureProblems = reader.problems.map(\.description)
        return summary
    }
}
