import Capture
import Foundation
import GRDB
@testable import Projection
import Simulator
import TestSupport

/// Every table of a projection as text, row by row, for whole-table comparisons.
func dump(_ dbPath: String, excluding: Set<String> = []) throws -> [String: [String]] {
    let q = try DatabaseQueue(path: dbPath)
    defer { try? q.close() }
    return try q.read { db in
        var out: [String: [String]] = [:]
        for table in ["tasks", "topics", "events", "anomalies", "devices", "traffic", "recorder_events", "statistics", "checkpoint"] where !excluding.contains(table) {
            out[table] = try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1, 2").map { $0.description }
        }
        return out
    }
}

/// A simulated capture with every kind of fault.
func simulatedCapture(devices: Int = 12, minutes: UInt64 = 15, seed: UInt64 = 3, configure: (inout SimulationOptions) -> Void = { _ in })
    throws -> (dir: String, injected: InjectedFaults) {
    let dir = temporaryDirectory("sim")
    var o = SimulationOptions()
    o.devices = devices
    o.duration = .seconds(minutes * 60)
    o.seed = seed
    configure(&o)
    var w = CaptureWriter.Options()
    w.chunkSize = 32 << 10
    let injected = try SimulationToCapture.write(o, to: dir, writerOptions: w)
    return (dir, injected)
}

struct InjectedFailure: Error {}

/// Projects `dir` into `db` in batches of `batchSize` until the commit of batch number `failing`
/// fails, as a crash there would; `configure` may set more before the run. Returns the projector.
@discardableResult
func projectInterrupted(_ dir: String, into db: String, batchSize: Int, failing: Int,
                        configure: (Projector) -> Void = { _ in }) throws -> Projector {
    let p = try Projector(paths: [dir], databasePath: db)
    p.batchSize = batchSize
    configure(p)
    p.beforeCommit = { n in if n == failing { throw InjectedFailure() } }
    do { _ = try p.run() } catch is InjectedFailure {}
    return p
}

/// The names of the indexes restrace created in a projection (not SQLite's own).
func indexNames(_ dbPath: String) throws -> Set<String> {
    let q = try DatabaseQueue(path: dbPath)
    defer { try? q.close() }
    return Set(try q.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'") })
}
