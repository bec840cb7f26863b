import Broker
import Capture
import Foundation
import Recorder
import Testing
import TestSupport

/// What the recorder does with a session's events, without a broker: a `ScriptedSession` hands
/// them out in order.
@Suite struct RecorderScriptedTests {
    func message(_ i: Int) -> BrokerEvent {
        .message(ReceivedMessage(time: 1_795_717_359_000_000_000 + UInt64(i) * 1_000_000, topic: "$resource/up/service/P/d\(i % 3)",
                                 payload: Array(#"{"type":"get_download_task","i":\#(i)}"#.utf8), qos: 1, retain: false))
    }

    func recorder(_ events: [BrokerEvent], into dir: String) throws -> (Recorder, ScriptedSession) {
        let session = ScriptedSession(events)
        var options = RecorderOptions(broker: try BrokerURL(parsing: "mqtt://127.0.0.1:9"))
        options.session.clientID = "scripted"
        let recorder = try Recorder(options: options, directory: dir)
        recorder.makeSession = { session }
        return (recorder, session)
    }

    @Test func eventsAndMessagesAreRecordedInOrderAndTheJournalIsFreed() throws {
        let dir = temporaryDirectory("scripted")
        defer { cleanup(dir) }
        let events: [BrokerEvent] = [.connected(sessionPresent: false), .subscribed(grantedQoS: [1])] + (0..<3).map(message)
            + [.disconnected(reason: "The connection was lost.")] + [.connected(sessionPresent: true)] + (3..<5).map(message)
        let (recorder, session) = try self.recorder(events, into: dir)
        let status = try recorder.run(shouldStop: { session.isOver })
        #expect(status.messages == 5 && status.disconnects == 1 && session.disconnected)
        #expect(session.subscribed == ["$resource/#"])
        let all = try readCapture(dir)
        #expect(all.filter { !$0.isRecorderEvent }.map(\.payload) == (0..<5).map { i in
            guard case .message(let m) = message(i) else { return [] }
            return m.payload
        })
        let recorded = try readCaptureEvents(dir)
        #expect(recorded == ["started", "connected", "subscribed", "disconnected", "connected", "stopped"], "\(recorded)")
        // Every message went through the journal, and all of it was freed once on disk.
        #expect(try CaptureJournal.open(directory: dir).1.isEmpty)
    }

    @Test func aSessionTakenOverAgainAndAgainStopsTheRecorder() throws {
        let dir = temporaryDirectory("scripted-takeover")
        defer { cleanup(dir) }
        let bounces = (0..<6).flatMap { _ in [BrokerEvent.connected(sessionPresent: true), .disconnected(reason: "The connection was lost.")] }
        let (recorder, session) = try self.recorder(bounces, into: dir)
        #expect(throws: RecorderError.self) { try recorder.run(shouldStop: { session.isOver }) }
        #expect(try readCaptureEvents(dir).contains("client_id_conflict"))
        // A broker that restarts once is not that.
        let once = [BrokerEvent.connected(sessionPresent: false), .disconnected(reason: "The connection was lost."), .connected(sessionPresent: true)]
        let dir2 = temporaryDirectory("scripted-restart")
        defer { cleanup(dir2) }
        let (calm, calmSession) = try self.recorder(once, into: dir2)
        #expect(try calm.run(shouldStop: { calmSession.isOver }).disconnects == 1)
    }
}
