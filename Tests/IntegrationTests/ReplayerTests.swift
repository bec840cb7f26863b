import Broker
import Capture
import Foundation
import Recorder
@testable import Replayer
import Selection
import Testing
import TestSupport

/// Subscribes to a filter and collects what arrives, with its arrival time.
final class Collector: @unchecked Sendable {
    let session: MosquittoSession
    private(set) var received: [ReceivedMessage] = []

    init(_ broker: TestBroker, filter: String) throws {
        session = try publisher(broker, id: "collector-\(UUID().uuidString.prefix(8))")
        try session.subscribe([filter], qos: 1)
        _ = waitUntil(5) { session.events(timeout: 0.05).contains { if case .subscribed = $0 { true } else { false } } }
    }

    /// Everything received until `count` messages arrived or `timeout` passed.
    func collect(count: Int, timeout: Double) -> [ReceivedMessage] {
        let end = Date(timeIntervalSinceNow: timeout)
        while received.count < count, Date() < end {
            for e in session.events(timeout: 0.05) { if case .message(let m) = e { received.append(m) } }
        }
        for e in session.events(timeout: 0.2) { if case .message(let m) = e { received.append(m) } }
        return received
    }
}

/// A small capture of both directions for two products.
func replayCapture(count: Int = 200, spacing: UInt64 = 5_000_000) throws -> (dir: String, messages: [CapturedMessage]) {
    let dir = temporaryDirectory("replay-src")
    let w = try CaptureWriter(directory: dir)
    var messages: [CapturedMessage] = []
    try w.write(CapturedMessage(time: 1_000, topic: CapturedMessage.recorderTopic, payload: Array(#"{"event":"started"}"#.utf8)))
    for i in 0..<count {
        let up = i % 3 != 0
        let m = CapturedMessage(time: 1_000_000_000 + UInt64(i) * spacing,
                                topic: "$resource/\(up ? "up" : "down")/service/P\(i % 2)/dev\(i % 4)",
                                qos: UInt8(i % 2), payload: Array(#"{"type":"\#(i % 5 == 0 ? "ping" : "get_download_task")","i":\#(i)}"#.utf8))
        try w.write(m)
        messages.append(m)
    }
    try w.close()
    return (dir, messages)
}

func publisherFor(_ client: MosquittoSession) -> (ReplayMessage) throws -> Void {
    { m in try client.publish(topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, window: 1000) }
}

@Suite(.serialized) struct ReplayerTests {
    @Test func replayRecordedGivesBackTheSamePayloadsOnMappedTopics() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let (dir, messages) = try replayCapture()
        let collector = try Collector(broker, filter: "replay/#")
        var o = ReplayOptions()
        o.rate = 20
        o.topicPrefix = "replay/"
        o.mapProduct = ["P1": "STAGE"]
        o.filter.direction = .up
        let client = try publisher(broker, id: "replayer")
        let summary = try Replayer(paths: [dir], options: o).run(publish: publisherFor(client))
        #expect(client.drain(timeout: 5))
        let expected = messages.filter { $0.topic.contains("/up/") }
        #expect(summary.published == expected.count)
        #expect(summary.skipped == messages.count - expected.count + 1)
        let got = collector.collect(count: expected.count, timeout: 5)
        #expect(got.map(\.payload) == expected.map(\.payload))
        #expect(got.map(\.topic) == expected.map { "replay/" + $0.topic.replacingOccurrences(of: "/P1/", with: "/STAGE/") })
    }

    @Test func filtersSelectExactlyTheRightMessages() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let (dir, messages) = try replayCapture()
        let collector = try Collector(broker, filter: "$resource/#")
        var o = ReplayOptions()
        o.maxRate = true
        o.filter.devices = ["dev1"]
        o.filter.products = ["P1"]
        o.filter.since = messages[50].time
        o.filter.until = messages[150].time
        let client = try publisher(broker, id: "replayer")
        _ = try Replayer(paths: [dir], options: o).run(publish: publisherFor(client))
        #expect(client.drain(timeout: 5))
        let expected = messages[50...150].filter { $0.topic.hasSuffix("/P1/dev1") }
        #expect(!expected.isEmpty)
        #expect(collector.collect(count: expected.count, timeout: 5).map(\.payload) == expected.map(\.payload))
    }

    /// A type filter reads each payload; topic filters, decided once per channel, still apply,
    /// and each message is lent with its own payload, QoS and mapped topic.
    @Test func typeAndTopicFiltersTogether() throws {
        let (dir, messages) = try replayCapture()
        var o = ReplayOptions()
        o.filter.types = ["ping"]
        o.filter.direction = .up
        o.mapDevice = ["dev2": "bench"]
        var got: [(String, String, Int)] = []
        let summary = try Replayer(paths: [dir], options: o).run(paced: false, publish: { m in
            got.append((m.topic, String(decoding: m.payload, as: UTF8.self), m.qos))
        })
        let expected = messages.filter { $0.topic.contains("/up/") && String(decoding: $0.payload, as: UTF8.self).contains(#""ping""#) }
        #expect(!expected.isEmpty)
        #expect(got.map(\.0) == expected.map { $0.topic.replacingOccurrences(of: "/dev2", with: "/bench") })
        #expect(got.map(\.1) == expected.map { String(decoding: $0.payload, as: UTF8.self) })
        #expect(got.map(\.2) == expected.map { Int($0.qos) })
        #expect(summary.published == expected.count && summary.skipped == messages.count + 1 - expected.count)
    }

    @Test func rateFourQuartersTheGaps() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let (dir, messages) = try replayCapture(count: 40, spacing: 100_000_000)
        let collector = try Collector(broker, filter: "$resource/#")
        var o = ReplayOptions()
        o.rate = 4
        o.qos = 0
        let client = try publisher(broker, id: "replayer")
        let summary = try Replayer(paths: [dir], options: o).run(publish: publisherFor(client))
        let got = collector.collect(count: messages.count, timeout: 5)
        #expect(got.count == messages.count)
        // Original gaps are 100 ms: at rate 4 each arrives 25 ms after the one before. The
        // tolerance (±10 ms a gap, ±15 ms over the whole run) catches broken scheduling, not jitter.
        let gaps = zip(got.dropFirst(), got).map { Double($0.time - $1.time) / 1e6 }
        let total = Double(got.last!.time - got.first!.time) / 1e6
        #expect(abs(total - 39 * 25) < 15, "total \(total) ms")
        #expect(gaps.filter { abs($0 - 25) > 10 }.count <= 2, "gaps \(gaps)")
        #expect(summary.latenessP99 < 10)
    }

    @Test func maxRateAtQoS1DeliversEverything() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let (dir, messages) = try replayCapture(count: 5000, spacing: 1_000_000)
        let collector = try Collector(broker, filter: "$resource/#")
        var o = ReplayOptions()
        o.maxRate = true
        o.qos = 1
        let client = try publisher(broker, id: "replayer")
        let summary = try Replayer(paths: [dir], options: o).run(publish: publisherFor(client))
        #expect(client.drain(timeout: 10))
        #expect(summary.published == 5000)
        #expect(Set(collector.collect(count: 5000, timeout: 10).map(\.payload)) == Set(messages.map(\.payload)))
    }

    @Test func loopThreeTimesRestartsTheTimeline() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let (dir, messages) = try replayCapture(count: 20, spacing: 10_000_000)
        let collector = try Collector(broker, filter: "$resource/#")
        var o = ReplayOptions()
        o.loops = 3
        o.rate = 2
        let client = try publisher(broker, id: "replayer")
        var dues: [UInt64] = []
        _ = try Replayer(paths: [dir], options: o).run(publish: { m in dues.append(m.due); try publisherFor(client)(m) })
        #expect(dues.count == 60)
        #expect(Array(dues[0..<20]) == Array(dues[20..<40]) && dues[0] == 0 && dues[40] == 0)
        #expect(collector.collect(count: 60, timeout: 5).map(\.payload) == Array(repeating: messages.map(\.payload), count: 3).flatMap { $0 })
    }

    @Test func aBrokerThatGoesAwayEndsTheReplayWithTheReason() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let (dir, _) = try replayCapture(count: 200, spacing: 1_000_000)
        let client = try publisher(broker, id: "replayer-gone")
        defer { client.disconnect() }
        broker.pause()  // connected, but acknowledging nothing: as a broker that went away unannounced
        var o = ReplayOptions()
        o.qos = 1
        let started = Date()
        let summary = try Replayer(paths: [dir], options: o).run(publish: { m in
            try client.publish(topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, window: 10, stallLimit: 1)
        })
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(summary.abortedBecause?.contains("no acknowledgement for 1 s") == true)
        #expect(summary.published >= 10 && summary.published < 200 && summary.failed >= 1)
    }

    @Test func aStopRequestEndsAWaitAtOnce() throws {
        // A gap of an hour in the capture, or a window that never drains: either way a stop is seen within a moment.
        let clock = WallClock.monotonic
        let started = Date()
        #expect(!Replayer.wait(until: clock() + 3_600_000_000_000, clock: clock, shouldStop: { Date().timeIntervalSince(started) > 0.2 }))
        #expect(Date().timeIntervalSince(started) < 2)
        let broker = try TestBroker()
        defer { broker.stop() }
        let client = try publisher(broker, id: "replayer-stop")
        defer { client.disconnect() }
        broker.pause()
        var error: BrokerError?
        do {
            for _ in 0..<20 { try client.publish(topic: "t", payload: [], qos: 1, retain: false, window: 5, shouldStop: { Date().timeIntervalSince(started) > 0.5 }) }
        } catch let e { error = e }
        #expect(error == .interrupted)
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func dryRunPublishesNothing() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let (dir, messages) = try replayCapture(count: 30)
        let collector = try Collector(broker, filter: "#")
        let dry = try runProcess(restraceExecutable, ["replay", dir, "--broker", broker.url.description, "--dry-run"])
        #expect(dry.status == 0)
        #expect(dry.text.split(separator: "\n").count == messages.count)
        #expect(collector.collect(count: 1, timeout: 1).isEmpty)
    }
}
