import Capture
import Foundation
import Testing
@testable import Projection
@testable import Simulator
import TestSupport

@Suite struct SimulatorTests {
    private func bytes(_ dir: String) throws -> [Data] {
        try CaptureSource.files(of: dir).map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
    }

    @Test func manyMessagesPastTheEndAreSkippedWithoutDeepening() throws {
        // A short run of a large fleet ends with thousands of messages past the end in a row;
        // skipping them used to recurse once each and overflowed the stack (at 200 000 devices).
        let o = { var o = SimulationOptions(); o.devices = 2000; o.duration = .seconds(2); return o }()
        nonisolated(unsafe) var count = 0, last: UInt64 = 0
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var fleet = FleetSimulator(options: o)
            while let m = fleet.next() { count += 1; last = m.time }
            done.signal()
        }
        thread.stackSize = 256 << 10
        thread.start()
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(count > 0 && last < o.start + o.duration.nanoseconds)
    }

    @Test func sameSeedSameCaptureByteForByte() throws {
        let (a, ia) = try simulatedCapture(devices: 8, minutes: 5, seed: 11)
        let (b, ib) = try simulatedCapture(devices: 8, minutes: 5, seed: 11)
        let (c, _) = try simulatedCapture(devices: 8, minutes: 5, seed: 12)
        defer { cleanup(a); cleanup(b); cleanup(c) }
        #expect(try bytes(a) == bytes(b))
        #expect(ia == ib)
        #expect(try bytes(a) != bytes(c))
    }

    @Test func reportsFindExactlyTheInjectedFailuresAndStalls() throws {
        let (dir, injected) = try simulatedCapture(devices: 25, minutes: 20, seed: 5) { o in
            o.failureRate = 0.2; o.rejectionRate = 0.08; o.stallRate = 0.01; o.pauseRate = 0; o.unansweredRate = 0
            o.malformedRate = 0; o.largeFileRate = 0
        }
        defer { cleanup(dir) }
        let db = dir + "/p.sqlite"
        _ = try Projector(paths: [dir], databasePath: db).run()
        let store = try SQLiteStore(readingFrom: db)
        let failures = try Reports.run(.failures, store: store, filters: ReportFilters())
        guard case .array(let groups) = failures.json else { Issue.record("not an array"); return }
        var found: [String: Int] = [:]
        for case .object(let fields) in groups {
            let f = Dictionary(uniqueKeysWithValues: fields)
            found["\(f["kind"]!.cell)/\(f["failed_by"]!.cell)/\(f["result_code"]!.cell)"] = Int(f["tasks"]!.cell)
        }
        #expect(!injected.failures.isEmpty)
        #expect(found == injected.failures)
        let stalled = try Reports.run(.stalled, store: store, filters: ReportFilters())
        guard case .array(let stalls) = stalled.json else { Issue.record("not an array"); return }
        #expect(injected.stalls > 0)
        #expect(stalls.count == injected.stalls)
        // Also as the task rows say.
        let tasks = try Reports.run(.tasks, store: store, filters: ReportFilters()).json.rendered()
        let all = try JSONSerialization.jsonObject(with: Data(tasks.utf8)) as! [[String: Any]]
        let done = all.filter { $0["state"] as? String == "done" }.count
        #expect(done == injected.transfersDone.values.reduce(0, +))
    }
}
