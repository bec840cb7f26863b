import Broker
import Capture
import Foundation
import GRDB
import Projection
import Recorder
import Simulator
import Testing
import TestSupport

/// `simulate --broker`, recorded by `record`, gives the same task outcomes as `simulate --out`
/// with the same seed (timing aside).
@Suite(.serialized) struct SimulatorLiveTests {
    private func outcomes(_ capture: String) throws -> [String] {
        let db = temporaryDirectory("outcomes") + "/p.sqlite"
        _ = try Projector(paths: [capture], databasePath: db).run()
        return try DatabaseQueue(path: db).read { db in
            try Row.fetchAll(db, sql: """
                SELECT product, device, kind, name, attempt, state, result_code, failed_by, fail_reports, offers
                FROM tasks ORDER BY product, device, kind, name, attempt
                """).map { $0.description }
        }
    }

    @Test func liveThroughABrokerMatchesDirect() throws {
        var o = SimulationOptions()
        o.devices = 6
        o.duration = .seconds(120)
        o.seed = 77
        o.failureRate = 0.2
        o.rejectionRate = 0.1
        o.stallRate = 0
        o.pauseRate = 0
        let direct = temporaryDirectory("direct")
        let injectedDirect = try SimulationToCapture.write(o, to: direct)

        let broker = try TestBroker()
        defer { broker.stop() }
        let live = temporaryDirectory("live")
        var ro = RecorderOptions(broker: broker.url)
        ro.session.clientID = "sim-live-rec"
        let rec = try RunningRecorder(ro, directory: live)
        Thread.sleep(forTimeInterval: 0.5)
        let injectedLive = try SimulationToBroker.run(o, broker: broker.url, session: SessionOptions(), speed: 10)
        Thread.sleep(forTimeInterval: 0.5)
        let status = try rec.stop()
        #expect(injectedLive == injectedDirect)
        #expect(status.messages == UInt64(injectedLive.messages))
        let a = try outcomes(direct), b = try outcomes(live)
        #expect(a.count > 20)
        #expect(a == b)
    }
}
