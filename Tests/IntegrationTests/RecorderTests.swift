import Broker
import Capture
import Foundation
import Recorder
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Runs a recorder on a background thread; `stop()` ends it and returns its summary.
final class RunningRecorder: @unchecked Sendable {
    // @unchecked: `stopFlag` and `result` are written by one thread, read after `done` signals.
    private let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var stopFlag = false
    nonisolated(unsafe) var result: Result<RecorderStatus, Error>?
    let recorder: Recorder

    init(_ options: RecorderOptions, directory: String) throws {
        recorder = try Recorder(options: options, directory: directory)
        Thread { [self] in
            result = Result { try recorder.run(shouldStop: { self.stopFlag }) }
            done.signal()
        }.start()
    }

    func stop() throws -> RecorderStatus {
        stopFlag = true
        done.wait()
        return try result!.get()
    }

    func wait() -> Result<RecorderStatus, Error> { done.wait(); return result! }
}

func readCapture(_ dir: String) throws -> [CapturedMessage] {
    let r = try CaptureReader(paths: [dir])
    var out: [CapturedMessage] = []
    while let e = r.next() { out.append(e.message) }
    return out
}

@Suite(.serialized) struct RecorderTests {
    @Test(arguments: [SessionOptions.ProtocolVersion.v311, .v5])
    func everythingUnderResourceIsCapturedByteForByte(version: SessionOptions.ProtocolVersion) throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let dir = temporaryDirectory("rec")
        var o = RecorderOptions(broker: broker.url)
        o.session.protocolVersion = version
        o.session.clientID = "rec-\(version.rawValue)"
        let rec = try RunningRecorder(o, directory: dir)
        Thread.sleep(forTimeInterval: 0.3)
        let a = try publisher(broker, id: "pa", version: version), b = try publisher(broker, id: "pb", version: version)
        var sent: [String: [UInt8]] = [:]
        for i in 0..<400 {
            let topic = "$resource/\(i % 2 == 0 ? "up" : "down")/service/P\(i % 3)/dev-\(i % 7)"
            var payload = Array(#"{"type":"report_upload_progress","name":"f\#(i)","progress":{"state":"uploading","percent":\#(i % 100)}}"#.utf8)
            if i % 50 == 0 { payload = [0xFF, 0x00, UInt8(i % 256)] }
            if i % 77 == 0 { payload = [] }
            try (i % 2 == 0 ? a : b).publish(topic: topic, payload: payload, qos: i % 2, retain: false, window: 500)
            sent["\(i)"] = payload
            try a.publish(topic: "other/topic/\(i)", payload: [1, 2, 3], qos: 0, retain: false, window: 500)
        }
        #expect(a.drain(timeout: 5) && b.drain(timeout: 5))
        Thread.sleep(forTimeInterval: 0.5)
        let status = try rec.stop()
        #expect(status.messages == 400)
        let got = try readCapture(dir)
        let traffic = got.filter { !$0.isRecorderEvent }
        #expect(traffic.count == 400)
        #expect(traffic.allSatisfy { $0.topic.hasPrefix("$resource/") })
        #expect(Set(traffic.map(\.payload)) == Set(sent.values))
        #expect(traffic.filter { $0.qos == 1 }.count == 200)
        let events = try readCaptureEvents(dir)
        #expect(events.first == "started" && events.last == "stopped" && events.contains("connected"))
        #expect(try CaptureVerifier.verify(path: dir).allSatisfy { $0.isIntact && $0.closedCleanly })
    }

    @Test func brokerRestartLosesNothingAndIsRecorded() throws {
        let broker = try TestBroker(persistence: true)
        defer { broker.stop() }
        let dir = temporaryDirectory("restart")
        var o = RecorderOptions(broker: broker.url)
        o.session.clientID = "rec-persistent"
        o.session.cleanSession = false
        o.session.reconnectMin = 1
        o.session.reconnectMax = 1
        let rec = try RunningRecorder(o, directory: dir)
        Thread.sleep(forTimeInterval: 0.5)
        var p = try publisher(broker, id: "pub1")
        for i in 0..<50 { try p.publish(topic: "$resource/up/service/P/d", payload: Array("before \(i)".utf8), qos: 1, retain: false, window: 500) }
        #expect(p.drain(timeout: 5))
        Thread.sleep(forTimeInterval: 1.5)  // let the broker save its state
        p.disconnect()
        broker.stop()
        Thread.sleep(forTimeInterval: 1)
        try broker.start()
        // Published while the recorder is still away: the broker queues them for its session.
        p = try publisher(broker, id: "pub2")
        for i in 0..<50 { try p.publish(topic: "$resource/up/service/P/d", payload: Array("after \(i)".utf8), qos: 1, retain: false, window: 500) }
        #expect(p.drain(timeout: 5))
        #expect(waitUntil(10) { rec.recorder.status.messages >= 100 })
        let status = try rec.stop()
        #expect(status.messages == 100)
        let payloads = Set(try readCapture(dir).filter { !$0.isRecorderEvent }.map { String(decoding: $0.payload, as: UTF8.self) })
        #expect(payloads == Set((0..<50).map { "before \($0)" } + (0..<50).map { "after \($0)" }))
        let events = try readCaptureEvents(dir)
        #expect(events.contains("disconnected"))
        #expect(events.filter { $0 == "connected" }.count >= 2)
    }

