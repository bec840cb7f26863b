import Testing
@testable import ResourceProtocol

private func decode(_ s: String) throws(ResourceDecodingError) -> ResourceMessage {
    try ResourceMessage(decoding: Array(s.utf8))
}

@Suite struct ResourceMessageDecodingTests {
    @Test func cSDKMixedSpacing() throws {
        let m = try decode(#"{"type": "create_upload_task","size": 250000,"name": "face.bin","md5sum": "0123456789abcdef0123456789abcdef"}"#)
        #expect(m == .createUploadTask(FileInfo(name: "face.bin", size: 250000, md5sum: "0123456789abcdef0123456789abcdef")))
    }

    @Test func cSDKNoSpacesFinalReportWithoutPercent() throws {
        let m = try decode(#"{"type":"report_upload_progress","name":"face.bin","progress":{"state":"done","result_code":0,"result_msg":""}}"#)
        #expect(m == .reportUploadProgress(ProgressReport(name: "face.bin", state: .done, percent: nil, resultCode: 0, resultMessage: "")))
    }

    @Test func pythonSDKSpacingAndPercentOnDone() throws {
        let m = try decode(#"{"type": "report_download_progress", "name": "music", "progress": {"state": "done", "percent": 100, "result_code": 0, "result_msg": ""}}"#)
        #expect(m == .reportDownloadProgress(ProgressReport(name: "music", state: .done, percent: 100, resultCode: 0, resultMessage: "")))
    }

    @Test func keyOrderAndUnknownKeysDoNotMatter() throws {
        let m = try decode(#"{"extra":{"a":[1,2,{"b":null}]},"progress":{"percent":"42","state":"uploading","x":true},"name":"f","type":"report_upload_progress"}"#)
        #expect(m == .reportUploadProgress(ProgressReport(name: "f", state: .uploading, percent: 42)))
    }

    @Test func numbersAsStrings() throws {
        let m = try decode(#"{"type":"get_download_task_rsp","size":"250000","name":"fw","md5sum":"abc","url":"http://h/fw?sig=1"}"#)
        #expect(m == .getDownloadTaskResponse(FileInfo(name: "fw", size: 250000, md5sum: "abc", url: "http://h/fw?sig=1")))
    }

    @Test(arguments: [(-1, "time_out"), (-2, "file_not_exist"), (-3, "sign invalid"), (-4, "md5sum not matched")])
    func failCodes(code: Int, message: String) throws {
        let m = try decode(#"{"type":"report_download_progress","name":"fw","progress":{"state":"fail","result_code":\#(code),"result_msg":"\#(message)"}}"#)
        #expect(m == .reportDownloadProgress(ProgressReport(name: "fw", state: .fail, resultCode: Int64(code), resultMessage: message)))
        #expect(ResultCode.meaning(Int64(code)) == message)
    }

    @Test func everyTypeOfTheProtocol() throws {
        #expect(try decode(#"{"type":"get_download_task"}"#) == .getDownloadTask)
        #expect(try decode(#"{"type":"download","size":1,"name":"n","md5sum":"m","url":"u"}"#)
                == .download(FileInfo(name: "n", size: 1, md5sum: "m", url: "u")))
        #expect(try decode(#"{"type":"create_upload_task_rsp","size":1,"name":"n","md5sum":"m","url":"u"}"#)
                == .createUploadTaskResponse(FileInfo(name: "n", size: 1, md5sum: "m", url: "u")))
        #expect(try decode(#"{"type":"report_upload_progress_rsp","result_code":0,"result_msg":"ok"}"#)
                == .reportUploadProgressResponse(PlatformResult(resultCode: 0, resultMessage: "ok")))
        #expect(try decode(#"{"type":"report_download_progress_rsp","result_code":403,"result_msg":"denied"}"#)
                == .reportDownloadProgressResponse(PlatformResult(resultCode: 403, resultMessage: "denied")))
        #expect(try decode(#"{"type":"upload_result","report":{"progress":{"result_code":-4}}}"#) == .uploadResult(resultCode: -4))
        #expect(try decode(#"{"type":"reboot"}"#) == .unrecognized(type: "reboot"))
        #expect(try decode(#"{"size":1}"#) == .unrecognized(type: nil))
        #expect(try decode(#"{"type":"create_upload_task","name":"caf\u00e9 \"x\""}"#)
                == .createUploadTask(FileInfo(name: "café \"x\"")))
    }

    /// The type is matched on raw bytes by length and content: every name of the protocol, and
    /// nothing that differs from one in a byte or in length.
    @Test func typeNamesMatchExactly() {
        for t in KnownType.allCases {
            let bytes = Array(t.rawValue.utf8)
            #expect(bytes.withUnsafeBufferPointer { KnownType($0) } == t)
            let payload = #"{"type":"\#(t.rawValue)","name":"n","progress":{"state":"done"}}"#
            #expect((try? decode(payload))?.typeName == t.rawValue)
            var changed = bytes
            changed[changed.count / 2] ^= 0x20
            #expect(changed.withUnsafeBufferPointer { KnownType($0) } == nil, "\(t.rawValue) changed")
            #expect(Array(bytes.dropLast()).withUnsafeBufferPointer { KnownType($0) } == nil)
            #expect((bytes + [UInt8(ascii: "s")]).withUnsafeBufferPointer { KnownType($0) } == nil)
        }
    }

    /// `progress.state` is matched on its bytes: every state, escaped or not; near misses are invalid.
    @Test func statesMatchExactly() throws {
        for state in TransferState.allCases {
            let plain = #"{"type":"report_upload_progress","name":"n","progress":{"state":"\#(state.rawValue)"}}"#
            #expect(try decode(plain) == .reportUploadProgress(ProgressReport(name: "n", state: state)))
            let escaped = #"{"type":"report_upload_progress","name":"n","progress":{"state":"\u00\#(String(state.rawValue.utf8.first!, radix: 16))\#(state.rawValue.dropFirst())"}}"#
            #expect(try decode(escaped) == .reportUploadProgress(ProgressReport(name: "n", state: state)))
            for wrong in [state.rawValue.uppercased(), state.rawValue + "s", String(state.rawValue.dropLast())] {
                #expect(throws: ResourceDecodingError.self) {
                    try decode(#"{"type":"report_upload_progress","name":"n","progress":{"state":"\#(wrong)"}}"#)
                }
            }
        }
        #expect(throws: ResourceDecodingError.missingField(type: "report_upload_progress", field: "progress.state")) {
            try decode(#"{"type":"report_upload_progress","name":"n","progress":{"percent":1}}"#)
        }
    }

    @Test func percentOutOfRangeIsKeptAsReported() throws {
        #expect(try decode(#"{"type":"report_upload_progress","name":"f","progress":{"state":"uploading","percent":150}}"#)
                == .reportUploadProgress(ProgressReport(name: "f", state: .uploading, percent: 150)))
        #expect(try decode(#"{"type":"report_upload_progress","name":"f","progress":{"state":"uploading","percent":-3}}"#)
                == .reportUploadProgress(ProgressReport(name: "f", state: .uploading, percent: -3)))
    }

    @Test func badInputGivesTypedErrors() {
        #expect(throws: ResourceDecodingError.empty) { try decode("") }
        #expect(throws: ResourceDecodingError.empty) { try decode("  \n") }
        #expect(throws: ResourceDecodingError.notAnObject(found: "null")) { try decode("null") }
        #expect(throws: ResourceDecodingError.notAnObject(found: "an array")) { try decode("[1,2]") }
        #expect(throws: ResourceDecodingError.missingField(type: "create_upload_task", field: "name")) {
            try decode(#"{"type":"create_upload_task","size":3}"#)
        }
        #expect(throws: ResourceDecodingError.invalidField(field: "progress.state", reason: "unknown state 'failed'")) {
            try decode(#"{"type":"report_upload_progress","name":"f","progress":{"state":"failed"}}"#)
        }
        for bad in [#"{"type":"create_upload_task","size":1"#, #"{"type":"#, "{", #"{"a" 1}"#, "{}x", "nope"] {
            #expect(throws: ResourceDecodingError.self) { try decode(bad) }
        }
    }

    @Test func unescapedQuoteInNameIsMalformed() {
        let payload = #"{"type":"create_upload_task","size":5,"name":"my "best" face","md5sum":"x"}"#
        #expect { try decode(payload) } throws: { ($0 as? ResourceDecodingError)?.kind == "malformed_json" }
    }

    @Test func nonUTF8Bytes() {
        var bytes = Array(#"{"type":"create_upload_task","name":"x"#.utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array(#""}"#.utf8)
        #expect(throws: ResourceDecodingError.invalidField(field: "name", reason: "not valid UTF-8")) {
            try ResourceMessage(decoding: bytes)
        }
        #expect(throws: ResourceDecodingError.self) { try ResourceMessage(decoding: [0x00, 0xFF, 0x7B]) }
    }

    @Test func deepNestingIsRefusedNotRecursed() {
        let depth = 1 << 20
        let deep = "{\"type\":\"x\",\"a\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        #expect(throws: ResourceDecodingError.tooDeep(offset: 16 + ResourceMessage.maximumDepth)) { try decode(deep) }
        let deepArray = String(repeating: "[", count: depth)
        #expect(throws: ResourceDecodingError.self) { try decode(deepArray) }
    }

    @Test func sizeBeyondInt64() throws {
        #expect(throws: ResourceDecodingError.self) {
            try decode(#"{"type":"create_upload_task","name":"n","size":99999999999999999999999}"#)
        }
        #expect(throws: ResourceDecodingError.self) {
            try decode(#"{"type":"create_upload_task","name":"n","size":"1e400"}"#)
        }
        #expect(try decode(#"{"type":"create_upload_task","name":"n","size":-9223372036854775808}"#)
                == .createUploadTask(FileInfo(name: "n", size: Int64.min)))
    }

    /// Random and mutated payloads: every one decodes or throws a typed error; none crashes.
    @Test func fuzzNeverCrashes() {
        var rng = SplitMix(seed: 42)
        let seeds = [
            #"{"type":"report_upload_progress","name":"f","progress":{"state":"uploading","percent":10,"result_code":0,"result_msg":""}}"#,
            #"{"type": "create_upload_task","size": 250000,"name": "face.bin","md5sum": "0123"}"#,
            #"{"type":"upload_result","report":{"progress":{"result_code":-4}}}"#,
        ].map { Array($0.utf8) }
        let punctuation = Array("{}[]\",:\\0-e".utf8)
        var decoded = 0, failed = 0
        for i in 0..<4000 {
            var b = seeds[i % seeds.count]
            if i % 5 == 0 {
                b = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                for _ in 0..<(1 + Int(rng.next() % 4)) where !b.isEmpty {
                    let at = Int(rng.next() % UInt64(b.count))
                    switch rng.next() % 3 {
                    case 0: b[at] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: b.remove(at: at)
                    default: b.insert(punctuation[Int(rng.next() % UInt64(punctuation.count))], at: at)
                    }
                }
            }
            do { _ = try ResourceMessage(decoding: b); decoded += 1 } catch { failed += 1 }
        }
        #expect(decoded > 100)
        #expect(failed > 100)
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
