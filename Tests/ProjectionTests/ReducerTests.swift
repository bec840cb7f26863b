import Testing
import Capture
@testable import Projection
import ResourceProtocol

/// A tiny script of messages for one device, one second apart unless told.
struct Script {
    var reducer = TaskReducer()
    var time: UInt64 = 1_795_717_359_000_000_000
    var id: Int64 = 0
    var product = "TESTPROD01"
    var device = "dev_1"

    mutating func send(_ direction: String, _ payload: String, after seconds: Double = 1, topic: String? = nil) {
        time += UInt64(seconds * 1e9)
        id += 1
        let t = topic ?? "$resource/\(direction)/service/\(product)/\(device)"
        reducer.apply(IncomingMessage(id: id, time: time, topic: t, payload: Array(payload.utf8), position: CapturePosition(file: "000001.mcap", chunkOffset: 0, index: Int(id))))
    }
    mutating func up(_ p: String, after s: Double = 1) { send("up", p, after: s) }
    mutating func down(_ p: String, after s: Double = 1) { send("down", p, after: s) }

    mutating func drain() -> ReducerOutput { reducer.drain() }
    func task(_ kind: TaskKind, _ name: String) -> TransferTask? {
        var r = reducer  // a copy: looking up never changes what the script tests
        return r.latestTaskID(TaskKey(product: product, device: device, kind: kind, name: name)).flatMap { r.tasks[$0] }
    }
}

let md5 = "0123456789abcdef0123456789abcdef"