    @Test func unreachableBrokerGivesUp() throws {
        let dir = temporaryDirectory("unreachable")
        var o = RecorderOptions(broker: BrokerURL(host: "127.0.0.1", port: TestBroker.freePort()))
        o.giveUpAfter = .milliseconds(1500)
        o.session.reconnectMin = 1
        let rec = try RunningRecorder(o, directory: dir)
        guard case .failure(let error) = rec.wait() else { Issue.record("expected a failure"); return }
        #expect("\(error)".contains("gave up"))
        let events = try readCaptureEvents(dir)
        #expect(events.contains("connect_failed"))
        #expect(try CaptureVerifier.verify(path: dir).allSatisfy { $0.isIntact && $0.closedCleanly })
    }

    /// mosquitto 2.0 never delivers topics that start with `$` to shared subscriptions, so this
    /// test records a plain topic; other brokers (EMQX, HiveMQ, VerneMQ) share `$resource/#` too.
    @Test func twoRecordersInAShareGroupHoldEveryMessageOnce() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let d1 = temporaryDirectory("share1"), d2 = temporaryDirectory("share2")
        var o = RecorderOptions(broker: broker.url)
        o.shareGroup = "rec"
        o.filters = ["fleet/#"]
        o.session.clientID = "rec-a"
        let r1 = try RunningRecorder(o, directory: d1)
        o.session.clientID = "rec-b"
        let r2 = try RunningRecorder(o, directory: d2)
        Thread.sleep(forTimeInterval: 0.5)
        let p = try publisher(broker, id: "pub")
        for i in 0..<300 { try p.publish(topic: "fleet/up/service/P/d\(i % 5)", payload: Array("m\(i)".utf8), qos: 1, retain: false, window: 500) }
        #expect(p.drain(timeout: 5))
        #expect(waitUntil(5) { r1.recorder.status.messages + r2.recorder.status.messages >= 300 })
        _ = try r1.stop(); _ = try r2.stop()
        let a = try readCapture(d1).filter { !$0.isRecorderEvent }, b = try readCapture(d2).filter { !$0.isRecorderEvent }
        #expect(a.count > 0 && b.count > 0)
        #expect(a.count + b.count == 300)
        let merged = try CaptureReader(paths: [d1, d2])
        var all: [String] = []
        while let e = merged.next() {
            if !e.message.isRecorderEvent { all.append(String(decoding: e.message.payload, as: UTF8.self)) }
        }
        #expect(Set(all) == Set((0..<300).map { "m\($0)" }))
    }

    /// SIGTERM in the middle of a burst: exit 0, and every message the recorder says it received
    /// is in a closed file (what the broker had not delivered yet stays queued on the broker).
    @Test func sigtermDuringABurstClosesTheCapture() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let dir = temporaryDirectory("sigterm")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: restraceExecutable)
        p.arguments = ["record", "--broker", broker.url.description, "--out", dir, "--client-id", "rec-term"]
        let err = Pipe()
        p.standardError = err
        try p.run()
        Thread.sleep(forTimeInterval: 0.7)
        let pub = try publisher(broker, id: "burst")
        let burst = Thread {
            for i in 0..<20_000 { try? pub.publish(topic: "$resource/up/service/P/d", payload: Array("burst \(i)".utf8), qos: 1, retain: false, window: 500) }
        }
        burst.start()
        Thread.sleep(forTimeInterval: 0.3)
        kill(p.processIdentifier, SIGTERM)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(stderr)")
        let got = try readCapture(dir).filter { !$0.isRecorderEvent }
        #expect(got.count > 0)
        #expect(stderr.contains("recorded \(got.count) messages"), "\(stderr)")
        #expect(try CaptureVerifier.verify(path: dir).allSatisfy { $0.isIntact && $0.closedCleanly })
    }

    @Test func kill9LosesAtMostOneFlushInterval() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let dir = temporaryDirectory("kill9")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: restraceExecutable)
        p.arguments = ["record", "--broker", broker.url.description, "--out", dir, "--flush-interval", "200ms", "--client-id", "rec-k9"]
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        Thread.sleep(forTimeInterval: 0.7)
        let pub = try publisher(broker, id: "steady")
        var sentAt: [(String, Date)] = []
        for i in 0..<60 {
            let text = "steady \(i)"
            try pub.publish(topic: "$resource/up/service/P/d", payload: Array(text.utf8), qos: 1, retain: false, window: 500)
            sentAt.append((text, Date()))
            Thread.sleep(forTimeInterval: 0.025)
        }
        #expect(pub.drain(timeout: 5))
        Thread.sleep(forTimeInterval: 0.5)  // more than one flush interval after the last message
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let got = Set(try readCapture(dir).filter { !$0.isRecorderEvent }.map { String(decoding: $0.payload, as: UTF8.self) })
        #expect(got == Set(sentAt.map(\.0)))
        #expect(try CaptureVerifier.verify(path: dir).contains { !$0.closedCleanly })
    }

    @Test func redactionRemovesTheSignatureAndNothingElse() {
        let p = #"{"type":"create_upload_task_rsp","size":5,"name":"a","url" : "https://h/p/a.jpg?q-sign-algorithm=sha1&q-signature=abc","md5sum":"x"}"#
        let r = String(decoding: URLRedaction.redact(Array(p.utf8)), as: UTF8.self)
        #expect(r == #"{"type":"create_upload_task_rsp","size":5,"name":"a","url" : "https://h/p/a.jpg?REDACTED","md5sum":"x"}"#)
        let noQuery = #"{"url":"https://h/p","name":"url"}"#
        #expect(URLRedaction.redact(Array(noQuery.utf8)) == Array(noQuery.utf8))
        #expect(URLRedaction.redact(Array("not json \"url\"".utf8)) == Array("not json \"url\"".utf8))
    }
}

