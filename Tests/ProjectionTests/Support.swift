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
        for table in ["tasks", "events", "anomalies", "devices", "traffic", "recorder_events", "statistics", "checkpoint"] where !excluding.contains(table) {
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
    o.duration = minutes * 60_000_000_000
    o.seed = seed
    configure(&o)
    var w = CaptureWriter.Options()
    w.chunkSize = 32 << 10
    let injected = try SimulationToCapture.write(o, to: dir, writerOptions: w)
    return (dir, injected)
}

struct InjectedFailure: Error {}

/// The names of the indexes restrace created in a projection (not SQLite's own).
func indexNames(_ dbPath: String) throws -> Set<String> {
    let q = try DatabaseQueue(path: dbPath)
    defer { try? q.close() }
    return Set(try q.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'") })
}
