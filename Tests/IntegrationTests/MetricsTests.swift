import Broker
import Capture
import Foundation
import Testing
import TestSupport

/// `record --metrics`: scraped with a real HTTP client (curl) while recording, its counters
/// checked against what was published, `/readyz` turning 503 while the broker is away; and
/// `--compact-closed` compacting each closed segment while recording goes on.
@Suite(.serialized) struct MetricsTests {
    /// The status code and body of `GET url`, with curl.
    func get(_ url: String) throws -> (status: Int, body: String) {
        let r = try runProcess("/usr/bin/curl", ["-s", "-m", "5", "-w", "\n%{http_code}", url])
        let lines = r.text.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// The value of an unlabelled sample in Prometheus text.
    func sample(_ text: String, _ name: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    func waitFor(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return try condition()
    }

    @Test func metricsCountWhatWasPublishedAndReadinessFollowsTheBroker() throws {
        let dir = temporaryDirectory("metrics")
        let broker = try TestBroker()
        defer { broker.stop(); cleanup(dir) }
        let port = TestBroker.freePort()
        let base = "http://127.0.0.1:\(port)"
        let errors = dir + "/err"
        let recorder = try startRestrace(["record", "--broker", "mqtt://127.0.0.1:\(broker.port)", "--out", dir + "/cap",
                                          "--metrics", "127.0.0.1:\(port)", "--segment-size", "64KiB", "--compact-closed",
                                          "--flush-interval", "200ms"], errors: errors)
        #expect(try waitFor(10) { try get(base + "/readyz").status == 200 }, "ready once connected and subscribed")
        #expect(try get(base + "/livez").status == 200)

        let count = 3000
        let pub = try publisher(broker, id: "metrics-pub")
        var seed: UInt64 = 42
        for i in 0..<count {
            // A signature-like field that compresses poorly, so that 64 KiB segments fill up.
            let noise = (0..<8).map { _ in
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                return String(seed >> 1, radix: 16)
            }.joined()
            let payload = #"{"type":"report_upload_progress","name":"f\#(i % 7).bin","sig":"\#(noise)","progress":{"state":"uploading","percent":\#(i % 100)}}"#
            try pub.publish(topic: "$resource/up/service/P\(i % 3)/dev\(i % 50)", payload: Array(payload.utf8), qos: 1, retain: false, window: 100)
        }
        #expect(pub.drain(timeout: 10))
        pub.disconnect()
        var metrics = ""
        #expect(try waitFor(10) {
            metrics = try get(base + "/metrics").body
            return sample(metrics, "restrace_recorder_messages_received_total") == Double(count)
        }, "\(metrics)")
        #expect((sample(metrics, "restrace_recorder_bytes_written_total") ?? 0) > 0)
        #expect((sample(metrics, "restrace_recorder_segments_closed_total") ?? 0) >= 2, "\(metrics)")
        #expect(sample(metrics, "restrace_recorder_connected") == 1)
        #expect(sample(metrics, "restrace_recorder_disconnects_total") == 0)
        #expect(sample(metrics, "restrace_recorder_queue_bytes") != nil)
        #expect((sample(metrics, "restrace_recorder_last_message_timestamp_seconds") ?? 0) > 1.7e9)
        #expect(metrics.contains("restrace_build_info{version=\""))
        #expect(!metrics.contains("dev1") && !metrics.contains("$resource"), "no device or topic as a label")

        // The broker goes away: not ready, a disconnect, blind time counted while it lasts.
        broker.stop()
        #expect(try waitFor(10) { try get(base + "/readyz").status == 503 })
        Thread.sleep(forTimeInterval: 1.5)
        metrics = try get(base + "/metrics").body
        #expect(sample(metrics, "restrace_recorder_disconnects_total") == 1, "\(metrics)")
        #expect((sample(metrics, "restrace_recorder_blind_seconds_total") ?? 0) > 0.5, "\(metrics)")
        #expect(try get(base + "/livez").status == 200, "alive while blind")

        // A second recorder cannot serve on the same port: it says so and records nothing.
        let second = try runProcess(restraceExecutable, ["record", "--broker", "mqtt://127.0.0.1:\(broker.port)", "--out", dir + "/other",
                                                         "--metrics", "127.0.0.1:\(port)", "--duration", "3s"])
        #expect(second.status != 0 && second.err.contains("cannot listen"), "\(second.err)")
        let bad = try runProcess(restraceExecutable, ["record", "--broker", "mqtt://127.0.0.1:1", "--out", dir + "/other", "--metrics", "nonsense"])
        #expect(bad.status != 0 && bad.err.contains("HOST:PORT"), "\(bad.err)")

        #expect(interrupt(recorder) == 0, "\((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")")
        // Every message is in the capture, and the closed segments were compacted as it went.
        let reader = try CaptureReader(paths: [dir + "/cap"])
        var messages = 0
        var compacted: [String] = []
        while let e = reader.next() {
            if CapturedMessage.isRecorderTopic(e.message.topic) {
                let text = String(decoding: e.message.payload, as: UTF8.self)
                if text.contains("\"compacted\"") { compacted.append(text) }
            } else {
                messages += 1
            }
        }
        #expect(messages == count)
        #expect(reader.problems.isEmpty)
        #expect(compacted.count >= 1, "compacted events")
        let verify = try runProcess(restraceExecutable, ["verify", dir + "/cap"])
        #expect(verify.status == 0, "\(verify.text)")
    }
}