/// The recorder's own events in a capture, by name.
func readCaptureEvents(_ dir: String) throws -> [String] {
    try readCapture(dir).filter(\.isRecorderEvent).compactMap {
        (try? JSONSerialization.jsonObject(with: Data($0.payload)) as? [String: Any])?["event"] as? String
    }
}

/// TLS with a CA and certificates made by openssl, and password authentication.
@Suite(.serialized) struct RecorderTLSTests {
    private func sh(_ args: [String], in dir: String) throws {
        let r = try runProcess("/usr/bin/env", args, in: dir)
        if r.status != 0 { throw NSError(domain: "sh", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: args.joined(separator: " ") + ": " + r.err]) }
    }

    @Test func recordsOverTLSWithAPasswordAndRefusesAWrongOne() throws {
        let certs = temporaryDirectory("tls")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: certs)
        try sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=restrace test CA",
                "-keyout", "ca.key", "-out", "ca.crt"], in: certs)
        try sh(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"], in: certs)
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: certs + "/san.ext", atomically: true, encoding: .utf8)
        try sh(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-extfile", "san.ext", "-out", "server.crt"], in: certs)
        try "recorder:right-password\n".write(toFile: certs + "/passwd", atomically: true, encoding: .utf8)
        try sh(["mosquitto_passwd", "-U", "passwd"], in: certs)
        for f in ["ca.crt", "server.crt", "server.key", "passwd"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: certs + "/" + f)
        }
        let broker = try TestBroker(config: """
            cafile \(certs)/ca.crt
            certfile \(certs)/server.crt
            keyfile \(certs)/server.key
            password_file \(certs)/passwd
            """, allowAnonymous: false)
        defer { broker.stop() }
        let url = BrokerURL(tls: true, host: "127.0.0.1", port: broker.port)

        var o = RecorderOptions(broker: url)
        o.session.caFile = certs + "/ca.crt"
        o.session.username = "recorder"
        o.session.password = "right-password"
        o.session.clientID = "tls-rec"
        let dir = temporaryDirectory("tls-rec")
        let rec = try RunningRecorder(o, directory: dir)
        var po = SessionOptions()
        po.clientID = "tls-pub"
        po.caFile = certs + "/ca.crt"
        po.username = "recorder"
        po.password = "right-password"
        Thread.sleep(forTimeInterval: 1)
        let pub = try MosquittoSession(broker: url, options: po)
        try pub.connect(giveUpAfter: .seconds(5))
        for i in 0..<20 { try pub.publish(topic: "$resource/up/service/P/tls", payload: Array("secure \(i)".utf8), qos: 1, retain: false, window: 100) }
        #expect(pub.drain(timeout: 5))
        #expect(waitUntil(5) { rec.recorder.status.messages == 20 })
        #expect(try rec.stop().messages == 20)
        let metadata = try String(contentsOfFile: try CaptureSource.files(of: dir)[0], encoding: .isoLatin1)
        #expect(!metadata.contains("right-password"))

        o.session.password = "wrong-password"
        o.session.clientID = "tls-rec-wrong"
        let wrong = try RunningRecorder(o, directory: temporaryDirectory("tls-wrong"))
        guard case .failure(let error) = wrong.wait() else { Issue.record("a wrong password must fail"); return }
        #expect("\(error)".contains("refused"), "\(error)")
    }
}