@Suite struct ReducerTests {
    @Test func cleanUploadCSDK() throws {
        var s = Script()
        s.up(#"{"type": "create_upload_task","size": 250000,"name": "face.bin","md5sum": "\#(md5)"}"#)
        #expect(s.task(.upload, "face.bin")?.state == .requested)
        s.down(#"{"type":"create_upload_task_rsp","size":250000,"name":"face.bin","md5sum":"\#(md5)","url":"http://h/p?sig=x"}"#, after: 0.1)
        #expect(s.task(.upload, "face.bin")?.state == .offered)
        for pct in [0, 20, 40, 60, 80, 100] {
            s.up(#"{"type":"report_upload_progress","name":"face.bin","progress":{"state":"uploading","percent":\#(pct),"result_code":0,"result_msg":""}}"#)
            s.down(#"{"type":"report_upload_progress_rsp","result_code":0,"result_msg":""}"#, after: 0.05)
        }
        s.up(#"{"type":"report_upload_progress","name":"face.bin","progress":{"state":"done","result_code":0,"result_msg":""}}"#, after: 2)
        s.down(#"{"type":"report_upload_progress_rsp","result_code":0,"result_msg":""}"#, after: 0.05)
        let out = s.drain()
        let t = try #require(out.tasks.first)
        #expect(out.tasks.count == 1)
        #expect(t.state == .done)
        #expect(t.attempt == 1)
        #expect(t.lastPercent == 100)  // the final report has no percent: the last one stays
        #expect(t.progressReports == 7)
        #expect(t.resultCode == 0 && t.resultMessage == "")
        #expect(t.offers == 1)
        #expect(t.size == 250000 && t.md5sum == md5)
        #expect(out.anomalies.isEmpty, "\(out.anomalies)")
        #expect(out.events.count == 16)
        #expect(out.events.allSatisfy { $0.taskID == t.id })
    }

    /// A part of a transaction takes the rows only ever added (events, anomalies, new topics,
    /// recorder events) and leaves the tasks and devices for the drain that ends the transaction;
    /// with fewer events than asked for, it takes nothing.
    @Test func aPartTakesTheAddedRowsAndLeavesTheChanges() throws {
        var s = Script()
        s.up(#"{"type": "create_upload_task","size": 250000,"name": "face.bin","md5sum": "\#(md5)"}"#)
        s.up(#"{"type":"no_such_type"}"#)
        #expect(s.reducer.drainAdded(atLeast: 3) == nil)
        let taken = s.reducer.drainAdded(atLeast: 2)
        let part = try #require(taken)
        #expect(part.events.count == 2 && part.anomalies.count == 1 && part.topics.count == 1)
        #expect(part.tasks.isEmpty && part.devices.isEmpty && part.traffic.isEmpty)
        #expect(s.reducer.drainAdded(atLeast: 1) == nil)  // nothing added since
        s.down(#"{"type":"create_upload_task_rsp","size":250000,"name":"face.bin","md5sum":"\#(md5)","url":"http://h/p?sig=x"}"#)
        let rest = s.drain()
        #expect(rest.events.map(\.id) == [3] && rest.anomalies.isEmpty && rest.topics.count == 1)
        #expect(rest.tasks.map(\.state) == [.offered] && rest.devices.count == 1 && !rest.traffic.isEmpty)
    }

    /// A part archives idle ended tasks too, but not one changed since the last drain: here a
    /// second `fail` and its answer, stamped before the task's last event (the recorder's clock
    /// stepped back), change it without moving that event, and must reach the next drain.
    @Test func aPartLeavesATaskChangedSinceTheLastDrainInMemory() throws {
        var s = Script()
        s.reducer.archiveAfter = .seconds(120)
        s.reducer.archive = TaskArchive(task: { _ in nil }, latest: { _ in nil })
        let fail = #"{"type":"report_upload_progress","name":"img","progress":{"state":"fail","result_code":-1,"result_msg":"time_out"}}"#
        let answer = #"{"type":"report_upload_progress_rsp","result_code":0,"result_msg":""}"#
        s.up(#"{"type":"create_upload_task","size":10,"name":"img","md5sum":"\#(md5)"}"#)
        s.down(#"{"type":"create_upload_task_rsp","size":10,"name":"img","md5sum":"\#(md5)","url":"u"}"#)
        s.up(fail)
        s.down(answer)
        let answered = s.time
        #expect(s.drain().tasks.map(\.failReports) == [1])  // ended and answered: it may leave memory
        s.device = "dev_2"
        s.up(#"{"type":"get_download_task"}"#, after: 300)  // the clock goes on past its idle time
        s.device = "dev_1"
        s.time = answered - 5_000_000_000
        s.up(fail)
        s.down(answer)
        #expect(s.task(.upload, "img").map { ($0.failReports, $0.pendingResponses, $0.lastEventAt) } ?? (0, 0, 0) == (2, 0, answered))
        _ = s.reducer.drainAdded(atLeast: 1)
        #expect(s.drain().tasks.filter { $0.key.name == "img" }.map(\.failReports) == [2])
    }

    /// Names and devices are byte strings: `é` and `e` + U+0301 look alike and Swift's `==` takes
    /// them for one, but they are two files (and two devices) to the device and to the store.
    @Test func canonicallyEquivalentNamesAreDistinct() throws {
        var s = Script()
        let composed = "caf\u{E9}.bin", decomposed = "cafe\u{301}.bin"
        #expect(composed == decomposed)  // what Swift's String says
        for name in [composed, decomposed] {
            s.up(#"{"type":"create_upload_task","size":10,"name":"\#(name)","md5sum":"\#(md5)"}"#)
        }
        s.up(#"{"type":"report_upload_progress","name":"\#(decomposed)","progress":{"state":"uploading","percent":50}}"#)
        s.device = "d\u{E9}v"
        s.up(#"{"type":"get_download_task"}"#)
        s.device = "de\u{301}v"
        s.up(#"{"type":"get_download_task"}"#)
        let out = s.drain()
        #expect(out.tasks.count == 2)
        #expect(out.tasks.map(\.attempt) == [1, 1])  // not a second attempt of one file
        #expect(out.tasks.map { Array($0.key.name.utf8) } == [Array(composed.utf8), Array(decomposed.utf8)])
        #expect(out.tasks.map(\.state) == [.requested, .transferring])
        #expect(out.devices.count == 3)
        #expect(out.anomalies.isEmpty, "\(out.anomalies)")
    }

    @Test func doubleFailKeepsTheRootCause() {
        var s = Script()
        s.down(#"{"type":"download","size":1000,"name":"fw","md5sum":"\#(md5)","url":"u"}"#)
        s.up(#"{"type":"report_download_progress","name":"fw","progress":{"state":"downloading","percent":0,"result_code":0,"result_msg":""}}"#)
        s.up(#"{"type":"report_download_progress","name":"fw","progress":{"state":"fail","result_code":-4,"result_msg":"md5sum not matched"}}"#)
        s.up(#"{"type":"report_download_progress","name":"fw","progress":{"state":"fail","result_code":-1,"result_msg":"time_out"}}"#, after: 0.4)
        let t = s.task(.download, "fw")!
        #expect(t.state == .failed)
        #expect(t.failedBy == .device)
        #expect(t.resultCode == -4 && t.resultMessage == "md5sum not matched")
        #expect(t.failReports == 2)
        #expect(s.drain().anomalies.isEmpty)
    }

    @Test func platformRejectionIsTheRootCause() {
        var s = Script()
        s.up(#"{"type":"create_upload_task","size":10,"name":"img","md5sum":"\#(md5)"}"#)
        s.down(#"{"type":"create_upload_task_rsp","size":10,"name":"img","md5sum":"\#(md5)","url":"u"}"#)
        s.up(#"{"type":"report_upload_progress","name":"img","progress":{"state":"uploading","percent":0,"result_code":0,"result_msg":""}}"#)
        s.down(#"{"type":"report_upload_progress_rsp","result_code":403,"result_msg":"quota exceeded"}"#)
        s.up(#"{"type":"report_upload_progress","name":"img","progress":{"state":"fail","result_code":-1,"result_msg":"time_out"}}"#)
        let t = s.task(.upload, "img")!
        #expect(t.state == .failed)
        #expect(t.failedBy == .platform)
        #expect(t.resultCode == 403 && t.resultMessage == "quota exceeded")
        #expect(t.failReports == 1)
        #expect(s.drain().anomalies.isEmpty)
    }

    @Test func reOfferedPushIsOneAttempt() {
        var s = Script()
        for _ in 0..<4 { s.down(#"{"type":"download","size":5,"name":"song","md5sum":"\#(md5)","url":"u"}"#, after: 3) }
        var t = s.task(.download, "song")!
        #expect(t.attempt == 1 && t.offers == 4 && t.state == .offered)
        // A different md5 before the device started: a new attempt, the old one superseded.
        s.down(#"{"type":"download","size":5,"name":"song","md5sum":"ffffffffffffffffffffffffffffffff","url":"u"}"#)
        t = s.task(.download, "song")!
        #expect(t.attempt == 2)
        let out = s.drain()
        #expect(out.tasks.map(\.state) == [.superseded, .offered])
    }

    @Test func retryOfTheSameNameIsANewAttempt() {
        var s = Script()
        s.up(#"{"type":"create_upload_task","size":10,"name":"x","md5sum":"\#(md5)"}"#)
        s.down(#"{"type":"create_upload_task_rsp","size":10,"name":"x","md5sum":"\#(md5)","url":"u"}"#)
        s.up(#"{"type":"report_upload_progress","name":"x","progress":{"state":"fail","result_code":-3,"result_msg":"sign invalid"}}"#)
        s.up(#"{"type":"create_upload_task","size":10,"name":"x","md5sum":"\#(md5)"}"#, after: 10)
        #expect(s.task(.upload, "x")?.attempt == 2)
        // A request while the attempt is still open supersedes it.
        s.up(#"{"type":"create_upload_task","size":10,"name":"x","md5sum":"\#(md5)"}"#, after: 10)
        let out = s.drain()
        #expect(out.tasks.map(\.attempt) == [1, 2, 3])
        #expect(out.tasks.map(\.state) == [.failed, .superseded, .requested])
    }

    @Test func pythonSDKSpacingAndPercentOnDone() {
        var s = Script()
        s.down(#"{"type": "get_download_task_rsp", "size": 300, "name": "music", "md5sum": "\#(md5)", "url": "u"}"#)
        s.up(#"{"type": "report_download_progress", "name": "music", "progress": {"state": "downloading", "percent": 50, "result_code": 0, "result_msg": ""}}"#)
        s.up(#"{"type": "report_download_progress", "name": "music", "progress": {"state": "done", "percent": 100, "result_code": 0, "result_msg": ""}}"#)
        let t = s.task(.download, "music")!
        #expect(t.state == .done && t.lastPercent == 100)
        #expect(t.bytesPerSecond == 300)  // 300 bytes from first progress to done, 1 s
    }

    @Test func pollsAreCountedAndBecomeTheRequestOfTheNextOffer() {
        var s = Script()
        s.up(#"{"type":"get_download_task"}"#)
        s.up(#"{"type":"get_download_task"}"#, after: 5)
        s.down(#"{"type":"get_download_task_rsp","size":5,"name":"f","md5sum":"\#(md5)","url":"u"}"#, after: 0.25)
        let t = s.task(.download, "f")!
        #expect(t.requestedAt == t.offeredAt! - 250_000_000)
        let out = s.drain()
        #expect(out.devices.first?.polls == 2)
        #expect(out.tasks.count == 1)
    }

    @Test func percentAnomaliesAreFlaggedNotRejected() {
        var s = Script()
        s.down(#"{"type":"download","size":50000000,"name":"big","md5sum":"\#(md5)","url":"u"}"#)
        for p in [0, 40, 85, -80, 150] {
            s.up(#"{"type":"report_download_progress","name":"big","progress":{"state":"downloading","percent":\#(p),"result_code":0,"result_msg":""}}"#)
        }
        #expect(s.task(.download, "big")?.lastPercent == 150)
        let kinds = s.drain().anomalies.map(\.kind)
        #expect(kinds == [.percentOutOfRange, .percentOutOfRange])
        var b = Script()
        b.down(#"{"type":"download","size":5,"name":"f","md5sum":"\#(md5)","url":"u"}"#)
        b.up(#"{"type":"report_download_progress","name":"f","progress":{"state":"downloading","percent":60}}"#)
        b.up(#"{"type":"report_download_progress","name":"f","progress":{"state":"downloading","percent":30}}"#)
        #expect(b.drain().anomalies.map(\.kind) == [.percentBackwards])
    }

    @Test func eventsThatFitNoTaskAreAnomalies() {
        var s = Script()
        s.up(#"{"type":"report_upload_progress","name":"ghost","progress":{"state":"uploading","percent":5}}"#)
        s.down(#"{"type":"report_download_progress_rsp","result_code":0,"result_msg":""}"#)
        s.down(#"{"type":"create_upload_task_rsp","size":1,"name":"nobody","md5sum":"x","url":"u"}"#)
        s.up(#"{"type":"create_upload_task","size":5,"name":"my "best" face","md5sum":"x"}"#)
        s.up(#"{"type":"reboot"}"#)
        s.up(#"not json at all"#)
        s.send("up", #"{"type":"get_download_task"}"#, topic: "$resource/up/service/P")
        s.down(#"{"type":"create_upload_task","size":5,"name":"a","md5sum":"x"}"#)
        s.up(#"{"type":"report_upload_progress","name":"f","progress":{"state":"failed"}}"#)
        let out = s.drain()
        #expect(out.anomalies.map(\.kind) == [.orphanProgress, .orphanResponse, .orphanResponse, .malformedJSON, .unknownType,
                                              .malformedJSON, .badTopic, .wrongDirection, .invalidField])
        #expect(out.anomalies.map(\.eventID) == Array(1...9))
        #expect(out.anomalies[3].position == "000001.mcap@0#4")
        #expect(out.tasks.isEmpty)
        #expect(out.events.count == 9)
    }

    @Test func eventAfterTheEnd() {
        var s = Script()
        s.down(#"{"type":"download","size":5,"name":"f","md5sum":"\#(md5)","url":"u"}"#)
        s.up(#"{"type":"report_download_progress","name":"f","progress":{"state":"done","result_code":0,"result_msg":""}}"#)
        s.up(#"{"type":"report_download_progress","name":"f","progress":{"state":"downloading","percent":10}}"#)
        #expect(s.drain().anomalies.map(\.kind) == [.eventAfterEnd])
        #expect(s.task(.download, "f")?.state == .done)
    }

    @Test func uploadResultRejectionFailsTheUpload() {
        var s = Script()
        s.up(#"{"type":"create_upload_task","size":10,"name":"u","md5sum":"\#(md5)"}"#)
        s.down(#"{"type":"create_upload_task_rsp","size":10,"name":"u","md5sum":"\#(md5)","url":"u"}"#)
        s.up(#"{"type":"report_upload_progress","name":"u","progress":{"state":"done","result_code":0,"result_msg":""}}"#)
        s.down(#"{"type":"upload_result","report":{"progress":{"result_code":-4}}}"#)
        let t = s.task(.upload, "u")!
        #expect(t.state == .failed && t.failedBy == .platform && t.resultCode == -4)
    }

    @Test func recorderEventsAreKeptApart() {
        var s = Script()
        s.send("up", #"{"event":"disconnected","reason":"connection lost"}"#, topic: "restrace/recorder")
        let out = s.drain()
        #expect(out.recorderEvents.map(\.event) == ["disconnected"])
        #expect(out.events.isEmpty && out.anomalies.isEmpty)
    }
}
